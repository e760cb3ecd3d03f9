/**
 * Records every invocation of a Workflow in the log. The service wraps `Workflows`. Before the
 * request, it appends `InvocationRequested` to the attempt's stream, keyed by the idempotency
 * key. After the response, it appends every transition the returned run implies to the run's
 * stream, with the key in their metadata, and then the attempt's outcome (succeeded, rejected
 * or unknown). Each write is an append in a transaction of its own.
 *
 * ```ts
 * const RecordedWorkflows = RecordingWorkflows.layer.pipe(
 *   Layer.provide(Layer.merge(Workflows.layerConfig(), PgEventStore.layer)),
 *   Layer.provide(Database.layerFromEnv())
 * )
 * const program = Workflows.invokeWorkflow(workflowId, { order_id: "o_1" })
 * program.pipe(Effect.provide(RecordedWorkflows))
 * ```
 *
 * Invoke outside SQL transactions: the appends would join the caller's transaction, where the
 * store accepts one stream only.
 *
 * @since 0.1.0
 */
import type { Ids, WorkflowRun } from "@workflow-runs/core"
import { RunState, WorkflowsError } from "@workflow-runs/core"
import { Workflows } from "@workflow-runs/stripe"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { randomUUID } from "node:crypto"
import * as EventStore from "./EventStore.js"
import { asJsonObject, type Decision, failedDecision, sameInvocation, succeededDecision } from "./internal/recording.js"
import * as Invocation from "./Invocation.js"
import {
  InvalidIdempotencyKey,
  InvocationNotFound,
  InvocationNotRecorded,
  type RecordingCause,
  type RecordingError,
  type RecordingStep
} from "./RecordingError.js"
import { StoreError } from "./StoreError.js"

/**
 * Options that record who asked for an invocation.
 *
 * @since 0.1.0
 * @category options
 */
export interface RecordOptions {
  /** The user or service that asked for the invocation, stored with the attempt. */
  readonly actor?: string | undefined
  /** Groups the attempt and its run with other work in the metadata; the idempotency key by default. */
  readonly correlationId?: string | undefined
}

/**
 * Options of {@link Service.invokeWorkflow}.
 *
 * @since 0.1.0
 * @category options
 */
export interface InvokeOptions extends Workflows.InvokeOptions, RecordOptions {}

/**
 * Options of {@link Service.invokeWorkflow} with a schema for the input parameters. The attempt
 * stores the parameters as the schema encodes them.
 *
 * @since 0.1.0
 * @category options
 */
export interface InvokeWithSchemaOptions<A, I extends WorkflowRun.InputParameters>
  extends Workflows.InvokeWithSchemaOptions<A, I>, RecordOptions
{}

/**
 * The errors of {@link Service.invokeWorkflow}: Stripe's, as the adapter returns them, and the
 * recording errors.
 *
 * @since 0.1.0
 * @category errors
 */
export type InvokeWorkflowError = Workflows.InvokeWorkflowError | RecordingError

/**
 * The errors of {@link Service.retryInvocation}.
 *
 * @since 0.1.0
 * @category errors
 */
export type RetryInvocationError = InvokeWorkflowError | InvocationNotFound

/**
 * The Workflows API with every invocation recorded.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service extends Omit<Workflows.Service, "invokeWorkflow"> {
  /**
   * Invokes a workflow and records the attempt, the run's transitions and the outcome. Uses the
   * caller's idempotency key, or a random UUID. A second call with a recorded key invokes again
   * with that key, so Stripe returns the same run and only what is new is recorded. With another
   * workflow or other parameters, it fails with `IdempotencyConflict` and sends nothing.
   */
  readonly invokeWorkflow: {
    (
      workflowId: Ids.WorkflowId,
      inputParameters: WorkflowRun.InputParameters,
      options?: InvokeOptions
    ): Effect.Effect<WorkflowRun.WorkflowRun, InvokeWorkflowError>
    <A, I extends WorkflowRun.InputParameters>(
      workflowId: Ids.WorkflowId,
      inputParameters: A,
      options: InvokeWithSchemaOptions<A, I>
    ): Effect.Effect<WorkflowRun.WorkflowRun, InvokeWorkflowError>
  }
  /**
   * Invokes the recorded attempt again with its stored key, workflow and parameters, and
   * records the response: an attempt left `pending` or `unknown` becomes `succeeded` or
   * `rejected`, or stays `unknown` with one more unknown outcome.
   */
  readonly retryInvocation: (
    idempotencyKey: string,
    options?: Workflows.RequestOptions
  ) => Effect.Effect<WorkflowRun.WorkflowRun, RetryInvocationError>
}

