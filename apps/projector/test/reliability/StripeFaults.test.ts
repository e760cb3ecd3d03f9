import { afterAll, describe, expect, layer } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import { Projector } from "@workflow-runs/projector"
import { DefaultWorkflows, type Fault, Simulator } from "@workflow-runs/simulator"
import { EventStore, Invocation, RecordingWorkflows } from "@workflow-runs/store"
import { Workflows } from "@workflow-runs/stripe"
import { type Duration, Effect, Layer, Redacted } from "effect"
import { randomUUID } from "node:crypto"
import { database, settledDeliveries, startStack } from "../support/harness.js"
import { count, postgresVersion, recordFigures } from "./support/figures.js"
import { awaitComparison, isComplete, verifyLog } from "./support/groundTruth.js"

// Stripe's API misbehaves on invoke and retrieve: 429 bursts, 500s with and without
// `Stripe-Should-Retry`, a connection dropped after the invoke committed, answers slower than
// the timeout. Each case checks the simulator's request log (bounded attempts, one idempotency
// key), the simulator's runs (exactly one per invocation) and the log (nothing twice).

const maxRetries = 3
const attemptsPerCall = maxRetries + 1
// Attempts time out after 10 s, long enough that a loaded machine never abandons a normal
// attempt, except in the slow cases, where they time out after 1 s against 2 s answers.
const timeout = "10 seconds"
const slowTimeout = "1 second"
const slowMs = 2_000

// A slow request that the client abandoned could only act once its latency has passed, so a
// check that no second run appeared waits that long first.
const outlastSlowRequests = Effect.sleep(`${slowMs + 200} millis`)

const tally = {
  cases: 0,
  faultsInjected: 0,
  apiRequests: 0,
  invocations: 0,
  runsExpected: 0,
  runsFound: 0,
  eventsExpected: 0,
  eventsFound: 0,
  typedErrors: new Map<string, number>(),
  postgres: ""
}

const noteError = (tag: string) => tally.typedErrors.set(tag, (tally.typedErrors.get(tag) ?? 0) + 1)

// A simulator with one workflow whose runs stay `started`, so every snapshot of a run is the
// same and the log's expected content does not depend on timing.
const setUpWith = (attemptTimeout: Duration.DurationInput) =>
  Effect.gen(function*() {
    const simulator = yield* Simulator.make({})
    const workflow = yield* simulator.defineWorkflow({ title: "Held run", script: { outcome: "hold" } })
    const adapter = Workflows.layer({
      apiKey: Redacted.make(simulator.apiKey),
      apiBase: simulator.url,
      maxRetries,
      retryBaseDelay: "10 millis",
      retryMaxDelay: "40 millis",
      timeout: attemptTimeout
    })
    return {
      simulator,
      workflowId: workflow.id,
      invokePath: `/v2/extend/workflows/${workflow.id}/invoke`,
      adapter,
      recording: RecordingWorkflows.layer.pipe(Layer.provideMerge(adapter))
    }
  })

const setUp = setUpWith(timeout)

const idempotencyKeyOf = (event: Readonly<Record<string, unknown>>) =>
  (event.reason as { readonly request?: { readonly idempotency_key?: string } } | undefined)?.request
    ?.idempotency_key

// What the simulator and the log hold for one idempotency key.
const observe = (simulator: Simulator.Service, key: string) =>
  Effect.gen(function*() {
    const store = yield* EventStore.EventStore
    const requests = (yield* simulator.requests).filter((request) => request.idempotencyKey === key)
    const runIds = (yield* simulator.events())
      .filter((event) => event.type === "v2.extend.workflow_run.started" && idempotencyKeyOf(event) === key)
      .map((event) => (event.related_object as { readonly id: string }).id)
    const invocation = yield* store.readStream(EventStore.invocationStream(Invocation.IdempotencyKey.make(key)))
    const runEvents = yield* Effect.forEach(
      runIds,
      (runId) => store.readStream(EventStore.runStream(Ids.WorkflowRunId.make(runId)))
    )
    return {
      statuses: requests.map((request) => request.status),
      faults: requests.map((request) => request.fault),
      runIds,
      invocation: invocation.map((event) => event.type),
      runEvents: runEvents.map((events) => events.map((event) => event.type))
    }
  })

