import { describe, expect, layer as withLayer } from "@effect/vitest"
import type { Ids } from "@workflow-runs/core"
import { WorkflowsError } from "@workflow-runs/core"
import { StripeError, Workflows, WorkflowsTest } from "@workflow-runs/stripe"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { randomUUID } from "node:crypto"
import * as EventStore from "../../src/EventStore.js"
import * as Invocation from "../../src/Invocation.js"
import * as RecordingWorkflows from "../../src/RecordingWorkflows.js"
import { newKey } from "./fixtures.js"

/** The in-memory Workflows API under the recording layer, for tests that must bypass recording. */
export class Underlying extends Context.Tag("test/Underlying")<Underlying, Workflows.Service>() {}

/** The recording layer over `Workflows.layerTest` and `store`, with the test controls. */
export const recordingLayer = <E>(store: Layer.Layer<EventStore.EventStore, E>) =>
  Layer.merge(RecordingWorkflows.layer, Layer.effect(Underlying, Workflows.Workflows)).pipe(
    Layer.provideMerge(Workflows.layerTest()),
    Layer.provideMerge(store)
  )

/**
 * Runs `effect` with an in-memory Workflows API of its own over the store in context, for tests
 * that make the next call fail: the API's `failNextCall` applies to whichever call comes next.
 */
export const withOwnApi = <A, E>(
  effect: Effect.Effect<
    A,
    E,
    | RecordingWorkflows.RecordingWorkflows
    | Workflows.Workflows
    | WorkflowsTest.WorkflowsTest
    | Underlying
    | EventStore.EventStore
  >
) =>
  Effect.flatMap(
    Effect.context<EventStore.EventStore>(),
    (context) => Effect.provide(effect, recordingLayer(Layer.succeedContext(context)))
  )

/** The event types of a stream, in version order. */
export const typesOf = (stream: string) =>
  Effect.flatMap(EventStore.EventStore, (store) => store.readStream(stream)).pipe(
    Effect.map((events) => events.map((event) => event.type))
  )

/** Defines a fresh active workflow with a manual trigger and returns its id. */
export const newWorkflow = (definition: WorkflowsTest.WorkflowDefinition = {}) =>
  Effect.flatMap(
    WorkflowsTest.WorkflowsTest,
    (control) => control.defineWorkflow({ id: `wf_rec_${randomUUID()}`, ...definition })
  ).pipe(
    Effect.map((workflow) => workflow.id)
  )

/** The runs the in-memory API holds for `workflowId`. */
export const runsOf = (workflowId: Ids.WorkflowId) =>
  Effect.flatMap(WorkflowsTest.WorkflowsTest, (control) => control.runs).pipe(
    Effect.map((runs) => runs.filter((run) => run.workflow === workflowId))
  )

const connectionError = new StripeError.StripeConnectionError({
  reason: "Transport",
  method: "POST",
  path: "/v2/extend/workflows/invoke",
  attempts: 3,
  message: "socket hang up"
})

/** Makes the next call of the in-memory API fail with `response`, and keeps `workflowId`. */
const failNext = (response: WorkflowsTest.ErrorResponse) => (workflowId: Ids.WorkflowId) =>
  Effect.as(Effect.flatMap(WorkflowsTest.WorkflowsTest, (control) => control.failNextCall(response)), workflowId)

