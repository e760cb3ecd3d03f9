import { describe, expect, it } from "@effect/vitest"
import { DefaultWorkflows, type Simulator } from "@workflow-runs/simulator"
import * as Effect from "effect/Effect"
import { call, eventually, raw, startSimulator, stripeFor } from "./support.js"

const invokePath = (workflow: string) => `/v2/extend/workflows/${workflow}/invoke`

const invoke = (simulator: Simulator.Service, workflow: string, key: string, input: unknown) =>
  raw(simulator, invokePath(workflow), {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify({ input_parameters: input })
  })

describe("idempotency", () => {
  it.scopedLive("creates one run for 20 concurrent requests", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      yield* simulator.setProcessingDelay("300 millis")

      const answers = yield* Effect.all(
        Array.from({ length: 20 }, () => invoke(simulator, DefaultWorkflows.anyInput, "concurrent-key", { n: 1 })),
        { concurrency: "unbounded" }
      )
      const stripe = stripeFor(simulator)
      const runs = yield* call(() => stripe.v2.extend.workflowRuns.list({ workflow: [DefaultWorkflows.anyInput] }))

      expect(runs.data.length).toBe(1)
      const runId = runs.data[0]!.id
      const created = answers.filter((answer) => answer.status === 200)
      const inUse = answers.filter((answer) => answer.status === 409)
      expect(created.length).toBeGreaterThanOrEqual(1)
      expect(created.length + inUse.length).toBe(20)
      for (const answer of created) expect(answer.json.id).toBe(runId)
      for (const answer of inUse) {
        expect(answer.json.error).toMatchObject({ type: "api_error", code: "idempotency_key_in_use" })
        expect(answer.headers["stripe-should-retry"]).toBe("true")
      }
    }))

  it.scopedLive("replays a processed key with the run's current state", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const first = yield* invoke(simulator, DefaultWorkflows.anyInput, "replay-key", { n: 1 })

      yield* eventually(
        Effect.map(simulator.retrieveRun(first.json.id), (run) => run.status === "succeeded" ? true : undefined)
      )
      const replay = yield* invoke(simulator, DefaultWorkflows.anyInput, "replay-key", { n: 1 })

      expect(first.json.status).toBe("started")
      expect(replay.status).toBe(200)
      expect(replay.json.id).toBe(first.json.id)
      expect(replay.json.status).toBe("succeeded")
    }))

  it.scopedLive("rejects the same key with a different body", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      yield* invoke(simulator, DefaultWorkflows.anyInput, "conflict-key", { n: 1 })

      const conflict = yield* invoke(simulator, DefaultWorkflows.anyInput, "conflict-key", { n: 2 })
      const reordered = yield* raw(simulator, invokePath(DefaultWorkflows.anyInput), {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "conflict-key" },
        body: "{ \"input_parameters\" : { \"n\" : 1 } }"
      })

      expect(conflict.status).toBe(409)
      expect(conflict.json.error).toMatchObject({ type: "idempotency_error", code: "idempotency_error" })
      expect(conflict.headers["stripe-should-retry"]).toBe("false")
      expect(reordered.status).toBe(200)
    }))

  it.scopedLive("scopes keys per endpoint", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const first = yield* invoke(simulator, DefaultWorkflows.anyInput, "scoped-key", { n: 1 })
      const other = yield* invoke(simulator, DefaultWorkflows.onboardCustomer, "scoped-key", {
        customer_id: "cus_1",
        amount: 1
      })

      expect(other.status).toBe(200)
      expect(other.json.id).not.toBe(first.json.id)
    }))

  it.scopedLive("forgets a key after its expiry", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator({ idempotencyKeyTtl: "100 millis" })
      const first = yield* invoke(simulator, DefaultWorkflows.anyInput, "expiring-key", { n: 1 })

      yield* Effect.sleep("150 millis")
      const second = yield* invoke(simulator, DefaultWorkflows.anyInput, "expiring-key", { n: 2 })

      expect(second.status).toBe(200)
      expect(second.json.id).not.toBe(first.json.id)
    }))

  it.scopedLive("frees the key of a rejected request", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const rejected = yield* invoke(simulator, DefaultWorkflows.onboardCustomer, "retry-after-fix", { amount: 1 })
      const fixed = yield* invoke(simulator, DefaultWorkflows.onboardCustomer, "retry-after-fix", {
        customer_id: "cus_1",
        amount: 1
      })

      expect(rejected.status).toBe(400)
      expect(fixed.status).toBe(200)
    }))
})
