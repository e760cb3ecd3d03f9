import { describe, expect, layer } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import { Inbox } from "@workflow-runs/projector"
import { DefaultWorkflows } from "@workflow-runs/simulator"
import { EventStore, Invocation, PgEventStore, RunLog } from "@workflow-runs/store"
import { Workflows } from "@workflow-runs/stripe"
import { Effect, Layer, Option, Tracer } from "effect"
import {
  database,
  eventually,
  historyTypes,
  recordAttempt,
  settledDeliveries,
  startProjector,
  startStack,
  workflowsFor
} from "./support/harness.js"
import { deliver, newEventId, thinRunEvent } from "./support/notifications.js"

const services = Layer.mergeAll(RunLog.layer, PgEventStore.layer, Inbox.layer).pipe(Layer.provideMerge(database))

const onboard = Ids.WorkflowId.make(DefaultWorkflows.onboardCustomer)
const anyInput = Ids.WorkflowId.make(DefaultWorkflows.anyInput)
const alwaysFails = Ids.WorkflowId.make(DefaultWorkflows.alwaysFails)

const input = { customer_id: "cus_SJjFsJvGPQKfH1", amount: 5000, notify: true, tags: ["signup", "promotion"] }

describe("Webhook", () => {
  layer(services, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("records an invoked run's transitions with its idempotency key", () =>
      Effect.gen(function*() {
        const { simulator } = yield* startStack()
        const key = `test-e2e-${crypto.randomUUID()}`
        const run = yield* Workflows.invokeWorkflow(onboard, input, { idempotencyKey: key })
          .pipe(Effect.provide(workflowsFor(simulator)))
        const deliveries = yield* settledDeliveries(simulator, 2)
        expect(deliveries.map((attempt) => attempt.status)).toEqual([200, 200])
        const history = yield* Effect.flatMap(RunLog.RunLog, (log) => log.history(run.id))
        expect(history.events.map((event) => event.type)).toEqual(["RunStarted", "RunSucceeded"])
        expect(history.events.map((event) => event.metadata.idempotencyKey)).toEqual([key, key])
        expect(Option.map(history.run, (summary) => summary.status)).toEqual(Option.some("succeeded"))
        const inbox = yield* Inbox.Inbox
        for (const attempt of deliveries) {
          const row = yield* inbox.find(attempt.eventId)
          expect(Option.map(row, (entry) => entry.runId)).toEqual(Option.some(run.id))
        }
      }).pipe(Effect.scoped))

    it.effect("records a failed run with its error message", () =>
      Effect.gen(function*() {
        const { simulator } = yield* startStack()
        yield* simulator.scriptWorkflow(DefaultWorkflows.alwaysFails, {
          outcome: "failed",
          delay_ms: 20,
          error_message: "Step 2 failed: customer has no email"
        })
        const run = yield* Workflows.invokeWorkflow(alwaysFails, { any: 1 }).pipe(
          Effect.provide(workflowsFor(simulator))
        )
        yield* settledDeliveries(simulator, 2)
        const history = yield* Effect.flatMap(RunLog.RunLog, (log) => log.history(run.id))
        expect(history.events.map((event) => event.type)).toEqual(["RunStarted", "RunFailed"])
        expect(history.events[1]?.data.errorMessage).toBe("Step 2 failed: customer has no email")
      }).pipe(Effect.scoped))

    it.effect("keeps the raw body byte-exact and answers a redelivery as a duplicate", () =>
      Effect.gen(function*() {
        const { secret, simulator, url } = yield* startStack({ register: false })
        const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
        const eventId = newEventId()
        const body = `\uFEFF${thinRunEvent({ eventId, runId: run.id })}`
        const first = yield* deliver(url, body, { secret })
        expect(first.status).toBe(200)
        const again = yield* deliver(url, body, { secret })
        expect(again).toEqual({ status: 200, body: { received: true, duplicate: true } })
        const row = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.find(eventId))
        expect(Option.map(row, (entry) => entry.rawBody)).toEqual(Option.some(body))
      }).pipe(Effect.scoped))

    it.effect("records concurrent deliveries of one notification once", () =>
      Effect.gen(function*() {
        const { secret, simulator, url } = yield* startStack({ register: false })
        const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
        yield* eventually(
          "the run to finish",
          Effect.map(simulator.retrieveRun(run.id), (now) => now.status === "succeeded")
        )
        const body = thinRunEvent({ eventId: newEventId(), runId: run.id, type: "v2.extend.workflow_run.succeeded" })
        const answers = yield* Effect.all(Array.from({ length: 12 }, () => deliver(url, body, { secret })), {
          concurrency: "unbounded"
        })
        expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 12 }, () => 200))
        expect(yield* historyTypes(run.id)).toEqual(["RunStarted", "RunSucceeded"])
      }).pipe(Effect.scoped))

    it.effect("converges on duplicated and reordered deliveries", () =>
      Effect.gen(function*() {
        const { simulator } = yield* startStack()
        yield* simulator.injectDeliveryFault({ kind: "duplicate", count: 2 })
        const first = yield* Workflows.invokeWorkflow(anyInput, { n: 1 }).pipe(
          Effect.provide(workflowsFor(simulator))
        )
        yield* settledDeliveries(simulator, 4)
        yield* simulator.injectDeliveryFault({ kind: "reorder", count: 1 })
        const second = yield* Workflows.invokeWorkflow(anyInput, { n: 2 }).pipe(
          Effect.provide(workflowsFor(simulator))
        )
        const deliveries = yield* settledDeliveries(simulator, 6)
        expect(deliveries.every((attempt) => attempt.status === 200)).toBe(true)
        expect(yield* historyTypes(first.id)).toEqual(["RunStarted", "RunSucceeded"])
        expect(yield* historyTypes(second.id)).toEqual(["RunStarted", "RunSucceeded"])
      }).pipe(Effect.scoped))

    it.effect("stores an unknown event type for audit and answers 200", () =>
      Effect.gen(function*() {
        const { secret, url } = yield* startStack({ register: false })
        const eventId = newEventId()
        const body = `{"id":"${eventId}","object":"v2.core.event","type":"v2.core.account.updated","created":"${
          new Date().toISOString()
        }","livemode":false}`
        const answer = yield* deliver(url, body, { secret })
        expect(answer.status).toBe(200)
        const row = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.find(eventId))
        expect(Option.map(row, (entry) => [entry.outcome, entry.rawBody])).toEqual(Option.some(["unknown_type", body]))
      }).pipe(Effect.scoped))

    it.effect("answers 503 while Stripe fails and records the redelivery", () =>
      Effect.gen(function*() {
        const { secret, simulator, url } = yield* startStack({ register: false })
        const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
        yield* simulator.injectFault({
          match: { method: "GET", path: "/v2/extend/workflow_runs/*" },
          count: 2,
          response: { status: 500 }
        })
        const eventId = newEventId()
        const body = thinRunEvent({ eventId, runId: run.id })
        const failed = yield* deliver(url, body, { secret })
        expect(failed.status).toBe(503)
        expect(yield* historyTypes(run.id)).toEqual([])
        expect(yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.has(eventId))).toBe(false)
        const redelivered = yield* deliver(url, body, { secret })
        expect(redelivered.status).toBe(200)
        expect((yield* historyTypes(run.id))[0]).toBe("RunStarted")
      }).pipe(Effect.scoped))

    it.effect("stores an unknown run as run_not_found", () =>
      Effect.gen(function*() {
        const { secret, url } = yield* startStack({ register: false })
        const eventId = newEventId()
        const runId = `wfrun_test_unknown${crypto.randomUUID().replaceAll("-", "")}`
        const answer = yield* deliver(url, thinRunEvent({ eventId, runId }), { secret })
        expect(answer).toEqual({ status: 200, body: { received: true, outcome: "run_not_found" } })
        const row = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.find(eventId))
        expect(Option.map(row, (entry) => [entry.outcome, entry.runId])).toEqual(Option.some(["run_not_found", runId]))
        expect(yield* historyTypes(runId)).toEqual([])
      }).pipe(Effect.scoped))

    it.effect("names the missing fields of a malformed event", () =>
      Effect.gen(function*() {
        const { secret, url } = yield* startStack({ register: false })
        const answer = yield* deliver(url, `{"id":"${newEventId()}","object":"v2.core.event"}`, { secret })
        expect(answer.status).toBe(400)
        const error = answer.body.error as { type: string; message: string }
        expect(error.type).toBe("malformed_body")
        expect(error.message).toContain("type is missing")
        expect(error.message).toContain("created is missing")
      }).pipe(Effect.scoped))

    it.effect("rejects each class of bad input and appends nothing", () =>
      Effect.gen(function*() {
        const { secret, simulator, url } = yield* startStack({ register: false })
        const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
        const eventId = newEventId()
        const body = thinRunEvent({ eventId, runId: run.id })
        const answers = [
          yield* deliver(url, body, { secret: "whsec_test_not_the_secret" }),
          yield* deliver(url, body, { signature: null }),
          yield* deliver(url, body, { signature: "t=1,v1=00" }),
          yield* deliver(url, `{"id": "${eventId}", "object": "v2.core.event"`, { secret }),
          yield* deliver(url, `{"id":"${eventId}","object":"event","type":"customer.created","data":{}}`, { secret }),
          yield* deliver(url, `${body}${" ".repeat(1024 * 1024)}`, { secret })
        ]
        expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 400, 400, 413])
        expect(answers.map((answer) => (answer.body.error as { type: string }).type)).toEqual([
          "bad_signature",
          "bad_signature",
          "bad_signature",
          "malformed_body",
          "wrong_event_kind",
          "body_too_large"
        ])
        expect(yield* historyTypes(run.id)).toEqual([])
        expect(yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.has(eventId))).toBe(false)
      }).pipe(Effect.scoped))

    it.effect("two instances receiving the same notifications record each event once", () =>
      Effect.gen(function*() {
        const { secret, simulator } = yield* startStack()
        const second = yield* startProjector(simulator, [secret])
        yield* simulator.registerDestination({ url: `${second}/webhooks/stripe`, secret })
        const runs = yield* Effect.all(
          Array.from({ length: 8 }, (_, n) =>
            Workflows.invokeWorkflow(anyInput, { n }).pipe(Effect.provide(workflowsFor(simulator)))),
          { concurrency: 4 }
        )
        const deliveries = yield* settledDeliveries(simulator, 32)
        expect(deliveries.every((attempt) =>
          attempt.status === 200
        )).toBe(true)
        for (const run of runs) expect(yield* historyTypes(run.id)).toEqual(["RunStarted", "RunSucceeded"])
        const ids = new Set(deliveries.map((attempt) => attempt.eventId))
        expect(ids.size).toBe(16)
        for (const id of ids) expect(yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.has(id))).toBe(true)
      }).pipe(Effect.scoped))

    it.effect("settles a recorded attempt from its run's notification", () =>
      Effect.gen(function*() {
        const { simulator } = yield* startStack()
        const key = Invocation.IdempotencyKey.make(`test-settle-${crypto.randomUUID()}`)
        yield* recordAttempt(key, { workflow: onboard, lost: true })
        const run = yield* Workflows.invokeWorkflow(onboard, input, { idempotencyKey: key })
          .pipe(Effect.provide(workflowsFor(simulator)))
        yield* settledDeliveries(simulator, 2)
        const attempt = yield* Effect.flatMap(EventStore.EventStore, (store) => store.readInvocation(key))
        expect(attempt.events.map((event) => event._tag)).toEqual([
          "InvocationRequested",
          "InvocationOutcomeUnknown",
          "InvocationSucceeded"
        ])
        const succeeded = attempt.events[2]
        expect(succeeded?._tag === "InvocationSucceeded" ? succeeded.runId : undefined).toBe(run.id)
      }).pipe(Effect.scoped))

    it.effect("screens the inbox and the attempt in one read", () =>
      Effect.gen(function*() {
        const inbox = yield* Inbox.Inbox
        const eventId = newEventId()
        const key = Invocation.IdempotencyKey.make(`test-screen-${crypto.randomUUID()}`)
        const streams = { attempt: EventStore.invocationStream(key), run: null }
        expect(yield* inbox.screen(eventId, streams)).toEqual({
          known: false,
          attemptRequested: false,
          runStreamEmpty: false
        })
        yield* inbox.insert({ eventId, rawBody: "{}", outcome: "unknown_type", runId: null, detail: null })
        yield* recordAttempt(key, { workflow: onboard, lost: false })
        expect(yield* inbox.screen(eventId, streams)).toEqual({
          known: true,
          attemptRequested: true,
          runStreamEmpty: false
        })
        expect(yield* inbox.screen(eventId, { attempt: null, run: null })).toEqual({
          known: true,
          attemptRequested: false,
          runStreamEmpty: false
        })
      }))
    it.effect("opens one span per notification", () =>
      Effect.gen(function*() {
        const spans: Array<Tracer.Span> = []
        const inner = yield* Effect.tracer
        const recording = Tracer.make({
          span: (...args) => {
            const span = inner.span(...args)
            spans.push(span)
            return span
          },
          context: inner.context
        })
        const { secret, simulator, url } = yield* startStack({ register: false }).pipe(Effect.withTracer(recording))
        const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
        const eventId = newEventId()
        const answer = yield* deliver(url, thinRunEvent({ eventId, runId: run.id }), { secret })
        expect(answer.status).toBe(200)
        const handled = spans.filter((span) => span.name === "Webhook.handle")
        expect(handled).toHaveLength(1)
        const span = handled[0]!
        expect(Object.fromEntries(span.attributes)).toEqual({
          stripe_event_id: eventId,
          stripe_event_type: "v2.extend.workflow_run.started",
          run_id: run.id,
          "http.response.status_code": 200
        })
        const serverSpans = spans.filter((other) => other.name.startsWith("http.server"))
        expect(serverSpans.filter((other) => other.attributes.get("url.path") === "/webhooks/stripe")).toHaveLength(0)
        const retrieve = spans.filter((other) => other.name === "Workflows.retrieveWorkflowRun")
        expect(retrieve.map((other) => Option.map(other.parent, (parent) => parent === span))).toEqual([
          Option.some(true)
        ])
      }).pipe(Effect.scoped))
  })
})
