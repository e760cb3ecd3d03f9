import { Workflow, WorkflowRun } from "@workflow-runs/core"
import * as Chunk from "effect/Chunk"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Ref from "effect/Ref"
import type * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Event from "../Event.js"
import type * as StripeError from "../StripeError.js"
import type * as Workflows from "../Workflows.js"
import type * as WorkflowsTest from "../WorkflowsTest.js"
import { type Answer, Backend, type ListRequest } from "./backend.js"
import { decodeBody, Page as PageOf } from "./client.js"
import { type Endpoint, fromResponse, type ResponseError } from "./errors.js"
import { type BaseService, withInputSchema } from "./invoke.js"

const nowIso = Effect.map(DateTime.now, DateTime.formatIso)

/**
 * Builds the in-memory service and its controls.
 *
 * @internal
 */
export const makeMemory = (options: Workflows.TestOptions) =>
  Effect.gen(function*() {
    const backend = new Backend(options.pageSize ?? 10)
    const now = yield* nowIso
    for (const definition of options.workflows ?? []) backend.defineWorkflow(definition, now)
    const nextFailure = yield* Ref.make(Option.none<WorkflowsTest.Failure>())
    const requests = yield* Ref.make(0)

    const respond = <A, I>(
      schema: Schema.Schema<A, I>,
      endpoint: Endpoint,
      answer: (now: string) => Answer<unknown>
    ): Effect.Effect<A, ResponseError | StripeError.StripeDecodeError | StripeError.StripeError> =>
      Effect.gen(function*() {
        const requestNumber = yield* Ref.updateAndGet(requests, (n) => n + 1)
        const requestId = `req_memory_${requestNumber}`
        const failure = yield* Ref.getAndSet(nextFailure, Option.none())
        if (Option.isSome(failure)) {
          const value = failure.value
          if (Predicate.hasProperty(value, "_tag")) return yield* Effect.fail(value as StripeError.StripeError)
          const spec = value as WorkflowsTest.ErrorResponse
          const error = {
            ...(spec.type === undefined ? {} : { type: spec.type }),
            ...(spec.code === undefined ? {} : { code: spec.code }),
            message: spec.message ?? `Injected HTTP ${spec.status}`
          }
          return yield* Effect.fail(
            fromResponse({
              status: spec.status,
              headers: { "request-id": requestId },
              body: JSON.stringify({ error })
            }, endpoint)
          )
        }
        const result = answer(yield* nowIso)
        const headers = { "request-id": requestId }
        if (result._tag === "Error") {
          const { status, type, code, message } = result.error
          return yield* Effect.fail(
            fromResponse({ status, headers, body: JSON.stringify({ error: { type, code, message } }) }, endpoint)
          )
        }
        return yield* decodeBody(schema, { status: 200, headers, body: JSON.stringify(result.body) })
      })

    const list = <A, I>(
      schema: Schema.Schema<A, I>,
      first: ListRequest,
      page: (request: ListRequest) => Answer<unknown>
    ) => {
      const endpoint: Endpoint = { _tag: "List" }
      const pageSchema = PageOf(schema)
      return Stream.paginateChunkEffect(first, (request) =>
        respond(pageSchema, endpoint, () => page(request)).pipe(
          Effect.map((result) => {
            const next = result.next_page_url === null || result.next_page_url === undefined
              ? Option.none<ListRequest>()
              : Option.some({ page: new URL(result.next_page_url, "http://memory").searchParams.get("page") ?? "" })
            return [Chunk.fromIterable(result.data), next] as const
          })
        ))
    }

    const base: BaseService = {
      invokeWorkflow: (workflowId, body, invokeOptions) =>
        respond(
          WorkflowRun.WorkflowRun,
          { _tag: "Invoke", workflowId, idempotencyKey: invokeOptions.idempotencyKey },
          (now) => backend.invoke(workflowId, body, invokeOptions.idempotencyKey, now)
        ) as Effect.Effect<WorkflowRun.WorkflowRun, Workflows.InvokeWorkflowError>,

      retrieveWorkflow: (workflowId) =>
        respond(Workflow.Workflow, { _tag: "Workflow", workflowId }, () =>
          backend.retrieveWorkflow(workflowId)) as Effect.Effect<
            Workflow.Workflow,
            Workflows.RetrieveWorkflowError
          >,

      listWorkflows: (listOptions = {}) =>
        list(
          Workflow.Workflow,
          { status: listOptions.status, limit: listOptions.limit },
          (request) =>
            backend.listWorkflows(request)
        ) as Stream.Stream<Workflow.Workflow, StripeError.StripeError>,

      retrieveWorkflowRun: (runId) =>
        respond(WorkflowRun.WorkflowRun, { _tag: "WorkflowRun", runId }, () =>
          backend.retrieveRun(runId)) as Effect.Effect<
            WorkflowRun.WorkflowRun,
            Workflows.RetrieveWorkflowRunError
          >,

      listWorkflowRuns: (listOptions = {}) =>
        list(
          WorkflowRun.WorkflowRun,
          { status: listOptions.status, workflow: listOptions.workflow, limit: listOptions.limit },
          (request) =>
            backend.listRuns(request)
        ) as Stream.Stream<WorkflowRun.WorkflowRun, StripeError.StripeError>,

      retrieveEvent: (eventId) =>
        respond(Event.Event, { _tag: "Event", eventId }, () =>
          backend.retrieveEvent(eventId)) as Effect.Effect<
            Event.Event,
            Workflows.RetrieveEventError
          >
    }

    const settle = (runId: string, outcome: "succeeded" | "failed", errorMessage?: string) =>
      Effect.flatMap(nowIso, (now) => {
        const result = backend.settleRun(runId, outcome, now, errorMessage)
        return typeof result === "string"
          ? Effect.dieMessage(result)
          : Effect.orDie(
            decodeBody(WorkflowRun.WorkflowRun, { status: 200, headers: {}, body: JSON.stringify(result) })
          )
      })

    const control: WorkflowsTest.Service = {
      defineWorkflow: (definition = {}) =>
        Effect.flatMap(nowIso, (now) =>
          Effect.orDie(
            decodeBody(Workflow.Workflow, {
              status: 200,
              headers: {},
              body: JSON.stringify(backend.defineWorkflow(definition, now))
            })
          )),
      completeRun: (runId) =>
        settle(runId, "succeeded"),
      failRun: (runId, errorMessage) =>
        settle(runId, "failed", errorMessage),
      failNextCall: (failure) => Ref.set(nextFailure, Option.some(failure)),
      runs: Effect.suspend(() =>
        Effect.forEach(backend.allRuns(), (run) =>
          Effect.orDie(
            decodeBody(WorkflowRun.WorkflowRun, { status: 200, headers: {}, body: JSON.stringify(run) })
          ))
      ),
      events: Effect.suspend(() =>
        Effect.forEach(backend.allEvents(), (event) =>
          Effect.orDie(decodeBody(Event.Event, { status: 200, headers: {}, body: JSON.stringify(event) })))
      )
    }

    return { service: withInputSchema(base), control }
  })
