import { describe, expect, it } from "@effect/vitest"
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import Stripe from "stripe"
import { call, eventually, exampleInput, raw, rejection, startSimulator, stripeFor } from "./support.js"

// The keys of a JSON value at every level, in order, with `null` kept apart from other values.
const shape = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(shape)
  if (value === null) return null
  if (typeof value === "object") {
    return Object.entries(value).map(([key, nested]) => [key, shape(nested)])
  }
  return typeof value
}

describe("official stripe client", () => {
  it.scopedLive("invokes Stripe's example request", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator)

      const run = yield* call(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.onboardCustomer, { input_parameters: exampleInput })
      )

      expect(run.lastResponse.statusCode).toBe(200)
      expect(run.lastResponse.requestId).toMatch(/^req_/)
      expect(run.lastResponse.apiVersion).toBe(Simulator.apiVersion)
      const { lastResponse: _, ...body } = run
      expect(Object.keys(body)).toEqual([
        "id",
        "object",
        "created",
        "status",
        "status_details",
        "status_transitions",
        "trigger",
        "workflow",
        "livemode"
      ])
      expect(body).toMatchObject({
        object: "v2.extend.workflow_run",
        status: "started",
        status_details: { failed: null, started: {}, succeeded: null },
        status_transitions: { failed_at: null, succeeded_at: null },
        trigger: { manual: { input_parameters: exampleInput }, type: "manual" },
        workflow: DefaultWorkflows.onboardCustomer,
        livemode: false
      })
      expect(Object.keys(body.trigger)).toEqual(["manual", "type"])
      expect(body.status_transitions.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    }))

  it.scopedLive("matches Stripe's example response", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator({ seed: "example" })
      const example = JSON.parse(
        readFileSync(new URL("../../core/test/fixtures/invoke-workflow-response.json", import.meta.url), "utf8")
      )

      const response = yield* raw(simulator, `/v2/extend/workflows/${DefaultWorkflows.onboardCustomer}/invoke`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input_parameters: example.trigger.manual.input_parameters })
      })

      // Ids and times differ; every key, its place and every other value are Stripe's.
      expect(shape(response.json)).toEqual(shape(example))
      expect({ ...response.json, id: example.id, created: example.created, status_transitions: {} }).toEqual({
        ...example,
        status_transitions: {}
      })
      expect(response.text).toBe(JSON.stringify(response.json))
    }))

  it.scopedLive("retrieves and lists workflows", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator)

      const workflow = yield* call(() => stripe.v2.extend.workflows.retrieve(DefaultWorkflows.onCustomerCreated))
      const listed = yield* call(() => stripe.v2.extend.workflows.list({ limit: 100 }))
      const drafts = yield* call(() => stripe.v2.extend.workflows.list({ status: ["draft", "archived"] }))

      expect(workflow.triggers).toEqual([
        { type: "event_trigger", event_trigger: { events_from: ["@self"], type: "customer.created" } }
      ])
      expect(listed.data.map((item) => item.status).sort()).toEqual([
        "active",
        "active",
        "active",
        "active",
        "inactive"
      ])
      expect(listed.next_page_url).toBeNull()
      expect(listed.previous_page_url).toBeNull()
      expect(drafts.data.map((item) => item.id)).toEqual([DefaultWorkflows.draft, DefaultWorkflows.archived])
    }))

  it.scopedLive("retrieves a run until it succeeds and lists it", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator)
      const started = yield* call(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.anyInput, { input_parameters: { order: "o-1" } })
      )

      const finished = yield* eventually(
        Effect.map(
          call(() => stripe.v2.extend.workflowRuns.retrieve(started.id)),
          (run) => run.status === "succeeded" ? run : undefined
        )
      )
      const listed = yield* call(() =>
        stripe.v2.extend.workflowRuns.list({ workflow: [DefaultWorkflows.anyInput], status: ["succeeded"] })
      )

      expect(finished.status_details).toEqual({ failed: null, started: {}, succeeded: {} })
      expect(finished.status_transitions.succeeded_at).toEqual(expect.any(String))
      expect(finished.status_transitions.started_at).toBe(started.status_transitions.started_at)
      expect(listed.data.map((run) => run.id)).toEqual([started.id])
    }))

  it.scopedLive("reports a scripted failure on the run", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator)
      const started = yield* call(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.alwaysFails, { input_parameters: {} })
      )

      const failed = yield* eventually(
        Effect.map(
          call(() => stripe.v2.extend.workflowRuns.retrieve(started.id)),
          (run) => run.status === "failed" ? run : undefined
        )
      )

      expect(failed.status_details).toEqual({
        failed: { error_message: "Step 2 failed: the card was declined" },
        started: {},
        succeeded: null
      })
      expect(failed.status_transitions.failed_at).toEqual(expect.any(String))
      expect(failed.status_transitions.succeeded_at).toBeNull()
    }))

  it.scopedLive("auto-paginates over more than three pages", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator)
      const created: Array<string> = []
      for (let index = 0; index < 23; index++) {
        const run = yield* call(() =>
          stripe.v2.extend.workflows.invoke(DefaultWorkflows.anyInput, { input_parameters: { index } })
        )
        created.push(run.id)
      }

      const seen = yield* call(async () => {
        const ids: Array<string> = []
        for await (const run of stripe.v2.extend.workflowRuns.list({ limit: 5 })) ids.push(run.id)
        return ids
      })
      const pageRequests = (yield* simulator.requests).filter((request) => request.path.includes("page="))

      expect(seen).toEqual([...created].reverse())
      expect(pageRequests.length).toBe(4)
    }))

  it.scopedLive("raises the right class per error code", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator({ restrictedApiKeys: ["rk_test_no_access"] })
      const stripe = stripeFor(simulator)

      const invalidInput = yield* rejection(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.onboardCustomer, { input_parameters: { amount: "5000" } })
      )
      const notInvokable = yield* rejection(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.paused, { input_parameters: {} })
      )
      const workflowNotFound = yield* rejection(() => stripe.v2.extend.workflows.retrieve("wf_test_missing"))
      const runNotFound = yield* rejection(() => stripe.v2.extend.workflowRuns.retrieve("wfrun_test_missing"))
      const eventNotFound = yield* rejection(() => stripe.v2.core.events.retrieve("evt_test_missing"))
      yield* call(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.anyInput, { input_parameters: { a: 1 } }, {
          idempotencyKey: "key-conflict"
        })
      )
      const conflict = yield* rejection(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.anyInput, { input_parameters: { a: 2 } }, {
          idempotencyKey: "key-conflict"
        })
      )
      const unauthenticated = yield* rejection(() =>
        stripeFor({ ...simulator, apiKey: "sk_test_wrong_key_1234" }).v2.extend.workflows.list()
      )
      const forbidden = yield* rejection(() =>
        stripeFor({ ...simulator, apiKey: "rk_test_no_access" }).v2.extend.workflows.list()
      )
      const missingVersion = yield* rejection(() =>
        stripe.rawRequest("GET", "/v2/extend/workflows", undefined, { headers: { "Stripe-Version": "" } })
      )
      yield* simulator.injectFault({ match: { path: "/v2/extend/workflow_runs" }, response: { status: 429 } })
      const rateLimited = yield* rejection(() => stripe.v2.extend.workflowRuns.list())
      yield* simulator.injectFault({ match: { path: "/v2/extend/workflow_runs" }, response: { status: 503 } })
      const serverError = yield* rejection(() => stripe.v2.extend.workflowRuns.list())

      expect(invalidInput).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
      expect(invalidInput).toMatchObject({ code: "invalid_workflow_input_parameters", statusCode: 400 })
      expect(notInvokable).toBeInstanceOf(Stripe.errors.CannotProceedError)
      expect(notInvokable).toMatchObject({ code: "workflow_not_invokable", statusCode: 400 })
      for (const notFound of [workflowNotFound, runNotFound, eventNotFound]) {
        expect(notFound).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
        expect(notFound).toMatchObject({ code: "not_found", statusCode: 404 })
      }
      expect(conflict).toBeInstanceOf(Stripe.errors.StripeIdempotencyError)
      expect(conflict).toMatchObject({ code: "idempotency_error", statusCode: 409 })
      expect(unauthenticated).toBeInstanceOf(Stripe.errors.StripeAuthenticationError)
      expect(unauthenticated).toMatchObject({ code: "api_key_invalid", statusCode: 401 })
      expect(forbidden).toBeInstanceOf(Stripe.errors.StripePermissionError)
      expect(forbidden).toMatchObject({ code: "permission_denied", statusCode: 403 })
      expect(missingVersion).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
      expect(missingVersion).toMatchObject({ code: "missing_api_version", statusCode: 400 })
      expect(rateLimited).toBeInstanceOf(Stripe.errors.RateLimitError)
      expect(rateLimited).toMatchObject({ code: "rate_limited", statusCode: 429 })
      expect(serverError).toBeInstanceOf(Stripe.errors.StripeAPIError)
      expect(serverError).toMatchObject({ statusCode: 503 })
    }))

  it.scopedLive("retries a scripted 500 with the same key", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator, { maxNetworkRetries: 2 })
      yield* simulator.injectFault({
        match: { method: "POST", path: "/v2/extend/workflows/*/invoke" },
        response: { status: 500 }
      })

      const run = yield* call(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.anyInput, { input_parameters: { retried: true } })
      )
      const invokes = (yield* simulator.requests).filter((request) => request.method === "POST")
      const runs = yield* call(() => stripe.v2.extend.workflowRuns.list({ workflow: [DefaultWorkflows.anyInput] }))

      expect(invokes.map((request) => request.status)).toEqual([500, 200])
      expect(invokes[0]!.idempotencyKey).toMatch(/^stripe-node-retry-/)
      expect(invokes[1]!.idempotencyKey).toBe(invokes[0]!.idempotencyKey)
      expect(runs.data.map((listed) => listed.id)).toEqual([run.id])
    }))

  it.scopedLive("raises StripeAPIError for a key in flight", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator)
      yield* simulator.setProcessingDelay("300 millis")
      const invoke = () =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.anyInput, { input_parameters: {} }, {
          idempotencyKey: "in-flight-key"
        })

      const [first, second] = yield* Effect.all([
        call(invoke),
        Effect.zipRight(Effect.sleep("50 millis"), rejection(invoke))
      ], { concurrency: 2 })

      expect(first.status).toBe("started")
      expect(second).toBeInstanceOf(Stripe.errors.StripeAPIError)
      expect(second).toMatchObject({ code: "idempotency_key_in_use", statusCode: 409 })
      expect((second as Stripe.errors.StripeError).headers?.["stripe-should-retry"]).toBe("true")
    }))

  it.scopedLive("gives up on a key in flight", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator, { maxNetworkRetries: 1 })
      yield* simulator.setProcessingDelay("2 seconds")
      const invoke = () =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.anyInput, { input_parameters: {} }, {
          idempotencyKey: "long-key"
        })

      const [, second] = yield* Effect.all([
        call(invoke),
        Effect.zipRight(Effect.sleep("50 millis"), rejection(invoke))
      ], { concurrency: 2 })
      const conflicts = (yield* simulator.requests).filter((request) => request.status === 409)

      expect(second).toBeInstanceOf(Stripe.errors.StripeAPIError)
      expect(second).toMatchObject({ code: "idempotency_key_in_use" })
      expect(conflicts.length).toBe(2)
    }))

  it.scopedLive("retries a key in flight until it commits", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator, { maxNetworkRetries: 2 })
      yield* simulator.setProcessingDelay("300 millis")

      const [first, second] = yield* Effect.all([
        call(() =>
          stripe.v2.extend.workflows.invoke(DefaultWorkflows.anyInput, { input_parameters: {} }, {
            idempotencyKey: "shared-key"
          })
        ),
        Effect.zipRight(
          Effect.sleep("50 millis"),
          call(() =>
            stripe.v2.extend.workflows.invoke(DefaultWorkflows.anyInput, { input_parameters: {} }, {
              idempotencyKey: "shared-key"
            })
          )
        )
      ], { concurrency: 2 })
      const statuses = (yield* simulator.requests).filter((request) => request.method === "POST").map((r) => r.status)

      expect(second.id).toBe(first.id)
      expect(statuses).toContain(409)
    }))
})
