/**
 * Invocation attempts: one stream per attempt to invoke a Workflow, keyed by the attempt's
 * idempotency key, so an auditor sees every attempt, including those Stripe rejected and those
 * whose outcome is unknown.
 *
 * @since 0.1.0
 */
import { Ids, Timestamp, WorkflowRun } from "@workflow-runs/core"
import type * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"

/**
 * The idempotency key of an invocation attempt: non-empty, at most 255 characters, no control
 * characters (Stripe's limit for `Idempotency-Key`).
 *
 * @since 0.1.0
 * @category ids
 */
export const IdempotencyKey = Schema.String.pipe(
  Schema.filter((value) => {
    if (value.length === 0) return "an idempotency key must not be empty"
    if (value.length > 255) return "an idempotency key must be at most 255 characters long"
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(value)) return "an idempotency key must not contain control characters"
    return true
  }),
  Schema.brand("IdempotencyKey")
)

/**
 * @since 0.1.0
 * @category ids
 */
export type IdempotencyKey = typeof IdempotencyKey.Type

/**
 * Derives the event id of a fact about an attempt, such as `requested` or `unknown:2`.
 *
 * @since 0.1.0
 * @category ids
 */
export const invocationEventId = (key: IdempotencyKey, fact: string): Ids.EventId =>
  Ids.eventIdFor(`invocation:${key}:${fact}`)

/**
 * The attempt was made: recorded before the request is sent.
 *
 * @since 0.1.0
 * @category models
 */
export class InvocationRequested extends Schema.TaggedClass<InvocationRequested>(
  "@workflow-runs/store/InvocationRequested"
)("InvocationRequested", {
  idempotencyKey: IdempotencyKey,
  eventId: Ids.EventId,
  occurredAt: Timestamp.Timestamp,
  workflow: Ids.WorkflowId,
  inputParameters: WorkflowRun.InputParameters,
  actor: Schema.NullOr(Schema.String)
}) {}

/**
 * Stripe accepted the attempt and started `runId`.
 *
 * @since 0.1.0
 * @category models
 */
export class InvocationSucceeded extends Schema.TaggedClass<InvocationSucceeded>(
  "@workflow-runs/store/InvocationSucceeded"
)("InvocationSucceeded", {
  idempotencyKey: IdempotencyKey,
  eventId: Ids.EventId,
  occurredAt: Timestamp.Timestamp,
  runId: Ids.WorkflowRunId
}) {}

/**
 * Stripe rejected the attempt with a typed error.
 *
 * @since 0.1.0
 * @category models
 */
export class InvocationRejected extends Schema.TaggedClass<InvocationRejected>(
  "@workflow-runs/store/InvocationRejected"
)("InvocationRejected", {
  idempotencyKey: IdempotencyKey,
  eventId: Ids.EventId,
  occurredAt: Timestamp.Timestamp,
  errorTag: Schema.String,
  code: Schema.NullOr(Schema.String),
  message: Schema.String,
  requestId: Schema.NullOr(Schema.String)
}) {}

/**
 * The attempt's outcome is unknown (a connection error or timeout). A later success or rejection
 * may follow, after a retry with the same key.
 *
 * @since 0.1.0
 * @category models
 */
export class InvocationOutcomeUnknown extends Schema.TaggedClass<InvocationOutcomeUnknown>(
  "@workflow-runs/store/InvocationOutcomeUnknown"
)("InvocationOutcomeUnknown", {
  idempotencyKey: IdempotencyKey,
  eventId: Ids.EventId,
  occurredAt: Timestamp.Timestamp,
  /** Counts the unknown outcomes of this attempt, from 1; part of the event id. */
  occurrence: Schema.Int.pipe(Schema.positive()),
  errorTag: Schema.String,
  message: Schema.String
}) {}

/**
 * Any event of an invocation attempt.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InvocationEvent = Schema.Union(
  InvocationRequested,
  InvocationSucceeded,
  InvocationRejected,
  InvocationOutcomeUnknown
)

/**
 * @since 0.1.0
 * @category models
 */
export type InvocationEvent = typeof InvocationEvent.Type

/**
 * The outcome of an attempt as its head row stores it.
 *
 * @since 0.1.0
 * @category models
 */
export const Outcome = Schema.Literal("pending", "succeeded", "rejected", "unknown")

/**
 * @since 0.1.0
 * @category models
 */
export type Outcome = typeof Outcome.Type

/**
 * Builds the requested event of an attempt, with its derived id.
 *
 * @since 0.1.0
 * @category constructors
 */
export const requested = (fields: {
  readonly idempotencyKey: IdempotencyKey
  readonly occurredAt: DateTime.Utc
  readonly workflow: Ids.WorkflowId
  readonly inputParameters: WorkflowRun.InputParameters
  readonly actor: string | null
}): InvocationRequested =>
  new InvocationRequested({ ...fields, eventId: invocationEventId(fields.idempotencyKey, "requested") })

/**
 * Builds the succeeded event of an attempt, with its derived id.
 *
 * @since 0.1.0
 * @category constructors
 */
export const succeeded = (
  idempotencyKey: IdempotencyKey,
  occurredAt: DateTime.Utc,
  runId: Ids.WorkflowRunId
): InvocationSucceeded =>
  new InvocationSucceeded({
    idempotencyKey,
    occurredAt,
    runId,
    eventId: invocationEventId(idempotencyKey, "succeeded")
  })

/**
 * Builds the rejected event of an attempt, with its derived id.
 *
 * @since 0.1.0
 * @category constructors
 */
export const rejected = (fields: {
  readonly idempotencyKey: IdempotencyKey
  readonly occurredAt: DateTime.Utc
  readonly errorTag: string
  readonly code: string | null
  readonly message: string
  readonly requestId: string | null
}): InvocationRejected =>
  new InvocationRejected({ ...fields, eventId: invocationEventId(fields.idempotencyKey, "rejected") })

/**
 * Builds the `occurrence`-th unknown-outcome event of an attempt, with its derived id.
 *
 * @since 0.1.0
 * @category constructors
 */
export const outcomeUnknown = (fields: {
  readonly idempotencyKey: IdempotencyKey
  readonly occurredAt: DateTime.Utc
  readonly occurrence: number
  readonly errorTag: string
  readonly message: string
}): InvocationOutcomeUnknown =>
  new InvocationOutcomeUnknown({
    ...fields,
    eventId: invocationEventId(fields.idempotencyKey, `unknown:${fields.occurrence}`)
  })
