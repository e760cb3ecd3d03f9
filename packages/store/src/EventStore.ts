/**
 * The append-only log of run transitions and invocation attempts, with one stream per run
 * (`run/<runId>`) and one per invocation attempt (`invocation/<idempotencyKey>`).
 *
 * Appends are one statement each: a compare-and-set on the stream's head row plus the inserts,
 * for any number of events. Reading the global feed pages by `(txId, position)` below the oldest
 * running transaction, so an event whose transaction commits late is never skipped.
 *
 * @since 0.1.0
 */
import type { Ids, RunEvent } from "@workflow-runs/core"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type * as Invocation from "./Invocation.js"
import type { AppendError, StoreError } from "./StoreError.js"

/**
 * The stream of a run.
 *
 * @since 0.1.0
 * @category streams
 */
export const runStream = (runId: Ids.WorkflowRunId): string => `run/${runId}`

/**
 * The stream of an invocation attempt.
 *
 * @since 0.1.0
 * @category streams
 */
export const invocationStream = (key: Invocation.IdempotencyKey): string => `invocation/${key}`

/**
 * The version an append expects its stream to be at: the number of events stored before the
 * batch (`0`: the stream must not exist yet), or `"any"`, which reads the current version and
 * retries a lost compare-and-set a few times.
 *
 * @since 0.1.0
 * @category models
 */
export type ExpectedVersion = number | "any"

/**
 * Metadata kept with each event of a batch (source notification, causation, correlation,
 * actor, idempotency key). It is not part of an event's content: a duplicate keeps the first
 * writer's metadata.
 *
 * @since 0.1.0
 * @category models
 */
export type Metadata = Readonly<Record<string, unknown>>

/**
 * A row of the webhook inbox (`webhook_inbox`): the notification behind a run append, its raw
 * body as received, and what became of it.
 *
 * @since 0.1.0
 * @category models
 */
export interface InboxRow {
  readonly eventId: string
  readonly rawBody: string
  readonly outcome: string
  readonly runId: string | null
  readonly detail: Readonly<Record<string, unknown>> | null
}

/**
 * Options of a run append.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppendRunOptions {
  /**
   * An inbox row written by the append's own statement, after the events, when the append
   * writes any event (the result is `Appended`), with the number of events written added to its
   * `detail` as `appended`. After a `Duplicate` or an error the inbox is left alone. A row
   * already stored for the event id is kept.
   */
  readonly inbox?: InboxRow | undefined
}

/**
 * Where an event is in its stream and in the global log.
 *
 * @since 0.1.0
 * @category models
 */
export interface EventPosition {
  readonly eventId: string
  readonly version: number
  readonly position: bigint
}

/**
 * The batch was appended. With leading events already stored with the same content, those are in
 * `duplicates` and only the rest was appended.
 *
 * @since 0.1.0
 * @category models
 */
export class Appended extends Data.TaggedClass("Appended")<{
  readonly stream: string
  /** The stream's version after the append. */
  readonly version: number
  readonly events: ReadonlyArray<EventPosition>
  readonly duplicates: ReadonlyArray<EventPosition>
}> {}

/**
 * Every event of the batch was already stored with the same content: nothing was written, and
 * `events` are the original positions.
 *
 * @since 0.1.0
 * @category models
 */
export class Duplicate extends Data.TaggedClass("Duplicate")<{
  readonly stream: string
  readonly events: ReadonlyArray<EventPosition>
}> {}

/**
 * The outcome of an append that did not fail.
 *
 * @since 0.1.0
 * @category models
 */
export type AppendResult = Appended | Duplicate

/**
 * A point in the global feed: the transaction id and position of the last event read.
 *
 * @since 0.1.0
 * @category models
 */
export interface Checkpoint {
  readonly txId: bigint
  readonly position: bigint
}

/**
 * The checkpoint before the first event.
 *
 * @since 0.1.0
 * @category models
 */
export const start: Checkpoint = { txId: 0n, position: 0n }

/**
 * An event as the log stores it, with `data` and `metadata` decoded from their `jsonb` form.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoredEvent {
  readonly position: bigint
  readonly txId: bigint
  readonly stream: string
  readonly version: number
  readonly eventId: string
  readonly type: string
  readonly data: Readonly<Record<string, unknown>>
  readonly metadata: Metadata
  readonly occurredAt: DateTime.Utc
  readonly recordedAt: DateTime.Utc
  /** The chained SHA-256 hash, hexadecimal. */
  readonly hash: string
}

/**
 * The events of one stream and its version.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamEvents<A> {
  readonly version: number
  readonly events: ReadonlyArray<A>
}

/**
 * Options of the global feed.
 *
 * @since 0.1.0
 * @category models
 */
export interface FeedOptions {
  /** Start after this checkpoint; the default is the beginning. */
  readonly after?: Checkpoint | undefined
  /** Events per query; default 500. */
  readonly batchSize?: number | undefined
  /** The wait before polling again when no event is readable; default 100 ms. */
  readonly pollInterval?: Duration.DurationInput | undefined
}

/**
 * The event store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Appends run events to the run's stream, with the inbox row of `options` if given. An empty
   * batch writes nothing and returns `Appended` with the stream's current version, whatever the
   * expected version. An expected version that is neither `"any"` nor an integer of 0 or more, or
   * an event of another run, fails with `InvalidAppend`.
   */
  readonly appendRun: (
    runId: Ids.WorkflowRunId,
    expected: ExpectedVersion,
    events: ReadonlyArray<RunEvent.RunEvent>,
    metadata?: Metadata,
    options?: AppendRunOptions
  ) => Effect.Effect<AppendResult, AppendError>

  /** Appends invocation events to the attempt's stream, with the same outcomes as `appendRun`. */
  readonly appendInvocation: (
    key: Invocation.IdempotencyKey,
    expected: ExpectedVersion,
    events: ReadonlyArray<Invocation.InvocationEvent>,
    metadata?: Metadata
  ) => Effect.Effect<AppendResult, AppendError>

  /** Reads a run's events in version order. */
  readonly readRun: (
    runId: Ids.WorkflowRunId
  ) => Effect.Effect<StreamEvents<RunEvent.RunEvent>, StoreError>

  /** Reads an attempt's events in version order. */
  readonly readInvocation: (
    key: Invocation.IdempotencyKey
  ) => Effect.Effect<StreamEvents<Invocation.InvocationEvent>, StoreError>

  /** Reads any stream as stored. */
  readonly readStream: (stream: string) => Effect.Effect<ReadonlyArray<StoredEvent>, StoreError>

  /**
   * Reads up to `limit` events of the global feed after `after`, in `(txId, position)` order,
   * only from transactions older than every running one, so no later commit can land before the
   * returned events.
   */
  readonly readFeed: (after: Checkpoint, limit: number) => Effect.Effect<ReadonlyArray<StoredEvent>, StoreError>

  /** Follows the global feed forever, polling when it is caught up. */
  readonly feed: (options?: FeedOptions) => Stream.Stream<StoredEvent, StoreError>
}

/**
 * The event store service.
 *
 * @since 0.1.0
 * @category tags
 */
export class EventStore extends Context.Tag("@workflow-runs/store/EventStore")<EventStore, Service>() {}

/**
 * The checkpoint just after `event`.
 *
 * @since 0.1.0
 * @category models
 */
export const checkpointOf = (event: StoredEvent): Checkpoint => ({ txId: event.txId, position: event.position })