type Observation = Effect.Effect.Success<ReturnType<typeof observe>>

// Adds a finished case to the figures: every request it made, the faults among them, and the
// runs and run events expected (one run, one `RunStarted`) against those found. `abandoned`
// counts slow attempts the client gave up on, which the simulator drops without a record.
const tallyCase = (observation: Observation, runsExpected: number, abandoned = 0) => {
  tally.cases++
  tally.invocations++
  tally.apiRequests += observation.statuses.length + abandoned
  tally.faultsInjected += count(observation.faults, (fault) => fault !== null) + abandoned
  tally.runsExpected += runsExpected
  tally.runsFound += observation.runIds.length
  tally.eventsExpected += runsExpected
  tally.eventsFound += observation.runEvents.reduce((total, events) => total + events.length, 0)
}

const faultOn = (path: string, fault: Omit<Fault.HttpFaultInput, "match">): Fault.HttpFaultInput => ({
  match: { method: "POST", path },
  ...fault
})

afterAll(() =>
  Effect.runPromise(recordFigures("stripe-faults", {
    cases: tally.cases,
    invocations: tally.invocations,
    faultsInjected: tally.faultsInjected,
    apiRequests: tally.apiRequests,
    runsExpected: tally.runsExpected,
    runsFound: tally.runsFound,
    eventsExpected: tally.eventsExpected,
    eventsFound: tally.eventsFound,
    typedErrors: [...tally.typedErrors.entries()].map(([tag, n]) => `${tag} x${n}`).join(", "),
    maxRetries,
    attemptTimeout: timeout,
    slowAttemptTimeout: slowTimeout,
    slowAnswerMs: slowMs,
    postgres: tally.postgres
  }))
)

