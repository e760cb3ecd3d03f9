import { assert, describe, it } from "@effect/vitest"
import { Workflows, WorkflowsTest } from "@workflow-runs/stripe"
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { fulfil } from "../examples/invoke-workflow.js"
import * as StripeServer from "./utils/StripeServer.js"

const order = { order_id: "o_1", amount: 5000, express: false }

describe("invoke-workflow example", () => {
  it.effect("starts one run per order", () =>
    Effect.gen(function*() {
      const test = yield* WorkflowsTest.WorkflowsTest
      const workflow = yield* test.defineWorkflow({
        inputs: {
          order_id: { type: "string", required: true },
          amount: { type: "integer", required: true },
          express: { type: "boolean" }
        }
      })
      const first = yield* fulfil(workflow.id, order)
      const second = yield* fulfil(workflow.id, order)
      assert.strictEqual(first._tag, "Started")
      assert.deepStrictEqual(second, first)
      assert.strictEqual((yield* test.runs).length, 1)
    }).pipe(Effect.provide(Workflows.layerTest())))

  it.effect("reports a paused workflow", () =>
    Effect.gen(function*() {
      const test = yield* WorkflowsTest.WorkflowsTest
      const workflow = yield* test.defineWorkflow({ status: "inactive" })
      const outcome = yield* fulfil(workflow.id, order)
      assert.strictEqual(outcome._tag, "Paused")
    }).pipe(Effect.provide(Workflows.layerTest())))

  it.effect("rejects an order the schema or Stripe refuses", () =>
    Effect.gen(function*() {
      const test = yield* WorkflowsTest.WorkflowsTest
      const workflow = yield* test.defineWorkflow({ inputs: { express: { type: "string" } } })
      const bySchema = yield* fulfil(workflow.id, { ...order, amount: -5 })
      assert.strictEqual(bySchema._tag, "Rejected")
      const byStripe = yield* fulfil(workflow.id, order)
      assert.strictEqual(byStripe._tag, "Rejected")
      assert.strictEqual((yield* test.runs).length, 0)
    }).pipe(Effect.provide(Workflows.layerTest())))

  it.effect("asks to retry when Stripe is unavailable", () =>
    Effect.gen(function*() {
      const test = yield* WorkflowsTest.WorkflowsTest
      const workflow = yield* test.defineWorkflow()
      yield* test.failNextCall({ status: 503, type: "api_error", code: "unavailable" })
      const outcome = yield* fulfil(workflow.id, order)
      assert.deepStrictEqual(outcome, { _tag: "RetryLater", idempotencyKey: "fulfil-o_1" })
    }).pipe(Effect.provide(Workflows.layerTest())))

  it.effect("leaves an authentication error to the caller", () =>
    Effect.gen(function*() {
      const test = yield* WorkflowsTest.WorkflowsTest
      const workflow = yield* test.defineWorkflow()
      yield* test.failNextCall({ status: 401, type: "invalid_request_error", code: "api_key_invalid" })
      const error = yield* Effect.flip(fulfil(workflow.id, order))
      assert.strictEqual(error._tag, "StripeAuthenticationError")
    }).pipe(Effect.provide(Workflows.layerTest())))

  it.scopedLive("runs as a command", () =>
    Effect.gen(function*() {
      const server = yield* StripeServer.start()
      const workflow = server.defineWorkflow()
      const packageDirectory = fileURLToPath(new URL("..", import.meta.url))
      const { stdout } = yield* Effect.promise(() =>
        promisify(execFile)(
          "node_modules/.bin/tsx",
          ["--conditions=source", "examples/invoke-workflow.ts", "order_42"],
          {
            cwd: packageDirectory,
            env: {
              ...process.env,
              STRIPE_API_KEY: server.apiKey,
              STRIPE_API_BASE: server.url,
              FULFILMENT_WORKFLOW_ID: String(workflow.id)
            }
          }
        )
      )
      assert.include(stdout, "Started")
      const invoke = server.requests().find((request) => request.method === "POST")
      assert.strictEqual(invoke?.headers["idempotency-key"], "fulfil-order_42")
    }), { timeout: 60_000 })
})
