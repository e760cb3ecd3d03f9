/**
 * Records what a run's snapshot implies: in one statement, so one transaction, the transitions
 * the log lacks (appended first, against the run's version) and then the inbox row of the
 * notification that led to it. Every writer of run events in the app goes through here, so late, duplicate,
 * out-of-order and early notifications and the reconciler all converge on the same log.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { type RunEvent, RunState, type WorkflowRun } from "@workflow-runs/core"
import { EventStore, Invocation, RecordingWorkflows, type StoreError } from "@workflow-runs/store"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Inbox from "./Inbox.js"
import * as Metrics from "./Metrics.js"

/**
 * The notification a snapshot came with, written to the inbox in the same transaction.
 *
 * @since 0.1.0
 * @category models
 */
export interface InboxWrite {
  readonly eventId: string
  readonly rawBody: string
}

/**
 * The result of recording a snapshot.
 *
 * @since 0.1.0
 * @category models
 */
export interface Recorded {
  readonly outcome: Exclude<Inbox.Outcome, "unknown_type" | "run_not_found">
  /** The number of events appended. */
  readonly appended: number
  /** The reason the snapshot contradicts the log, for `contradiction`. */
  readonly reason: Option.Option<string>
}

/**
 * The errors recording can end with: the database failed, or the run's version kept moving
 * under every retry.
 *
 * @since 0.1.0
 * @category errors
 */
export type RecordError =
  | SqlError
  | StoreError.StoreError
  | StoreError.StreamVersionConflict
  | StoreError.AppendNotFirstWrite
  | StoreError.InvalidAppend

/**
 * The projector's writer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Appends the transitions `snapshot` implies that the log lacks, and the inbox row if given.
   * With `runStreamEmpty`, read before, the first attempt skips reading the run's stream. Its
   * append still expects version 0, so a stream written since makes it retry with a read.
   */
  readonly record: (
    snapshot: WorkflowRun.WorkflowRun,
    metadata: EventStore.Metadata,
    inbox: Option.Option<InboxWrite>,
    options?: { readonly runStreamEmpty?: boolean | undefined }
  ) => Effect.Effect<Recorded, RecordError>
  /**
   * Settles a recorded invocation attempt with the run Stripe started for it, in a transaction of
   * its own; returns whether it appended. An attempt already settled or never recorded is left
   * alone.
   */
  readonly settleInvocation: (
    idempotencyKey: string,
    run: WorkflowRun.WorkflowRun
  ) => Effect.Effect<boolean, StoreError.AppendError>
}

/**
 * The projector's writer service.
 *
 * @since 0.1.0
 * @category tags
 */
export class RunProjector extends Context.Tag("@workflow-runs/projector/RunProjector")<RunProjector, Service>() {}

const maxConflictRetries = 8

const emptyStream: EventStore.StreamEvents<RunEvent.RunEvent> = { version: 0, events: [] }

const isTerminalStatus = (snapshot: WorkflowRun.WorkflowRun) =>
  snapshot.status === "succeeded" || snapshot.status === "failed"