/** The rejections an invoke can record, and how each is produced against the in-memory API. */
const rejections: ReadonlyArray<{
  readonly name: string
  readonly tag: string
  readonly code: string
  readonly setup: (workflowId: Ids.WorkflowId) => Effect.Effect<Ids.WorkflowId, never, WorkflowsTest.WorkflowsTest>
}> = [
  {
    name: "invalid input parameters",
    tag: "InvalidWorkflowInputParameters",
    code: "invalid_workflow_input_parameters",
    setup: () => newWorkflow({ inputs: { amount: { type: "integer", required: true } } })
  },
  {
    name: "workflow not invokable",
    tag: "WorkflowNotInvokable",
    code: "workflow_not_invokable",
    setup: () => newWorkflow({ status: "inactive" })
  },
  {
    name: "workflow not found",
    tag: "WorkflowNotFound",
    code: "not_found",
    setup: () => Effect.succeed(`wf_missing_${randomUUID()}` as Ids.WorkflowId)
  },
  {
    name: "idempotency conflict",
    tag: "IdempotencyConflict",
    code: "idempotency_error",
    setup: failNext({ status: 409, type: "idempotency_error", code: "idempotency_error" })
  },
  {
    name: "authentication",
    tag: "StripeAuthenticationError",
    code: "api_key_invalid",
    setup: failNext({ status: 401, type: "invalid_request_error", code: "api_key_invalid" })
  },
  {
    name: "permission",
    tag: "StripePermissionError",
    code: "permission_denied",
    setup: failNext({ status: 403, type: "invalid_request_error", code: "permission_denied" })
  },
  {
    name: "missing api version",
    tag: "StripeApiError",
    code: "missing_api_version",
    setup: failNext({ status: 400, type: "invalid_request_error", code: "missing_api_version" })
  }
]