/**
 * The recording Workflows service.
 *
 * @since 0.1.0
 * @category tags
 */
export class RecordingWorkflows extends Context.Tag("@workflow-runs/store/RecordingWorkflows")<
  RecordingWorkflows,
  Service
>() {}

/** The maximum number of read-and-append tries of one step that loses races with other writers. */
const conflictAttempts = 5

const decodeKey = Schema.decodeUnknownEither(Invocation.IdempotencyKey)

const validateKey = (key: string): Effect.Effect<Invocation.IdempotencyKey, InvalidIdempotencyKey> =>
  decodeKey(key).pipe(
    Effect.mapError((error) =>
      new InvalidIdempotencyKey({
        idempotencyKey: key,
        reason: ParseResult.ArrayFormatter.formatErrorSync(error)[0]?.message ?? "not a valid key"
      })
    )
  )

/** An attempt about to be sent: its key and the metadata of the events recorded for it. */
interface Attempt {
  readonly key: Invocation.IdempotencyKey
  readonly metadata: EventStore.Metadata
}

/**
 * The metadata of the events that follow an attempt's request: the key, the request's event id
 * as their cause, the correlation id, what wrote them and the actor when known.
 */
const metadataOf = (fields: {
  readonly key: Invocation.IdempotencyKey
  readonly source: "invoke" | "retry"
  readonly actor: string | null
  readonly correlationId: string | undefined
}): EventStore.Metadata => ({
  idempotencyKey: fields.key,
  causationId: Invocation.invocationEventId(fields.key, "requested"),
  correlationId: fields.correlationId ?? fields.key,
  source: fields.source,
  ...(fields.actor === null ? {} : { actor: fields.actor })
})

// Another writer appended between the read and the append: a stale version, or the same fact
// (same event id) with another time. Reading again shows its events, so the next decision
// leaves out what is already stored.
const retryStale = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>) =>
  Effect.retry(effect, {
    times: conflictAttempts - 1,
    while: (error) => error._tag === "StreamVersionConflict" || error._tag === "EventIdConflict"
  })

// Reads the attempt and appends the outcome `decide` picks, expecting the version it read, so a
// concurrent outcome is seen before writing. Returns whether it appended.
const appendOutcome = (
  store: EventStore.Service,
  key: Invocation.IdempotencyKey,
  decide: Decision,
  metadata: EventStore.Metadata
) =>
  retryStale(Effect.gen(function*() {
    const attempt = yield* store.readInvocation(key)
    const now = yield* DateTime.now
    const event = decide(attempt.events, now)
    if (Option.isNone(event)) return false
    yield* store.appendInvocation(key, attempt.version, [event.value], metadata)
    return true
  }))