/**
 * Builds the writer over the event store, the inbox and the SQL client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const store = yield* EventStore.EventStore
  const inbox = yield* Inbox.Inbox

  const writeInbox = (write: Option.Option<InboxWrite>, runId: string, recorded: Recorded) =>
    Option.match(write, {
      onNone: () => Effect.void,
      onSome: (entry) =>
        inbox.insert({
          eventId: entry.eventId,
          rawBody: entry.rawBody,
          outcome: recorded.outcome,
          runId,
          detail: {
            appended: recorded.appended,
            ...Option.match(recorded.reason, { onNone: () => ({}), onSome: (reason) => ({ reason }) })
          }
        })
    })

  // No transaction: the append statement writes the inbox row after its events when it appends
  // any, and every other path writes only the inbox row, in one statement. The read before needs
  // none either, because the append is a compare-and-set on the version it read.
  const attempt = (
    snapshot: WorkflowRun.WorkflowRun,
    metadata: EventStore.Metadata,
    write: Option.Option<InboxWrite>,
    read: Effect.Effect<EventStore.StreamEvents<RunEvent.RunEvent>, StoreError.StoreError>
  ) =>
    Effect.gen(function*() {
      const stream = yield* read
      const state = yield* Either.match(RunState.fold(stream.events), {
        onLeft: (error) => Effect.die(error),
        onRight: Effect.succeed
      })
      const missing = RunState.transitionsFrom(state, snapshot)
      if (Either.isLeft(missing)) {
        const recorded: Recorded = { outcome: "contradiction", appended: 0, reason: Option.some(missing.left.message) }
        yield* writeInbox(write, snapshot.id, recorded)
        return recorded
      }
      const events = missing.right
      const after = RunState.fold([...stream.events, ...events])
      const incomplete = isTerminalStatus(snapshot) && Either.isRight(after) && !RunState.isTerminal(after.right)
      const outcomeOf = (appended: number): Recorded => {
        let outcome: Recorded["outcome"] = appended > 0 ? "appended" : "already_recorded"
        if (incomplete) outcome = "incomplete"
        return { outcome, appended, reason: Option.none() }
      }
      if (events.length === 0) {
        const recorded = outcomeOf(0)
        yield* writeInbox(write, snapshot.id, recorded)
        return recorded
      }
      // Leading events a concurrent writer stored leave fewer appended but the same outcome, and
      // the store adds the number appended to the row's detail.
      const planned = outcomeOf(events.length)
      const result = yield* store.appendRun(snapshot.id, stream.version, events, metadata, {
        inbox: Option.getOrUndefined(Option.map(write, (entry) => ({
          eventId: entry.eventId,
          rawBody: entry.rawBody,
          outcome: planned.outcome,
          runId: snapshot.id,
          detail: null
        })))
      })
      if (result._tag === "Appended") return outcomeOf(result.events.length)
      const recorded = outcomeOf(0)
      yield* writeInbox(write, snapshot.id, recorded)
      return recorded
    })

  // A lost compare-and-set reads the stream again and retries, up to `remaining` more times.
  const attemptUntilSettled = (
    snapshot: WorkflowRun.WorkflowRun,
    metadata: EventStore.Metadata,
    write: Option.Option<InboxWrite>,
    read: Effect.Effect<EventStore.StreamEvents<RunEvent.RunEvent>, StoreError.StoreError>,
    remaining: number
  ): Effect.Effect<Recorded, RecordError | StoreError.EventIdConflict> =>
    Effect.catchTag(attempt(snapshot, metadata, write, read), "StreamVersionConflict", (conflict) => {
      if (remaining === 0) return Effect.fail(conflict)
      return Metric.increment(Metrics.appendConflicts).pipe(
        Effect.zipRight(
          Effect.logDebug("Run version moved during the append; retrying").pipe(
            Effect.annotateLogs({ run_id: snapshot.id, actual_version: conflict.actual })
          )
        ),
        Effect.zipRight(attemptUntilSettled(snapshot, metadata, write, store.readRun(snapshot.id), remaining - 1))
      )
    })

  // Runs on every notification, so it opens no span of its own.
  const record = (
    snapshot: WorkflowRun.WorkflowRun,
    metadata: EventStore.Metadata,
    write: Option.Option<InboxWrite>,
    options?: { readonly runStreamEmpty?: boolean | undefined }
  ): Effect.Effect<Recorded, RecordError> => {
    const read = options?.runStreamEmpty === true ? Effect.succeed(emptyStream) : store.readRun(snapshot.id)
    return attemptUntilSettled(snapshot, metadata, write, read, maxConflictRetries).pipe(
      Effect.catchTag("EventIdConflict", (conflict) => {
        // The append failed, so it wrote nothing; the contradiction is kept on its own.
        const recorded: Recorded = { outcome: "contradiction", appended: 0, reason: Option.some(conflict.message) }
        return Effect.as(writeInbox(write, snapshot.id, recorded), recorded)
      }),
      Effect.tap((recorded) =>
        recorded.appended > 0 ? Metric.incrementBy(Metrics.eventsAppended, recorded.appended) : Effect.void
      )
    )
  }

  const settleInvocation = Effect.fn("RunProjector.settleInvocation")(function*(
    idempotencyKey: string,
    run: WorkflowRun.WorkflowRun
  ) {
    const key = Invocation.IdempotencyKey.make(idempotencyKey)
    // A key without a recorded attempt, the usual case for runs not invoked through the recording
    // layer, is skipped after a plain read. A transaction would cost two more round trips.
    const attempt = yield* store.readInvocation(key)
    if (attempt.events[0]?._tag !== "InvocationRequested") return false
    return yield* sql.withTransaction(
      RecordingWorkflows.recordSucceeded(key, run.id, { source: "webhook", runId: run.id })
    ).pipe(
      Effect.provideService(EventStore.EventStore, store),
      Effect.catchTag("SqlError", (error) => Effect.die(error))
    )
  })

  return RunProjector.of({ record, settleInvocation })
})

/**
 * The writer over the event store, inbox and SQL client in the context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = Layer.effect(RunProjector, make)

/**
 * Seconds from `since` to now, for the projection-lag metric.
 *
 * @since 0.1.0
 * @category metrics
 */
export const observeLag = (since: DateTime.Utc) =>
  Effect.flatMap(
    DateTime.now,
    (now) => Metric.update(Metrics.projectionLag, Math.max(0, DateTime.distance(since, now) / 1000))
  )
