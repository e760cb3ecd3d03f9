/**
 * The errors of recording invocations: a write to the log that failed around a request, an
 * idempotency key the log cannot use, and a retry of an attempt that was never recorded.
 *
 * @since 0.1.0
 */
import { RunState } from "@workflow-runs/core"
import * as Schema from "effect/Schema"
import { AppendNotFirstWrite, EventIdConflict, InvalidAppend, StoreError, StreamVersionConflict } from "./StoreError.js"

/**
 * The step of an attempt whose record failed: `requested` (before the request, which was then
 * not sent), `run` (the run's transitions, after Stripe returned the run) or `outcome` (the
 * attempt's outcome, after the request).
 *
 * @since 0.1.0
 * @category models
 */
export const RecordingStep = Schema.Literal("requested", "run", "outcome")

/**
 * @since 0.1.0
 * @category models
 */
export type RecordingStep = typeof RecordingStep.Type

/**
 * The store errors that can stop a recording step.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RecordingCause = Schema.Union(
  StoreError,
  StreamVersionConflict,
  EventIdConflict,
  AppendNotFirstWrite,
  InvalidAppend,
  RunState.InvalidRunTransition
)

/**
 * @since 0.1.0
 * @category models
 */
export type RecordingCause = typeof RecordingCause.Type

/**
 * A write to the log failed around an invocation. When `step` is `requested`, no request was
 * sent. Otherwise Stripe responded (`runId` is the run it returned, `invokeError` the tag of the
 * error it failed with) and the log misses part of that response. Call `retryInvocation` with
 * the same key to record it, because Stripe returns the same run for the same key.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvocationNotRecorded extends Schema.TaggedError<InvocationNotRecorded>(
  "@workflow-runs/store/InvocationNotRecorded"
)("InvocationNotRecorded", {
  idempotencyKey: Schema.String,
  step: RecordingStep,
  runId: Schema.optional(Schema.String),
  invokeError: Schema.optional(Schema.String),
  cause: RecordingCause
}) {
  override get message(): string {
    const answer = this.runId !== undefined
      ? `Stripe returned run ${this.runId}`
      : this.invokeError !== undefined
      ? `Stripe failed with ${this.invokeError}`
      : "no request was sent"
    const next = this.step === "requested"
      ? "invoke again when the store is available"
      : `call retryInvocation(${JSON.stringify(this.idempotencyKey)}) to record it`
    return `Recording the ${this.step} step of invocation attempt ${
      JSON.stringify(this.idempotencyKey)
    } failed (${this.cause._tag}: ${this.cause.message}); ${answer}; ${next}`
  }
}

/**
 * The idempotency key given to an invoke cannot name an attempt's stream: it is empty, longer
 * than 255 characters or contains control characters. No request was sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidIdempotencyKey extends Schema.TaggedError<InvalidIdempotencyKey>(
  "@workflow-runs/store/InvalidIdempotencyKey"
)("InvalidIdempotencyKey", { idempotencyKey: Schema.String, reason: Schema.String }) {
  override get message(): string {
    return `Invalid idempotency key ${
      JSON.stringify(this.idempotencyKey)
    }: ${this.reason}; pass 1 to 255 characters without control characters`
  }
}

/**
 * No invocation attempt is recorded under this idempotency key, so there is nothing to retry.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvocationNotFound extends Schema.TaggedError<InvocationNotFound>(
  "@workflow-runs/store/InvocationNotFound"
)("InvocationNotFound", { idempotencyKey: Schema.String }) {
  override get message(): string {
    return `No invocation attempt is recorded with idempotency key ${
      JSON.stringify(this.idempotencyKey)
    }; list attempts with RunLog.invocations`
  }
}

/**
 * Every error of recording that the caller of an invoke can see besides Stripe's.
 *
 * @since 0.1.0
 * @category errors
 */
export type RecordingError = InvocationNotRecorded | InvalidIdempotencyKey