/**
 * Wraps `workflows` so that every invocation is recorded in the {@link EventStore.EventStore} in
 * context. Retrieve and list calls pass through unchanged.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (workflows: Workflows.Service): Effect.Effect<Service, never, EventStore.EventStore> =>
  Effect.gen(function*() {
    const store = yield* EventStore.EventStore

    const notRecorded = (
      key: string,
      step: RecordingStep,
      answer: { readonly runId?: string; readonly invokeError?: string } = {}
    ) =>
    (cause: RecordingCause) => new InvocationNotRecorded({ idempotencyKey: key, step, ...answer, cause })

    // Appends the request when the key is new. A recorded key with the same workflow and
    // parameters is the same invocation sent again. With others, Stripe would respond with 409
    // `idempotency_error`, so the call fails the same way without a request, and the recorded
    // attempt's outcome stays intact.
    const recordRequest = (
      key: Invocation.IdempotencyKey,
      workflowId: Ids.WorkflowId,
      inputParameters: Record<string, unknown>,
      metadata: EventStore.Metadata,
      actor: string | null
    ) =>
      Effect.gen(function*() {
        const occurredAt = yield* DateTime.now
        const requested = Invocation.requested({
          idempotencyKey: key,
          occurredAt,
          workflow: workflowId,
          inputParameters,
          actor
        })
        // The request opens the attempt, so nothing in the log caused it.
        const { causationId: _causation, ...requestMetadata } = metadata
        const isNew = yield* store.appendInvocation(key, 0, [requested], requestMetadata).pipe(
          Effect.as(true),
          Effect.catchTags({
            StreamVersionConflict: () => Effect.succeed(false),
            EventIdConflict: () => Effect.succeed(false)
          })
        )
        if (isNew) return
        const stored = yield* readRequested(key)
        if (Option.isNone(stored)) {
          return yield* new StoreError({
            operation: "record invocation request",
            message: `The stream of invocation attempt ${key} exists but does not start with InvocationRequested`
          })
        }
        if (sameInvocation(stored.value, workflowId, inputParameters)) return
        return yield* new WorkflowsError.IdempotencyConflict({
          code: WorkflowsError.IdempotencyConflict.code,
          message:
            `Idempotency key ${key} was first used to invoke workflow ${stored.value.workflow} with other input parameters; use a new key for a new invocation`,
          idempotencyKey: key
        })
      }).pipe(
        Effect.mapError((error) => error._tag === "IdempotencyConflict" ? error : notRecorded(key, "requested")(error))
      )

    const readRequested = (key: Invocation.IdempotencyKey) =>
      Effect.map(store.readInvocation(key), ({ events }) => {
        const first = events[0]
        return first?._tag === "InvocationRequested" ? Option.some(first) : Option.none()
      })

    // Appends every transition the snapshot implies that the run's stream lacks. A replay may
    // return a run that has finished meanwhile, or one the projector already recorded.
    const recordRun = (run: WorkflowRun.WorkflowRun, metadata: EventStore.Metadata) =>
      retryStale(Effect.gen(function*() {
        const stream = yield* store.readRun(run.id)
        const state = yield* RunState.fold(stream.events)
        const events = yield* RunState.transitionsFrom(state, run)
        if (events.length === 0) return
        yield* store.appendRun(run.id, stream.version, events, metadata)
      }))

    // Sends the request and records the response. Once Stripe has responded, recording is not
    // interrupted. An interruption or defect during the request records nothing, so a new
    // attempt stays `pending`.
    const send = (
      attempt: Attempt,
      request: Effect.Effect<WorkflowRun.WorkflowRun, Workflows.InvokeWorkflowError>
    ): Effect.Effect<WorkflowRun.WorkflowRun, InvokeWorkflowError> =>
      Effect.flatMap(Effect.either(request), (answer) => {
        if (answer._tag === "Right") {
          const run = answer.right
          return Effect.uninterruptible(Effect.gen(function*() {
            yield* recordRun(run, attempt.metadata).pipe(
              Effect.mapError(notRecorded(attempt.key, "run", { runId: run.id }))
            )
            yield* appendOutcome(store, attempt.key, succeededDecision(attempt.key, run.id), attempt.metadata).pipe(
              Effect.mapError(notRecorded(attempt.key, "outcome", { runId: run.id }))
            )
            return run
          }))
        }
        const error = answer.left
        return appendOutcome(store, attempt.key, failedDecision(attempt.key, error), attempt.metadata).pipe(
          Effect.mapError(notRecorded(attempt.key, "outcome", { invokeError: error._tag })),
          Effect.zipRight(Effect.fail(error)),
          Effect.uninterruptible
        )
      })

    const invokeWorkflow = Effect.fn("RecordingWorkflows.invokeWorkflow")(function*(
      workflowId: Ids.WorkflowId,
      inputParameters: unknown,
      options: InvokeOptions & { readonly inputSchema?: Schema.Schema<any, any, never> } = {}
    ) {
      const { actor, correlationId, ...invokeOptions } = options
      const encoded = options.inputSchema === undefined
        ? Option.some(inputParameters)
        : Option.getRight(yield* Effect.either(Schema.encode(options.inputSchema)(inputParameters)))
      const parameters = Option.flatMap(encoded, asJsonObject)
      if (Option.isNone(parameters)) {
        // Parameters that cannot be sent fail in the adapter before any request, so there is
        // no attempt to record.
        return yield* workflows.invokeWorkflow(
          workflowId,
          inputParameters as WorkflowRun.InputParameters,
          invokeOptions
        )
      }

      const key = yield* validateKey(options.idempotencyKey ?? (yield* Effect.sync(() => randomUUID())))
      yield* Effect.annotateCurrentSpan({ workflow_id: workflowId, idempotency_key: key })
      const metadata = metadataOf({ key, source: "invoke", actor: actor ?? null, correlationId })
      yield* recordRequest(key, workflowId, parameters.value, metadata, actor ?? null)

      const request = workflows.invokeWorkflow(
        workflowId,
        inputParameters as WorkflowRun.InputParameters,
        { ...invokeOptions, idempotencyKey: key }
      )
      return yield* send({ key, metadata }, request)
    })

    const retryInvocation = Effect.fn("RecordingWorkflows.retryInvocation")(function*(
      idempotencyKey: string,
      options: Workflows.RequestOptions = {}
    ) {
      const key = yield* validateKey(idempotencyKey)
      yield* Effect.annotateCurrentSpan({ idempotency_key: key })
      const stored = yield* store.readStream(EventStore.invocationStream(key)).pipe(
        Effect.mapError(notRecorded(key, "requested"))
      )
      const requested = yield* readRequested(key).pipe(Effect.mapError(notRecorded(key, "requested")))
      if (Option.isNone(requested)) return yield* new InvocationNotFound({ idempotencyKey: key })
      const firstMetadata = stored[0]?.metadata ?? {}
      const metadata = metadataOf({
        key,
        source: "retry",
        actor: requested.value.actor,
        correlationId: typeof firstMetadata.correlationId === "string" ? firstMetadata.correlationId : undefined
      })

      const request = workflows.invokeWorkflow(
        requested.value.workflow,
        requested.value.inputParameters,
        { ...options, idempotencyKey: key }
      )
      return yield* send({ key, metadata }, request)
    })

    return RecordingWorkflows.of({
      ...workflows,
      invokeWorkflow: invokeWorkflow as Service["invokeWorkflow"],
      retryInvocation
    })
  })

/**
 * Appends `InvocationSucceeded(runId)` to a recorded attempt that has no success yet, for writers
 * that learn of the run elsewhere, such as a projector handling a notification that carries the
 * idempotency key. Leaves a key without a recorded request alone. Returns whether it appended.
 *
 * @since 0.1.0
 * @category recording
 */
