import { describe, expect, layer as withLayer } from "@effect/vitest"
import type { Ids } from "@workflow-runs/core"
import { Workflows, WorkflowsTest } from "@workflow-runs/stripe"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { invokeRequests, withServer } from "../../stripe/test/utils/live.js"
import type * as StripeServer from "../../stripe/test/utils/StripeServer.js"
import * as EventStore from "../src/EventStore.js"
import * as MemoryEventStore from "../src/MemoryEventStore.js"
import * as RecordingWorkflows from "../src/RecordingWorkflows.js"
import * as RunLog from "../src/RunLog.js"
import { StoreError } from "../src/StoreError.js"
import { pgStore } from "./support/database.js"
import { newKey } from "./support/fixtures.js"
import { newWorkflow, recordingContract, recordingLayer, typesOf, withOwnApi } from "./support/recording.js"

/**
 * Runs `body` against a fresh scripted server, through the live adapter without retries and the
 * recording layer over the store and audit queries in context.
 */
const overHttp = <A, E>(
  body: (
    server: StripeServer.StripeServer
  ) => Effect.Effect<
    A,
    E,
    RecordingWorkflows.RecordingWorkflows | Workflows.Workflows | EventStore.EventStore | RunLog.RunLog | Scope.Scope
  >
) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<EventStore.EventStore | RunLog.RunLog>()
    return yield* withServer(
      (server) => body(server).pipe(Effect.provide(RecordingWorkflows.layer), Effect.provide(context)),
      { maxRetries: 0 }
    )
  }).pipe(Effect.scoped)

recordingContract("memory store", MemoryEventStore.layer)
recordingContract("postgres store", pgStore)

describe("recording in PostgreSQL", () => {
  withLayer(Layer.provideMerge(RunLog.layer, pgStore), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("shows attempt and run in the audit queries", () =>
      Effect.gen(function*() {
        const runLog = yield* RunLog.RunLog
        const key = newKey()
        const { run, workflowId } = yield* Effect.gen(function*() {
          const workflowId = yield* newWorkflow()
          const run = yield* RecordingWorkflows.invokeWorkflow(workflowId, { order_id: "o-5" }, {
            idempotencyKey: key,
            actor: "auditor-test"
          })
          return { run, workflowId }
        }).pipe(withOwnApi)

        const history = yield* runLog.history(run.id)
        expect(history.events.map((event) => event.type)).toEqual(["RunStarted"])
        expect(history.events[0]!.metadata).toMatchObject({ idempotencyKey: key, actor: "auditor-test" })
        expect(Option.map(history.run, (summary) => summary.status)).toEqual(Option.some("started"))

        const page = yield* runLog.invocations({ workflowId })
        expect(page.items).toHaveLength(1)
        expect(page.items[0]).toMatchObject({
          idempotencyKey: key,
          outcome: "succeeded",
          runId: run.id,
          actor: "auditor-test",
          inputParameters: { order_id: "o-5" }
        })
      }))

    it.effect("lists unknown attempts until a retry settles them", () =>
      Effect.gen(function*() {
        const runLog = yield* RunLog.RunLog
        const key = newKey()
        const workflowId = yield* Effect.gen(function*() {
          const control = yield* WorkflowsTest.WorkflowsTest
          const workflowId = yield* newWorkflow()
          yield* control.failNextCall({ status: 503, type: "api_error", code: "unavailable" })
          yield* Effect.flip(RecordingWorkflows.invokeWorkflow(workflowId, {}, { idempotencyKey: key }))

          const unknown = yield* runLog.invocations({ workflowId, outcome: "unknown" })
          expect(unknown.items.map((item) => item.idempotencyKey)).toEqual([key])
          expect(unknown.items[0]!.error).toMatchObject({ tag: "StripeApiError" })

          for (const item of unknown.items) yield* RecordingWorkflows.retryInvocation(item.idempotencyKey)
          return workflowId
        }).pipe(withOwnApi)

        expect((yield* runLog.invocations({ workflowId, outcome: "unknown" })).items).toHaveLength(0)
        const settled = yield* runLog.invocations({ workflowId })
        expect(settled.items.map((item) => item.outcome)).toEqual(["succeeded"])
      }))

    it.effect("invokes over HTTP and settles a lost response", () =>
      overHttp((server) =>
        Effect.gen(function*() {
          const workflowId = server.defineWorkflow().id as Ids.WorkflowId
          const key = newKey()
          server.script({ _tag: "DropAfterCommit" })
          const error = yield* Effect.flip(
            RecordingWorkflows.invokeWorkflow(workflowId, { n: 1 }, { idempotencyKey: key })
          )
          expect(error._tag).toBe("StripeConnectionError")
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([
            "InvocationRequested",
            "InvocationOutcomeUnknown"
          ])

          const run = yield* RecordingWorkflows.retryInvocation(key)
          const runs = server.backend.allRuns().filter((wire) => wire.workflow === workflowId)
          expect(runs.map((wire) => wire.id)).toEqual([run.id])
          expect(invokeRequests(server).map((request) => request.headers["idempotency-key"])).toEqual([key, key])
          expect(yield* typesOf(EventStore.runStream(run.id))).toEqual(["RunStarted"])
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([
            "InvocationRequested",
            "InvocationOutcomeUnknown",
            "InvocationSucceeded"
          ])
        })
      ))

    it.effect("leaves an interrupted attempt pending for a retry", () =>
      overHttp((server) =>
        Effect.gen(function*() {
          const runLog = yield* RunLog.RunLog
          const workflowId = server.defineWorkflow().id as Ids.WorkflowId
          const key = newKey()
          server.script({ _tag: "Hang" })
          const fiber = yield* Effect.fork(RecordingWorkflows.invokeWorkflow(workflowId, {}, { idempotencyKey: key }))
          yield* Effect.sleep("10 millis").pipe(
            Effect.repeat({ until: () => invokeRequests(server).length === 1 }),
            Effect.timeoutFail({
              duration: "5 seconds",
              onTimeout: () => new Cause.TimeoutException("the invoke never arrived within 5 seconds")
            })
          )
          yield* Fiber.interrupt(fiber)

          const pending = yield* runLog.invocations({ workflowId, outcome: "pending" })
          expect(pending.items.map((item) => item.idempotencyKey)).toEqual([key])
          const run = yield* RecordingWorkflows.retryInvocation(key)
          expect(yield* typesOf(EventStore.invocationStream(key))).toEqual([
            "InvocationRequested",
            "InvocationSucceeded"
          ])
          expect(yield* typesOf(EventStore.runStream(run.id))).toEqual(["RunStarted"])
        })
      ))

    it.effect("records a rejection over HTTP with its request id", () =>
      overHttp((server) =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const inputs = { amount: { type: "integer", required: true } } as const
          const workflowId = server.defineWorkflow({ inputs }).id as Ids.WorkflowId
          const key = newKey()
          const error = yield* Effect.flip(
            RecordingWorkflows.invokeWorkflow(workflowId, { amount: "ten" }, { idempotencyKey: key })
          )
          expect(error._tag).toBe("InvalidWorkflowInputParameters")
          const attempt = yield* store.readInvocation(key)
          expect(attempt.events.map((event) => event._tag)).toEqual(["InvocationRequested", "InvocationRejected"])
          expect(attempt.events[1]).toMatchObject({
            errorTag: "InvalidWorkflowInputParameters",
            code: "invalid_workflow_input_parameters",
            requestId: expect.stringMatching(/^req_scripted_\d+$/)
          })
        })
      ))
  })
})