describe("Stripe API faults", () => {
  layer(Projector.services.pipe(Layer.provideMerge(database)), { timeout: 120_000, excludeTestServices: true })(
    (it) => {
      it.effect("retries a 429 burst with one key", () =>
        Effect.gen(function*() {
          const { invokePath, recording, simulator, workflowId } = yield* setUp
          yield* simulator.injectFault(faultOn(invokePath, { count: maxRetries, response: { status: 429 } }))
          const key = `faults-${randomUUID()}`
          const run = yield* RecordingWorkflows.invokeWorkflow(workflowId, { n: 1 }, { idempotencyKey: key }).pipe(
            Effect.provide(recording)
          )
          const seen = yield* observe(simulator, key)
          tallyCase(seen, 1)
          expect(seen.statuses).toEqual([429, 429, 429, 200])
          expect(seen.runIds).toEqual([run.id])
          expect(seen.invocation).toEqual(["InvocationRequested", "InvocationSucceeded"])
          expect(seen.runEvents).toEqual([["RunStarted"]])
        }).pipe(Effect.scoped))

      it.effect("fails a longer 429 burst typed", () =>
        Effect.gen(function*() {
          const { invokePath, recording, simulator, workflowId } = yield* setUp
          yield* simulator.injectFault(faultOn(invokePath, { count: 10, response: { status: 429 } }))
          const key = `faults-${randomUUID()}`
          const error = yield* RecordingWorkflows.invokeWorkflow(workflowId, { n: 2 }, { idempotencyKey: key }).pipe(
            Effect.provide(recording),
            Effect.flip
          )
          noteError(error._tag)
          expect(error._tag).toBe("StripeRateLimitError")
          const seen = yield* observe(simulator, key)
          tallyCase(seen, 0)
          expect(seen.statuses).toEqual(Array(attemptsPerCall).fill(429))
          expect(seen.runIds).toEqual([])
          expect(seen.invocation).toEqual(["InvocationRequested", "InvocationOutcomeUnknown"])
        }).pipe(Effect.scoped))

      it.effect("retries a 500 that Stripe-Should-Retry allows", () =>
        Effect.gen(function*() {
          const { invokePath, recording, simulator, workflowId } = yield* setUp
          yield* simulator.injectFault(
            faultOn(invokePath, { count: 2, response: { status: 500, headers: { "stripe-should-retry": "true" } } })
          )
          const key = `faults-${randomUUID()}`
          yield* RecordingWorkflows.invokeWorkflow(workflowId, { n: 3 }, { idempotencyKey: key }).pipe(
            Effect.provide(recording)
          )
          const seen = yield* observe(simulator, key)
          tallyCase(seen, 1)
          expect(seen.statuses).toEqual([500, 500, 200])
          expect(seen.runIds).toHaveLength(1)
          expect(seen.invocation).toEqual(["InvocationRequested", "InvocationSucceeded"])
          expect(seen.runEvents).toEqual([["RunStarted"]])
        }).pipe(Effect.scoped))

      it.effect("stops at a 500 with Stripe-Should-Retry false", () =>
        Effect.gen(function*() {
          const { invokePath, recording, simulator, workflowId } = yield* setUp
          yield* simulator.injectFault(
            faultOn(invokePath, { count: 5, response: { status: 500, headers: { "stripe-should-retry": "false" } } })
          )
          const key = `faults-${randomUUID()}`
          const error = yield* RecordingWorkflows.invokeWorkflow(workflowId, { n: 4 }, { idempotencyKey: key }).pipe(
            Effect.provide(recording),
            Effect.flip
          )
          noteError(error._tag)
          expect(error._tag).toBe("StripeApiError")
          const seen = yield* observe(simulator, key)
          tallyCase(seen, 0)
          expect(seen.statuses).toEqual([500])
          expect(seen.runIds).toEqual([])
          expect(seen.invocation).toEqual(["InvocationRequested", "InvocationOutcomeUnknown"])
        }).pipe(Effect.scoped))

      it.effect("retries 500s without the header until they run out", () =>
        Effect.gen(function*() {
          const { invokePath, recording, simulator, workflowId } = yield* setUp
          yield* simulator.injectFault(faultOn(invokePath, { count: 10, response: { status: 500 } }))
          const key = `faults-${randomUUID()}`
          const error = yield* RecordingWorkflows.invokeWorkflow(workflowId, { n: 5 }, { idempotencyKey: key }).pipe(
            Effect.provide(recording),
            Effect.flip
          )
          noteError(error._tag)
          expect(error._tag).toBe("StripeApiError")
          const failed = yield* observe(simulator, key)
          expect(failed.statuses).toEqual(Array(attemptsPerCall).fill(500))

          // Once Stripe recovers, settling the attempt with its key starts the one run.
          yield* simulator.clearFaults
          const run = yield* RecordingWorkflows.retryInvocation(key).pipe(Effect.provide(recording))
          const seen = yield* observe(simulator, key)
          tallyCase(seen, 1)
          expect(seen.statuses).toEqual([...Array(attemptsPerCall).fill(500), 200])
          expect(seen.runIds).toEqual([run.id])
          expect(seen.invocation).toEqual(["InvocationRequested", "InvocationOutcomeUnknown", "InvocationSucceeded"])
          expect(seen.runEvents).toEqual([["RunStarted"]])
        }).pipe(Effect.scoped))

      it.effect("replays an invoke whose answer was dropped", () =>
        Effect.gen(function*() {
          const { invokePath, recording, simulator, workflowId } = yield* setUp
          yield* simulator.injectFault(faultOn(invokePath, { drop: "after_commit" }))
          const key = `faults-${randomUUID()}`
          const run = yield* RecordingWorkflows.invokeWorkflow(workflowId, { n: 6 }, { idempotencyKey: key }).pipe(
            Effect.provide(recording)
          )
          const seen = yield* observe(simulator, key)
          tallyCase(seen, 1)
          expect(seen.faults).toEqual(["after_commit", null])
          expect(seen.statuses).toEqual([null, 200])
          expect(seen.runIds).toEqual([run.id])
          expect(seen.invocation).toEqual(["InvocationRequested", "InvocationSucceeded"])
          expect(seen.runEvents).toEqual([["RunStarted"]])
        }).pipe(Effect.scoped))

      it.effect("settles an invoke dropped on every attempt once", () =>
        Effect.gen(function*() {
          const { invokePath, recording, simulator, workflowId } = yield* setUp
          yield* simulator.injectFault(faultOn(invokePath, { count: attemptsPerCall, drop: "after_commit" }))
          const key = `faults-${randomUUID()}`
          const error = yield* RecordingWorkflows.invokeWorkflow(workflowId, { n: 7 }, { idempotencyKey: key }).pipe(
            Effect.provide(recording),
            Effect.flip
          )
          noteError(error._tag)
          expect(error._tag).toBe("StripeConnectionError")
          expect(error._tag === "StripeConnectionError" ? error.attempts : 0).toBe(attemptsPerCall)
          const lost = yield* observe(simulator, key)
          // The first attempt started the run; the others replayed it.
          expect(lost.runIds).toHaveLength(1)
          expect(lost.runEvents).toEqual([[]])
          expect(lost.invocation).toEqual(["InvocationRequested", "InvocationOutcomeUnknown"])

          const first = yield* RecordingWorkflows.retryInvocation(key).pipe(Effect.provide(recording))
          const second = yield* RecordingWorkflows.retryInvocation(key).pipe(Effect.provide(recording))
          const seen = yield* observe(simulator, key)
          tallyCase(seen, 1)
          expect(second.id).toBe(first.id)
          expect(seen.runIds).toEqual([first.id])
          expect(seen.statuses).toEqual([...Array(attemptsPerCall).fill(null), 200, 200])
          expect(seen.invocation).toEqual(["InvocationRequested", "InvocationOutcomeUnknown", "InvocationSucceeded"])
          expect(seen.runEvents).toEqual([["RunStarted"]])
        }).pipe(Effect.scoped))

      it.effect("retries an invoke slower than the timeout", () =>
        Effect.gen(function*() {
          const { invokePath, recording, simulator, workflowId } = yield* setUpWith(slowTimeout)
          yield* simulator.injectFault(faultOn(invokePath, { latency_ms: slowMs }))
          const key = `faults-${randomUUID()}`
          const run = yield* RecordingWorkflows.invokeWorkflow(workflowId, { n: 8 }, { idempotencyKey: key }).pipe(
            Effect.provide(recording)
          )
          yield* outlastSlowRequests
          const seen = yield* observe(simulator, key)
          tallyCase(seen, 1, 1)
          // The client gave up on the slow attempt, so the simulator dropped it unhandled.
          expect(seen.statuses.length).toBeGreaterThanOrEqual(1)
          expect(seen.statuses.filter((status) => status !== 200)).toEqual([])
          expect(seen.runIds).toEqual([run.id])
          expect(seen.invocation).toEqual(["InvocationRequested", "InvocationSucceeded"])
          expect(seen.runEvents).toEqual([["RunStarted"]])
        }).pipe(Effect.scoped))

      it.effect("fails typed when every attempt is slower than the timeout", () =>
        Effect.gen(function*() {
          const { invokePath, recording, simulator, workflowId } = yield* setUpWith(slowTimeout)
          yield* simulator.injectFault(faultOn(invokePath, { count: attemptsPerCall, latency_ms: slowMs }))
          const key = `faults-${randomUUID()}`
          const error = yield* RecordingWorkflows.invokeWorkflow(workflowId, { n: 9 }, { idempotencyKey: key }).pipe(
            Effect.provide(recording),
            Effect.flip
          )
          noteError(error._tag)
          expect(error._tag).toBe("StripeConnectionError")
          expect(error._tag === "StripeConnectionError" ? error.reason : "").toBe("Timeout")
          expect(error._tag === "StripeConnectionError" ? error.attempts : 0).toBe(attemptsPerCall)
          yield* outlastSlowRequests
          const lost = yield* observe(simulator, key)
          expect(lost.runIds).toEqual([])
          expect(lost.invocation).toEqual(["InvocationRequested", "InvocationOutcomeUnknown"])

          const run = yield* RecordingWorkflows.retryInvocation(key).pipe(Effect.provide(recording))
          const seen = yield* observe(simulator, key)
          tallyCase(seen, 1, attemptsPerCall)
          expect(seen.runIds).toEqual([run.id])
          expect(seen.statuses.length).toBeGreaterThanOrEqual(1)
          expect(seen.statuses.filter((status) => status !== 200)).toEqual([])
          expect(seen.invocation).toEqual(["InvocationRequested", "InvocationOutcomeUnknown", "InvocationSucceeded"])
          expect(seen.runEvents).toEqual([["RunStarted"]])
        }).pipe(Effect.scoped))

      it.effect("retrieves through bounded retries and fails typed", () =>
        Effect.gen(function*() {
          const { adapter, simulator, workflowId } = yield* setUpWith(slowTimeout)
          const run = yield* simulator.startRun({ workflow: workflowId, trigger: "dashboard" })
          const path = `/v2/extend/workflow_runs/${run.id}`
          const retrieve = Workflows.retrieveWorkflowRun(run.id).pipe(Effect.provide(adapter))
          const retrieves = Effect.map(
            simulator.requests,
            (requests) => requests.filter((request) => request.path === path)
          )

          yield* simulator.injectFault({ match: { method: "GET", path }, count: 2, response: { status: 429 } })
          expect((yield* retrieve).id).toBe(run.id)
          yield* simulator.injectFault({ match: { method: "GET", path }, count: 10, response: { status: 503 } })
          const unavailable = yield* Effect.flip(retrieve)
          yield* simulator.clearFaults
          yield* simulator.injectFault({ match: { method: "GET", path }, count: attemptsPerCall, latency_ms: slowMs })
          const slow = yield* Effect.flip(retrieve)
          noteError(unavailable._tag)
          noteError(slow._tag)

          yield* eventuallyCount(retrieves, 3 + attemptsPerCall * 2)
          const requests = yield* retrieves
          tally.cases++
          tally.apiRequests += requests.length
          tally.faultsInjected += count(requests, (request) => request.fault !== null)
          expect(unavailable._tag).toBe("StripeApiError")
          expect(slow._tag).toBe("StripeConnectionError")
          expect(requests.map((request) => request.status).slice(0, 3 + attemptsPerCall)).toEqual([
            429,
            429,
            200,
            ...Array(attemptsPerCall).fill(503)
          ])
          expect(requests).toHaveLength(3 + attemptsPerCall * 2)
        }).pipe(Effect.scoped))
    }
  )

  // Its own database, because it compares the whole log with the simulator's runs.
  layer(Projector.services.pipe(Layer.provideMerge(database)), { timeout: 120_000, excludeTestServices: true })(
    (it) => {
      it.effect("projector answers 503 while retrieve fails", () =>
        Effect.gen(function*() {
          const { simulator } = yield* startStack({
            deliveryRetryDelays: Array(20).fill("100 millis")
          })
          // The projector's adapter makes 2 attempts per retrieve, so 8 failed attempts fail up to
          // 4 deliveries with 503; the simulator delivers those again.
          const path = "/v2/extend/workflow_runs/*"
          yield* simulator.injectFault({ match: { method: "GET", path }, count: 6, response: { status: 500 } })
          yield* simulator.injectFault({ match: { method: "GET", path }, count: 2, drop: "before_commit" })
          const runs = yield* Effect.forEach(
            [1, 2, 3, 4, 5],
            () =>
              simulator.startRun({
                workflow: DefaultWorkflows.anyInput,
                trigger: "dashboard"
              })
          )
          const comparison = yield* awaitComparison(simulator, isComplete, 30_000)
          const deliveries = yield* settledDeliveries(simulator, comparison.notificationsPublished)
          const verified = yield* verifyLog
          const requests = yield* simulator.requests
          tally.cases++
          tally.apiRequests += count(requests, (request) => !request.path.startsWith("/_simulator"))
          tally.faultsInjected += count(requests, (request) => request.fault !== null)
          tally.runsExpected += runs.length
          tally.runsFound += comparison.runs
          tally.eventsExpected += comparison.eventsExpected
          tally.eventsFound += comparison.eventsFound
          expect(count(requests, (request) => request.fault !== null)).toBe(8)
          expect(count(deliveries, (attempt) => attempt.status === 503)).toBeGreaterThanOrEqual(1)
          expect(comparison.missing).toEqual([])
          expect(comparison.unexpected).toEqual([])
          expect(comparison.eventsFound).toBe(runs.length * 2)
          expect(verified.ok).toBe(true)
          tally.postgres = yield* postgresVersion
        }).pipe(Effect.scoped))
    }
  )
})

const eventuallyCount = <A>(read: Effect.Effect<ReadonlyArray<A>>, n: number) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 10_000
    while ((yield* read).length < n) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`Timed out waiting for ${n} requests`)
      yield* Effect.sleep("25 millis")
    }
  })
