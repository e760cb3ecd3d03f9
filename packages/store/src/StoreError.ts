/**
 * The errors of the store.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * The expected version of a stream is stale: another writer appended first. Read the stream
 * again, decide again, and append with the new version.
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamVersionConflict extends Schema.TaggedError<StreamVersionConflict>(
  "@workflow-runs/store/StreamVersionConflict"
)("StreamVersionConflict", {
  stream: Schema.String,
  expected: Schema.Int,
  actual: Schema.Int
}) {
  override get message(): string {
    return `Stream ${this.stream} is at version ${this.actual}, not at the expected version ${this.expected}; read it again and retry`
  }
}

/**
 * An event id of the batch is already stored in the stream with different content (type, data or
 * occurrence time), or stored events of the batch do not form its leading part. An event id names
 * one fact forever, so this is never retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class EventIdConflict extends Schema.TaggedError<EventIdConflict>("@workflow-runs/store/EventIdConflict")(
  "EventIdConflict",
  {
    stream: Schema.String,
    eventIds: Schema.Array(Schema.String),
    reason: Schema.String
  }
) {
  override get message(): string {
    return `Events ${this.eventIds.join(", ")} cannot be appended to stream ${this.stream}: ${this.reason}`
  }
}

/**
 * The database failed or returned something the store cannot read.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreError extends Schema.TaggedError<StoreError>("@workflow-runs/store/StoreError")("StoreError", {
  operation: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/**
 * An append was not its transaction's first write, or a second stream was appended in the same
 * transaction. The global feed could then list the stream's events out of order, so the store
 * rejects it. Append in a transaction of its own, or before any other write of the transaction.
 *
 * @since 0.1.0
 * @category errors
 */
export class AppendNotFirstWrite extends Schema.TaggedError<AppendNotFirstWrite>(
  "@workflow-runs/store/AppendNotFirstWrite"
)("AppendNotFirstWrite", { stream: Schema.String }) {
  override get message(): string {
    return `The append to stream ${this.stream} is not its transaction's first write; append in a transaction of its own or before any other write`
  }
}

/**
 * An append's arguments are invalid: an expected version that is neither a stream version nor
 * `"any"`, or an event that belongs to another stream. Nothing was written, so fix the call and
 * append again.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidAppend extends Schema.TaggedError<InvalidAppend>("@workflow-runs/store/InvalidAppend")(
  "InvalidAppend",
  { stream: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `Invalid append to stream ${this.stream}: ${this.reason}`
  }
}

/**
 * A page cursor that this version did not issue.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCursor extends Schema.TaggedError<InvalidCursor>("@workflow-runs/store/InvalidCursor")(
  "InvalidCursor",
  { cursor: Schema.String }
) {
  override get message(): string {
    return `Invalid page cursor ${JSON.stringify(this.cursor)}; pass the next cursor of the previous page unchanged`
  }
}

/**
 * Every error of an append.
 *
 * @since 0.1.0
 * @category errors
 */
export type AppendError = StreamVersionConflict | EventIdConflict | AppendNotFirstWrite | InvalidAppend | StoreError
