import { assert, describe, it } from "@effect/vitest"
import type { Ids } from "@workflow-runs/core"
import { RequestObserver, Workflows } from "@workflow-runs/stripe"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { invokeRequests, withServer } from "./utils/live.js"
import * as StripeServer from "./utils/StripeServer.js"

const respond = (
  status: number,
  type: string,
  code: string,
  headers: Record<string, string> = {}
): StripeServer.Fault => ({
  _tag: "Respond",
  status,
  headers,
  body: { error: { type, code, message: `Scripted ${code}` } }
})

const serverError = respond(500, "api_error", "internal_error")

/** Waits in real time until `condition` holds, for at most 5 seconds. */
const waitFor = (condition: () => boolean) =>
  Effect.promise(async () => {
    const deadline = Date.now() + 5_000
    while (!condition()) {
      if (Date.now() > deadline) throw new Error("Timed out waiting for the condition")
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })

/** Lets real I/O happen for a moment, so a request that should not be sent would arrive. */
const settle = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))

const keysOf = (server: StripeServer.StripeServer) =>
  invokeRequests(server).map((request) => request.headers["idempotency-key"])

describe("retries", () => {
  it.scopedLive("500, 500, 200 makes three attempts with one key", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script(serverError, serverError)
        const run = yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, { n: 1 })
        assert.strictEqual(run.status, "started")
        const keys = keysOf(server)
        assert.strictEqual(keys.length, 3)
        assert.isString(keys[0])
        assert.strictEqual(new Set(keys).size, 1)
        assert.strictEqual(server.backend.allRuns().length, 1)
      })
    ))

  it.scopedLive("the caller's key is sent on every attempt", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script(serverError)
        yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {}, { idempotencyKey: "order-7" })
        assert.deepStrictEqual(keysOf(server), ["order-7", "order-7"])
      })
    ))

  it.scopedLive("429 then 200 makes two attempts", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script(respond(429, "rate_limit", "rate_limited"))
        yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {})
        assert.strictEqual(invokeRequests(server).length, 2)
      })
    ))

  it.scopedLive("409 idempotency_key_in_use then 200 makes two attempts", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script(respond(409, "api_error", "idempotency_key_in_use", { "stripe-should-retry": "true" }))
        yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {})
        assert.strictEqual(invokeRequests(server).length, 2)
        assert.strictEqual(new Set(keysOf(server)).size, 1)
      })
    ))

  it.scopedLive("409 idempotency_key_in_use without a header is retried", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script(respond(409, "api_error", "idempotency_key_in_use"))
        yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {})
        assert.strictEqual(invokeRequests(server).length, 2)
      })
    ))

  it.scopedLive("409 idempotency_error makes one attempt", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script(respond(409, "idempotency_error", "idempotency_error"))
        const error = yield* Effect.flip(Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {}))
        assert.strictEqual(error._tag, "IdempotencyConflict")
        assert.strictEqual(invokeRequests(server).length, 1)
      })
    ))

  it.scopedLive("400 makes one attempt", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script(respond(400, "invalid_request_error", "invalid_workflow_input_parameters"))
        const error = yield* Effect.flip(Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {}))
        assert.strictEqual(error._tag, "InvalidWorkflowInputParameters")
        assert.strictEqual(invokeRequests(server).length, 1)
      })
    ))

  it.scopedLive("Stripe-Should-Retry false stops a 500", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script(respond(500, "api_error", "internal_error", { "stripe-should-retry": "false" }))
        const error = yield* Effect.flip(Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {}))
        assert.strictEqual(error._tag, "StripeApiError")
        assert.strictEqual(invokeRequests(server).length, 1)
      })
    ))

  it.scopedLive("Stripe-Should-Retry true retries a 400", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script(respond(400, "invalid_request_error", "busy", { "stripe-should-retry": "true" }))
        yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {})
        assert.strictEqual(invokeRequests(server).length, 2)
      })
    ))

  it.scopedLive("retries stop after maxRetries", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script(serverError, serverError, serverError, serverError, serverError)
        const error = yield* Effect.flip(Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {}))
        assert.strictEqual(error._tag, "StripeApiError")
        assert.strictEqual(invokeRequests(server).length, 4)
      }), { maxRetries: 3 }))

  it.scopedLive("a hung attempt times out and is retried", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script({ _tag: "Hang" })
        const run = yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {})
        assert.strictEqual(run.status, "started")
        assert.strictEqual(invokeRequests(server).length, 2)
        assert.strictEqual(new Set(keysOf(server)).size, 1)
      }), { timeout: "1 second" }))

  it.scopedLive("attempts that all hang end in a timeout error", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script({ _tag: "Hang" }, { _tag: "Hang" })
        const error = yield* Effect.flip(
          Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {}, { timeout: "200 millis" })
        )
        assert.strictEqual(error._tag, "StripeConnectionError")
        if (error._tag === "StripeConnectionError") {
          assert.strictEqual(error.reason, "Timeout")
          assert.strictEqual(error.attempts, 2)
        }
      }), { maxRetries: 1 }))

  it.scopedLive("a dropped connection is retried", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script({ _tag: "Drop" })
        const run = yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {})
        assert.strictEqual(run.status, "started")
        assert.strictEqual(invokeRequests(server).length, 2)
      })
    ))

  it.scopedLive("a response lost after commit replays the same run", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script({ _tag: "DropAfterCommit" })
        const run = yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, { n: 1 })
        assert.strictEqual(invokeRequests(server).length, 2)
        assert.strictEqual(new Set(keysOf(server)).size, 1)
        assert.deepStrictEqual(server.backend.allRuns().map((stored) => stored.id), [run.id])
      })
    ))

  it.scoped("backoff doubles with jitter on the test clock", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script(serverError, serverError)
        const fiber = yield* Effect.fork(Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {}))
        const count = () => invokeRequests(server).length

        yield* waitFor(() => count() === 1)
        // The first retry waits 1 s jittered to 0.8-1.2 s.
        yield* TestClock.adjust("790 millis")
        yield* settle
        assert.strictEqual(count(), 1)
        yield* TestClock.adjust("420 millis")
        yield* waitFor(() => count() === 2)

        // The second waits 2 s jittered to 1.6-2.4 s.
        yield* TestClock.adjust("1590 millis")
        yield* settle
        assert.strictEqual(count(), 2)
        yield* TestClock.adjust("820 millis")
        yield* waitFor(() => count() === 3)

        const run = yield* Fiber.join(fiber)
        assert.strictEqual(run.status, "started")
      }), { retryBaseDelay: "1 second", retryMaxDelay: "10 seconds" }))

  it.scoped("backoff is capped at retryMaxDelay", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script(serverError, serverError)
        const fiber = yield* Effect.fork(Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {}))
        const count = () => invokeRequests(server).length

        yield* waitFor(() => count() === 1)
        yield* TestClock.adjust("1 second")
        yield* waitFor(() => count() === 2)
        // Uncapped, the second retry would wait at least 1.6 s.
        yield* TestClock.adjust("1 second")
        yield* waitFor(() => count() === 3)
        yield* Fiber.join(fiber)
      }), { retryBaseDelay: "1 second", retryMaxDelay: "1 second" }))

  it.scopedLive("reports attempts, retries and calls to the layer's observer", () =>
    Effect.gen(function*() {
      const server = yield* StripeServer.start()
      const workflow = server.defineWorkflow()
      const clientWithObserver = () => {
        const events: Array<string> = []
        const observer = RequestObserver.layer({
          onAttempt: (attempt) =>
            Effect.sync(() => events.push(`attempt ${attempt.operation} ${attempt.attempt} ${attempt.outcome}`)),
          onRetry: (retry) =>
            Effect.sync(() => events.push(`retry ${retry.operation} ${retry.attempt} ${retry.after}`)),
          onCall: (call) => Effect.sync(() => events.push(`call ${call.operation} ${call.attempts} ${call.outcome}`))
        })
        const layer = Workflows.layer({
          apiKey: Redacted.make(server.apiKey),
          apiBase: server.url,
          retryBaseDelay: "1 millis"
        })
          .pipe(Layer.provide(observer), Layer.orDie)
        return { events, layer }
      }
      const observed = clientWithObserver()
      const other = clientWithObserver()
      yield* Layer.build(other.layer)

      server.script(serverError)
      yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {}).pipe(Effect.provide(observed.layer))

      assert.deepStrictEqual(observed.events, [
        "attempt invoke_workflow 1 500",
        "retry invoke_workflow 2 500",
        "attempt invoke_workflow 2 ok",
        "call invoke_workflow 2 ok"
      ])
      // Each layer reports to its own observer only.
      assert.deepStrictEqual(other.events, [])
    }))
})