const failingRunAppends = Layer.effect(
  EventStore.EventStore,
  Effect.map(MemoryEventStore.make, (store): EventStore.Service => ({
    ...store,
    appendRun: () => Effect.fail(new StoreError({ operation: "append run events", message: "disk full" }))
  }))
)

describe("recording failures", () => {
  withLayer(recordingLayer(failingRunAppends), { excludeTestServices: true })((it) => {
    it.effect("returns a failed record as InvocationNotRecorded", () =>
      Effect.gen(function*() {
        const workflowId = yield* newWorkflow()
        const key = newKey()
        const error = yield* Effect.flip(RecordingWorkflows.invokeWorkflow(workflowId, {}, { idempotencyKey: key }))
        expect(error._tag).toBe("InvocationNotRecorded")
        if (error._tag !== "InvocationNotRecorded") return
        expect(error.step).toBe("run")
        expect(error.runId).toMatch(/^wfrun_/)
        expect(error.cause._tag).toBe("StoreError")
        expect(error.message).toContain("retryInvocation")
        expect(yield* typesOf(EventStore.invocationStream(key))).toEqual(["InvocationRequested"])
      }))

    it.effect("dies with the error through the Workflows tag", () =>
      Effect.gen(function*() {
        const workflowId = yield* newWorkflow()
        const exit = yield* Effect.exit(Workflows.invokeWorkflow(workflowId, {}))
        expect(Exit.isFailure(exit)).toBe(true)
        if (!Exit.isFailure(exit)) return
        const defect = Cause.dieOption(exit.cause)
        expect(Option.map(defect, (value) => (value as { _tag: string })._tag)).toEqual(
          Option.some("InvocationNotRecorded")
        )
      }))
  })
})