/** The behaviour of the recording layer over any implementation of EventStore. */
export const recordingContract = <E>(name: string, store: Layer.Layer<EventStore.EventStore, E>) =>
  describe(`recording over the ${name}`, () => {
    withLayer(recordingLayer(store), { timeout: 120_000, excludeTestServices: true })((it) => {
      it.effect("records request, transitions and success in order", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const workflowId = yield* newWorkflow()
          const run = yield* RecordingWorkflows.invokeWorkflow(workflowId, { order_id: "o-1" }, { actor: "clerk-7" })

          const runEvents = yield* store.readStream(EventStore.runStream(run.id))
          expect(runEvents.map((event) => event.type)).toEqual(["RunStarted"])
          const key = runEvents[0]!.metadata.idempotencyKey as Invocation.IdempotencyKey
          expect(typeof key).toBe("string")
          expect(runEvents[0]!.metadata).toEqual({
            idempotencyKey: key,
            causationId: Invocation.invocationEventId(key, "requested"),
            correlationId: key,
            source: "invoke",
            actor: "clerk-7"
          })

          const attempt = yield* store.readStream(EventStore.invocationStream(key))
          expect(attempt.map((event) => event.type)).toEqual(["InvocationRequested", "InvocationSucceeded"])
          expect(attempt[0]!.data).toMatchObject({
            workflow: workflowId,
            inputParameters: { order_id: "o-1" },
            actor: "clerk-7"
          })
          expect(attempt[0]!.metadata).toEqual({
            idempotencyKey: key,
            correlationId: key,
            source: "invoke",
            actor: "clerk-7"
          })
          expect(attempt[1]!.data).toMatchObject({ runId: run.id })
          expect(attempt[1]!.metadata).toEqual(runEvents[0]!.metadata)
          expect(attempt[0]!.position < runEvents[0]!.position).toBe(true)
          expect(runEvents[0]!.position < attempt[1]!.position).toBe(true)
        }))

      it.effect("keeps the caller's idempotency key", () =>
        Effect.gen(function*() {
          const workflowId = yield* newWorkflow()
          const key = newKey()
          const run = yield* RecordingWorkflows.invokeWorkflow(workflowId, {}, {
            idempotencyKey: key,
            correlationId: "order-o-9"
          })
          const runEvents = yield* Effect.flatMap(EventStore.EventStore, (store) =>
            store.readStream(EventStore.runStream(run.id)))
          expect(runEvents[0]!.metadata.idempotencyKey).toBe(key)
          expect(runEvents[0]!.metadata.correlationId).toBe("order-o-9")
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([
            "InvocationRequested",
            "InvocationSucceeded"
          ])
        }))

      it.effect("records one attempt and no duplicate for a replay", () =>
        Effect.gen(function*() {
          const workflowId = yield* newWorkflow()
          const key = newKey()
          const first = yield* RecordingWorkflows.invokeWorkflow(workflowId, { n: 1 }, { idempotencyKey: key })
          const second = yield* RecordingWorkflows.invokeWorkflow(workflowId, { n: 1 }, { idempotencyKey: key })
          expect(second.id).toBe(first.id)
          expect(yield* runsOf(workflowId)).toHaveLength(1)
          expect(yield* typesOf(EventStore.runStream(first.id))).toEqual(["RunStarted"])
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([
            "InvocationRequested",
            "InvocationSucceeded"
          ])
        }))

      it.effect("records one attempt for concurrent calls with one key", () =>
        Effect.gen(function*() {
          const workflowId = yield* newWorkflow()
          const key = newKey()
          const runs = yield* Effect.all(
            Array.from({ length: 8 }, () =>
              RecordingWorkflows.invokeWorkflow(workflowId, { n: 1 }, { idempotencyKey: key })),
            { concurrency: "unbounded" }
          )
          expect(
            new Set(runs.map((run) =>
              run.id
            )).size
          ).toBe(1)
          expect(yield* runsOf(workflowId)).toHaveLength(1)
          expect(yield* typesOf(EventStore.runStream(runs[0]!.id))).toEqual(["RunStarted"])
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([
            "InvocationRequested",
            "InvocationSucceeded"
          ])
        }))

      it.effect("records the terminal transition of a later replay", () =>
        Effect.gen(function*() {
          const control = yield* WorkflowsTest.WorkflowsTest
          const workflowId = yield* newWorkflow()
          const key = newKey()
          const run = yield* RecordingWorkflows.invokeWorkflow(workflowId, {}, { idempotencyKey: key })
          yield* control.completeRun(run.id)
          const replay = yield* RecordingWorkflows.invokeWorkflow(workflowId, {}, { idempotencyKey: key })
          expect(replay.status).toBe("succeeded")
          expect(yield* typesOf(EventStore.runStream(run.id))).toEqual(["RunStarted", "RunSucceeded"])
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([
            "InvocationRequested",
            "InvocationSucceeded"
          ])
        }))

      it.effect("records start and end of a run already finished", () =>
        Effect.gen(function*() {
          const control = yield* WorkflowsTest.WorkflowsTest
          const underlying = yield* Underlying
          const store = yield* EventStore.EventStore
          const workflowId = yield* newWorkflow()
          const key = newKey()
          const unrecorded = yield* underlying.invokeWorkflow(workflowId, {}, { idempotencyKey: key })
          yield* control.failRun(unrecorded.id, "card_declined")

          const run = yield* RecordingWorkflows.invokeWorkflow(workflowId, {}, { idempotencyKey: key })
          expect(run.status).toBe("failed")
          const runEvents = yield* store.readStream(EventStore.runStream(run.id))
          expect(runEvents.map((event) => event.type)).toEqual(["RunStarted", "RunFailed"])
          expect(runEvents.map((event) => event.metadata.idempotencyKey)).toEqual([key, key])
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([
            "InvocationRequested",
            "InvocationSucceeded"
          ])
        }))

      it.effect("rejects a reused key with other parameters unsent", () =>
        Effect.gen(function*() {
          const workflowId = yield* newWorkflow()
          const key = newKey()
          yield* RecordingWorkflows.invokeWorkflow(workflowId, { n: 1 }, { idempotencyKey: key })
          const error = yield* Effect.flip(
            RecordingWorkflows.invokeWorkflow(workflowId, { n: 2 }, { idempotencyKey: key })
          )
          expect(error).toBeInstanceOf(WorkflowsError.IdempotencyConflict)
          expect(error.message).toContain(key)
          expect(yield* runsOf(workflowId)).toHaveLength(1)
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([
            "InvocationRequested",
            "InvocationSucceeded"
          ])
        }))

      for (const rejection of rejections) {
        it.effect(`records a rejection: ${rejection.name}`, () =>
          withOwnApi(Effect.gen(function*() {
            const store = yield* EventStore.EventStore
            const workflowId = yield* rejection.setup(yield* newWorkflow())
            const key = newKey()
            const error = yield* Effect.flip(
              RecordingWorkflows.invokeWorkflow(workflowId, { note: "x" }, { idempotencyKey: key })
            )
            expect(error._tag).toBe(rejection.tag)

            const attempt = yield* store.readInvocation(key)
            expect(attempt.events.map((event) => event._tag)).toEqual(["InvocationRequested", "InvocationRejected"])
            const rejected = attempt.events[1] as Invocation.InvocationRejected
            expect(rejected.errorTag).toBe(rejection.tag)
            expect(rejected.code).toBe(rejection.code)
            expect(rejected.message).toBe(error.message)
            expect(rejected.requestId).toMatch(/^req_/)
          })))
      }

      it.effect("records an unknown outcome and settles it on retry", () =>
        withOwnApi(Effect.gen(function*() {
          const control = yield* WorkflowsTest.WorkflowsTest
          const store = yield* EventStore.EventStore
          const workflowId = yield* newWorkflow()
          const key = newKey()
          yield* control.failNextCall(connectionError)
          const error = yield* Effect.flip(
            RecordingWorkflows.invokeWorkflow(workflowId, { n: 1 }, { idempotencyKey: key, actor: "batch" })
          )
          expect(error._tag).toBe("StripeConnectionError")
          const unknown = yield* store.readInvocation(key)
          expect(unknown.events.map((event) => event._tag)).toEqual([
            "InvocationRequested",
            "InvocationOutcomeUnknown"
          ])
          expect(unknown.events[1]).toMatchObject({ errorTag: "StripeConnectionError", occurrence: 1 })

          const run = yield* RecordingWorkflows.retryInvocation(key)
          expect(yield* runsOf(workflowId)).toHaveLength(1)
          expect(yield* typesOf(EventStore.runStream(run.id))).toEqual(["RunStarted"])
          const settled = yield* store.readStream(EventStore.invocationStream(key))
          expect(settled.map((event) => event.type)).toEqual([
            "InvocationRequested",
            "InvocationOutcomeUnknown",
            "InvocationSucceeded"
          ])
          expect(settled[2]!.metadata).toMatchObject({ source: "retry", actor: "batch", idempotencyKey: key })
        })))

      it.effect("counts repeated unknown outcomes", () =>
        withOwnApi(Effect.gen(function*() {
          const control = yield* WorkflowsTest.WorkflowsTest
          const workflowId = yield* newWorkflow()
          const key = newKey()
          yield* control.failNextCall({ status: 500, type: "api_error", code: "internal" })
          yield* Effect.flip(RecordingWorkflows.invokeWorkflow(workflowId, {}, { idempotencyKey: key }))
          yield* control.failNextCall({ status: 429, type: "rate_limit", code: "rate_limited" })
          const error = yield* Effect.flip(RecordingWorkflows.retryInvocation(key))
          expect(error._tag).toBe("StripeRateLimitError")
          const attempt = yield* Effect.flatMap(EventStore.EventStore, (store) => store.readInvocation(key))
          expect(attempt.events.map((event) => event._tag)).toEqual([
            "InvocationRequested",
            "InvocationOutcomeUnknown",
            "InvocationOutcomeUnknown"
          ])
          expect(attempt.events.slice(1)).toMatchObject([
            { errorTag: "StripeApiError", occurrence: 1 },
            { errorTag: "StripeRateLimitError", occurrence: 2 }
          ])
        })))

      it.effect("never records an unknown outcome after a success", () =>
        withOwnApi(Effect.gen(function*() {
          const control = yield* WorkflowsTest.WorkflowsTest
          const workflowId = yield* newWorkflow()
          const key = newKey()
          yield* RecordingWorkflows.invokeWorkflow(workflowId, {}, { idempotencyKey: key })
          yield* control.failNextCall(connectionError)
          const error = yield* Effect.flip(RecordingWorkflows.retryInvocation(key))
          expect(error._tag).toBe("StripeConnectionError")
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([
            "InvocationRequested",
            "InvocationSucceeded"
          ])
        })))

      it.effect("settles an unknown attempt from a notification", () =>
        withOwnApi(Effect.gen(function*() {
          const control = yield* WorkflowsTest.WorkflowsTest
          const underlying = yield* Underlying
          const workflowId = yield* newWorkflow()
          const key = newKey()
          const unrecorded = yield* underlying.invokeWorkflow(workflowId, {}, { idempotencyKey: key })
          yield* control.failNextCall(connectionError)
          yield* Effect.flip(RecordingWorkflows.invokeWorkflow(workflowId, {}, { idempotencyKey: key }))

          const metadata = { idempotencyKey: key, source: "notification" }
          expect(yield* RecordingWorkflows.recordSucceeded(key, unrecorded.id, metadata)).toBe(true)
          expect(yield* RecordingWorkflows.recordSucceeded(key, unrecorded.id, metadata)).toBe(false)
          const attempt = yield* Effect.flatMap(EventStore.EventStore, (store) => store.readInvocation(key))
          expect(attempt.events.map((event) => event._tag)).toEqual([
            "InvocationRequested",
            "InvocationOutcomeUnknown",
            "InvocationSucceeded"
          ])
          expect(attempt.events[2]).toMatchObject({ runId: unrecorded.id })
        })))

      it.effect("leaves an unrecorded key alone on success", () =>
        Effect.gen(function*() {
          const key = newKey()
          const runId = `wfrun_missing_${randomUUID()}` as Ids.WorkflowRunId
          expect(yield* RecordingWorkflows.recordSucceeded(key, runId)).toBe(false)
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([])
        }))

      it.effect("stores parameters as the input schema encodes them", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const workflowId = yield* newWorkflow()
          const key = newKey()
          const inputSchema = Schema.Struct({ amount: Schema.NumberFromString, note: Schema.optional(Schema.String) })
          yield* RecordingWorkflows.invokeWorkflow(workflowId, { amount: 12.5 }, { idempotencyKey: key, inputSchema })
          const attempt = yield* store.readInvocation(key)
          expect(attempt.events[0]).toMatchObject({ inputParameters: { amount: "12.5" } })
        }))

      it.effect("records nothing for parameters the schema rejects", () =>
        Effect.gen(function*() {
          const workflowId = yield* newWorkflow()
          const key = newKey()
          const inputSchema = Schema.Struct({ amount: Schema.Positive })
          const error = yield* Effect.flip(
            RecordingWorkflows.invokeWorkflow(workflowId, { amount: -1 }, { idempotencyKey: key, inputSchema })
          )
          expect(error._tag).toBe("InvalidWorkflowInputParameters")
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([])
          expect(yield* runsOf(workflowId)).toHaveLength(0)
        }))

      it.effect("fails a retry of an unrecorded key", () =>
        Effect.gen(function*() {
          const key = newKey()
          const error = yield* Effect.flip(RecordingWorkflows.retryInvocation(key))
          expect(error._tag).toBe("InvocationNotFound")
          expect(error.message).toContain(key)
        }))

      it.effect("rejects an invalid idempotency key unsent", () =>
        Effect.gen(function*() {
          const workflowId = yield* newWorkflow()
          const error = yield* Effect.flip(
            RecordingWorkflows.invokeWorkflow(workflowId, {}, { idempotencyKey: "x".repeat(256) })
          )
          expect(error._tag).toBe("InvalidIdempotencyKey")
          if (error._tag !== "InvalidIdempotencyKey") return
          expect(error.reason).toContain("at most 255 characters")
          expect(yield* runsOf(workflowId)).toHaveLength(0)
        }))

      it.effect("records invokes through the Workflows tag", () =>
        Effect.gen(function*() {
          const workflowId = yield* newWorkflow()
          const key = newKey()
          const run = yield* Workflows.invokeWorkflow(workflowId, { via: "tag" }, { idempotencyKey: key })
          expect(yield* typesOf(EventStore.runStream(run.id))).toEqual(["RunStarted"])
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([
            "InvocationRequested",
            "InvocationSucceeded"
          ])
        }))

      it.effect("passes retrieve calls through", () =>
        Effect.gen(function*() {
          const workflowId = yield* newWorkflow()
          const run = yield* RecordingWorkflows.invokeWorkflow(workflowId, {})
          const retrieved = yield* Workflows.retrieveWorkflowRun(run.id)
          expect(retrieved.id).toBe(run.id)
          expect((yield* Workflows.retrieveWorkflow(workflowId)).id).toBe(workflowId)
        }))
    })
  })
