/**
 * The errors Stripe documents for the Workflows endpoints, as typed values.
 *
 * Each keeps what Stripe sent: the error `code`, its `message`, the optional `user_message` and
 * `doc_url`, and the `Request-Id` header of the response, plus the id of the resource involved.
 * The infrastructure errors (authentication, permission, rate limit, API, connection and
 * decoding) belong to `@workflow-runs/stripe`.
 *
 * - {@link InvalidWorkflowInputParameters}: 400 `invalid_workflow_input_parameters`
 * - {@link WorkflowNotInvokable}: 400 `workflow_not_invokable`
 * - {@link WorkflowNotFound}, {@link WorkflowRunNotFound}, {@link EventNotFound}: 404 `not_found`
 * - {@link IdempotencyConflict}: 409 `idempotency_error`
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { StripeEventId, WorkflowId, WorkflowRunId } from "./Ids.js"

/**
 * The fields Stripe sends in every error body, and the response's `Request-Id`.
 *
 * @since 0.1.0
 * @category models
 */
export const ApiErrorFields = {
  code: Schema.String,
  message: Schema.String,
  userMessage: Schema.optional(Schema.String),
  docUrl: Schema.optional(Schema.String),
  requestId: Schema.optional(Schema.String)
}

const describe = (error: { readonly message: string; readonly requestId?: string | undefined }) =>
  error.requestId === undefined ? error.message : `${error.message} (request ${error.requestId})`

/**
 * The input parameters of an invoke do not match the Workflow's declared inputs
 * (400 `invalid_workflow_input_parameters`).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidWorkflowInputParameters extends Schema.TaggedError<InvalidWorkflowInputParameters>(
  "@workflow-runs/core/InvalidWorkflowInputParameters"
)("InvalidWorkflowInputParameters", { ...ApiErrorFields, workflowId: WorkflowId }) {
  /**
   * The code Stripe uses for this error.
   *
   * @since 0.1.0
   */
  static readonly code = "invalid_workflow_input_parameters"

  override toString(): string {
    return `InvalidWorkflowInputParameters: workflow ${this.workflowId}: ${describe(this)}`
  }
}

/**
 * The Workflow cannot be invoked: it is not `active` or has no on-demand trigger
 * (400 `workflow_not_invokable`).
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkflowNotInvokable extends Schema.TaggedError<WorkflowNotInvokable>(
  "@workflow-runs/core/WorkflowNotInvokable"
)("WorkflowNotInvokable", { ...ApiErrorFields, workflowId: WorkflowId }) {
  /**
   * The code Stripe uses for this error.
   *
   * @since 0.1.0
   */
  static readonly code = "workflow_not_invokable"

  override toString(): string {
    return `WorkflowNotInvokable: workflow ${this.workflowId}: ${describe(this)}`
  }
}

/**
 * No Workflow has the requested id (404 `not_found`).
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkflowNotFound extends Schema.TaggedError<WorkflowNotFound>("@workflow-runs/core/WorkflowNotFound")(
  "WorkflowNotFound",
  { ...ApiErrorFields, workflowId: WorkflowId }
) {
  /**
   * The code Stripe uses for this error.
   *
   * @since 0.1.0
   */
  static readonly code = "not_found"

  override toString(): string {
    return `WorkflowNotFound: workflow ${this.workflowId}: ${describe(this)}`
  }
}

/**
 * No Workflow Run has the requested id (404 `not_found`).
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkflowRunNotFound extends Schema.TaggedError<WorkflowRunNotFound>(
  "@workflow-runs/core/WorkflowRunNotFound"
)("WorkflowRunNotFound", { ...ApiErrorFields, runId: WorkflowRunId }) {
  /**
   * The code Stripe uses for this error.
   *
   * @since 0.1.0
   */
  static readonly code = "not_found"

  override toString(): string {
    return `WorkflowRunNotFound: run ${this.runId}: ${describe(this)}`
  }
}

/**
 * No event has the requested id, or it is older than Stripe keeps events (404 `not_found`).
 *
 * @since 0.1.0
 * @category errors
 */
export class EventNotFound extends Schema.TaggedError<EventNotFound>("@workflow-runs/core/EventNotFound")(
  "EventNotFound",
  { ...ApiErrorFields, eventId: StripeEventId }
) {
  /**
   * The code Stripe uses for this error.
   *
   * @since 0.1.0
   */
  static readonly code = "not_found"

  override toString(): string {
    return `EventNotFound: event ${this.eventId}: ${describe(this)}`
  }
}

/**
 * An idempotency key was reused with different request parameters (409 `idempotency_error`).
 * Retrying with the same key cannot succeed; use a new key for a new request.
 *
 * @since 0.1.0
 * @category errors
 */
export class IdempotencyConflict extends Schema.TaggedError<IdempotencyConflict>(
  "@workflow-runs/core/IdempotencyConflict"
)("IdempotencyConflict", { ...ApiErrorFields, idempotencyKey: Schema.optional(Schema.String) }) {
  /**
   * The code Stripe uses for this error.
   *
   * @since 0.1.0
   */
  static readonly code = "idempotency_error"

  override toString(): string {
    const key = this.idempotencyKey === undefined ? "" : ` key ${this.idempotencyKey}:`
    return `IdempotencyConflict:${key} ${describe(this)}`
  }
}

/**
 * Any documented Workflows API error.
 *
 * @since 0.1.0
 * @category errors
 */
export type WorkflowsError =
  | InvalidWorkflowInputParameters
  | WorkflowNotInvokable
  | WorkflowNotFound
  | WorkflowRunNotFound
  | EventNotFound
  | IdempotencyConflict

/**
 * The schema of {@link WorkflowsError}, for decoding stored or transmitted errors.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WorkflowsError = Schema.Union(
  InvalidWorkflowInputParameters,
  WorkflowNotInvokable,
  WorkflowNotFound,
  WorkflowRunNotFound,
  EventNotFound,
  IdempotencyConflict
)