export const recordSucceeded = Effect.fn("RecordingWorkflows.recordSucceeded")(function*(
  idempotencyKey: Invocation.IdempotencyKey,
  runId: Ids.WorkflowRunId,
  metadata: EventStore.Metadata = {}
) {
  const store = yield* EventStore.EventStore
  const succeeded = succeededDecision(idempotencyKey, runId)
  return yield* appendOutcome(
    store,
    idempotencyKey,
    (events, now) => events[0]?._tag === "InvocationRequested" ? succeeded(events, now) : Option.none(),
    metadata
  )
})

/**
 * Turns a recording service into a `Workflows` service, for programs written against
 * `Workflows`. Its error types are the adapter's, so a recording error (`InvocationNotRecorded`,
 * `InvalidIdempotencyKey`) becomes a defect that carries the error. It is never dropped, but it
 * is not in the error channel: use {@link RecordingWorkflows} to handle it as a typed error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toWorkflows = (service: Service): Workflows.Service => {
  const { retryInvocation: _retry, ...rest } = service
  return Workflows.Workflows.of({
    ...rest,
    invokeWorkflow: ((workflowId: Ids.WorkflowId, inputParameters: any, options?: any) =>
      service.invokeWorkflow(workflowId, inputParameters, options).pipe(
        Effect.catchTags({ InvocationNotRecorded: Effect.die, InvalidIdempotencyKey: Effect.die })
      )) as Workflows.Service["invokeWorkflow"]
  })
}

/**
 * Provides {@link RecordingWorkflows} and, in place of the underlying service, a recording
 * `Workflows` ({@link toWorkflows}), over the `Workflows` and `EventStore` it requires.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<
  RecordingWorkflows | Workflows.Workflows,
  never,
  Workflows.Workflows | EventStore.EventStore
> = Layer.effectContext(Effect.gen(function*() {
  const service = yield* make(yield* Workflows.Workflows)
  return Context.make(RecordingWorkflows, service).pipe(Context.add(Workflows.Workflows, toWorkflows(service)))
}))

/**
 * Invokes a workflow with the recording service in context; see {@link Service.invokeWorkflow}.
 *
 * @since 0.1.0
 * @category accessors
 */
export const invokeWorkflow: {
  (
    workflowId: Ids.WorkflowId,
    inputParameters: WorkflowRun.InputParameters,
    options?: InvokeOptions
  ): Effect.Effect<WorkflowRun.WorkflowRun, InvokeWorkflowError, RecordingWorkflows>
  <A, I extends WorkflowRun.InputParameters>(
    workflowId: Ids.WorkflowId,
    inputParameters: A,
    options: InvokeWithSchemaOptions<A, I>
  ): Effect.Effect<WorkflowRun.WorkflowRun, InvokeWorkflowError, RecordingWorkflows>
} = (workflowId: Ids.WorkflowId, inputParameters: any, options?: any) =>
  Effect.flatMap(RecordingWorkflows, (service) => service.invokeWorkflow(workflowId, inputParameters, options))

/**
 * Retries a recorded attempt with the recording service in context; see
 * {@link Service.retryInvocation}.
 *
 * @since 0.1.0
 * @category accessors
 */
export const retryInvocation = (
  idempotencyKey: string,
  options?: Workflows.RequestOptions
): Effect.Effect<WorkflowRun.WorkflowRun, RetryInvocationError, RecordingWorkflows> =>
  Effect.flatMap(RecordingWorkflows, (service) => service.retryInvocation(idempotencyKey, options))
