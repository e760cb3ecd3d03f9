/**
 * The PostgreSQL implementation of {@link EventStore.EventStore}.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { Ids, RunEvent } from "@workflow-runs/core"
import canonicalize from "canonicalize"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { ParseError } from "effect/ParseResult"
import type * as Tracer from "effect/Tracer"
import * as Database from "./Database.js"
import * as EventStore from "./EventStore.js"
import {
  checkDistinctIds,
  checkInvocationAppend,
  checkRunAppend,
  digestOf,
  digestsOf,
  positionsOf,
  withExpectedVersion
} from "./internal/append.js"
import * as AppendOne from "./internal/appendOne.js"
import * as Codec from "./internal/codec.js"
import { feedFrom } from "./internal/feed.js"
import * as Heads from "./internal/heads.js"
import { inboxParameters, withInbox } from "./internal/inbox.js"
import { escapeJsonIfNeeded } from "./internal/jsonText.js"
import * as Prepared from "./internal/prepared.js"
import { eventColumns, EventRow, findAll, toStoredEvent } from "./internal/rows.js"
import type * as Invocation from "./Invocation.js"
import {
  type AppendError,
  AppendNotFirstWrite,
  EventIdConflict,
  StoreError,
  StreamVersionConflict
} from "./StoreError.js"

interface AppendRow {
  readonly first_write: boolean
  readonly all_duplicates: boolean
  readonly overlap: boolean
  readonly leading_duplicates: number
  readonly written: boolean
  readonly positions: ReadonlyArray<string>
  readonly existing_positions: ReadonlyArray<string>
  readonly existing_versions: ReadonlyArray<number>
  readonly different: ReadonlyArray<number>
  readonly head_version: number | null
}

// Effect's default tracer, which keeps spans in memory only (see `appendSpan`).
const builtInTracer: Tracer.Tracer = Effect.runSync(Effect.tracer)

// Runs `effect` with `span`, when there is one, as the parent of its spans.
const withParent = <A, E, R>(effect: Effect.Effect<A, E, R>, span: Tracer.Span | undefined): Effect.Effect<A, E, R> =>
  span === undefined ? effect : Effect.withParentSpan(effect, span)

const uniqueViolation = (error: SqlError): boolean => (error.cause as { code?: unknown } | undefined)?.code === "23505"

/**
 * Maps a database failure of `operation` to a {@link StoreError}.
 *
 * @since 0.1.0
 * @category errors
 */
export const storeError = (operation: string) => (error: SqlError | ParseError): StoreError =>
  error._tag === "ParseError"
    ? new StoreError({
      operation,
      message: `${operation} failed: a row did not decode: ${error.message}`,
      cause: error
    })
    : new StoreError({ operation, message: `${operation} failed: ${error.message}`, cause: error.cause })

/**
 * Builds the store over the `SqlClient` in context. The client must parse `int8` and `xid8` as
 * `bigint` (see `Database.pgTypes`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<EventStore.Service, never, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pool = yield* Effect.serviceOption(Database.Pool)
  const statements = new Map<Heads.HeadTable, Prepared.PreparedStatement>(
    [Heads.runs, Heads.invocations].map((head) => [head, {
      name: Heads.appendFunctionName(head),
      text: Heads.appendCall(head)
    }])
  )
  const oneEventStatements = new Map<Heads.HeadTable, Prepared.PreparedStatement>(
    [Heads.runs, Heads.invocations].map((head) => [head, {
      name: AppendOne.appendEventFunctionName(head),
      text: AppendOne.appendEventCall(head)
    }])
  )
  // Only run appends write an inbox row.
  const withInboxStatement = withInbox(
    statements.get(Heads.runs)!,
    Heads.appendParameterCount,
    { condition: "appended.written", count: "cardinality(appended.positions)" }
  )
  const oneEventWithInboxStatement = withInbox(
    oneEventStatements.get(Heads.runs)!,
    AppendOne.appendOneParameterCount,
    // Code 1 is `appended`.
    { condition: "appended.result[1] = 1", count: "1" }
  )

  const headVersion = (head: Heads.HeadTable, key: string) =>
    sql.unsafe<{ version: number }>(`select version::int as version from ${head.table} where ${head.key} = $1`, [key])
      .pipe(
        Effect.map((rows) => rows[0]?.version ?? 0),
        Effect.mapError(storeError("read the stream version"))
      )

  const findStream = yield* findAll(
    `select ${eventColumns} from run_events where stream_id = $1 order by version`,
    EventRow
  )
  const findEventsById = yield* findAll(
    `select ${eventColumns} from run_events where stream_id = $1 and event_id = any($2::uuid[]) order by version`,
    EventRow
  )
  const findFeed = yield* findAll(
    `select ${eventColumns} from run_events
     where (tx_id, position) > ($1::text::xid8, $2::bigint)
       and tx_id < pg_snapshot_xmin(pg_current_snapshot())
     order by tx_id, position
     limit $3`,
    EventRow
  )

  const readStream = (stream: string) =>
    findStream([stream])
      .pipe(
        Effect.map((rows) => rows.map(toStoredEvent)),
        Effect.mapError(storeError("read the stream"))
      )

  // After a lost compare-and-set or a unique violation, the concurrent writer may have written this
  // very batch. This caller then gets Duplicate, as a re-delivery would. An event stored under the
  // same id with other content is an EventIdConflict, as the append functions report it.
  const resolveConflict = (
    stream: string,
    head: Heads.HeadTable,
    key: string,
    expected: number,
    events: ReadonlyArray<Codec.EncodedEvent>
  ) =>
    Effect.gen(function*() {
      const stored = yield* findEventsById([stream, events.map((event) => event.eventId)]).pipe(
        Effect.mapError(storeError("read the stored events"))
      )
      const byId = new Map(stored.map((row) => [row.event_id, row]))
      const sameContent = (event: Codec.EncodedEvent, row: EventRow) =>
        row.type === event.type &&
        row.occurred_at.getTime() === new Date(event.occurredAt).getTime() &&
        canonicalize(row.data) === canonicalize(event.data)
      const different = events.filter((event) => {
        const row = byId.get(event.eventId)
        return row !== undefined && !sameContent(event, row)
      })
      if (different.length > 0) {
        return yield* new EventIdConflict({
          stream,
          eventIds: different.map((event) => event.eventId),
          reason: "they are stored with a different type, data or occurrence time"
        })
      }
      if (events.every((event) => byId.has(event.eventId))) {
        return new EventStore.Duplicate({
          stream,
          events: events.map((event) => {
            const row = byId.get(event.eventId)!
            return { eventId: row.event_id, version: row.version, position: row.position }
          })
        })
      }
      const actual = yield* headVersion(head, key)
      return yield* new StreamVersionConflict({ stream, expected, actual })
    })

  const oneEventResult = (
    stream: string,
    expected: number,
    event: Codec.EncodedEvent,
    row: AppendOne.AppendOneRow
  ): Effect.Effect<EventStore.AppendResult, AppendError> => {
    switch (row.outcome) {
      case "appended":
        return Effect.succeed(
          new EventStore.Appended({
            stream,
            version: expected + 1,
            events: [{ eventId: event.eventId, version: row.event_version!, position: row.event_position! }],
            duplicates: []
          })
        )
      case "duplicate":
        return Effect.succeed(
          new EventStore.Duplicate({
            stream,
            events: [{ eventId: event.eventId, version: row.event_version!, position: row.event_position! }]
          })
        )
      case "different":
        return new EventIdConflict({
          stream,
          eventIds: [event.eventId],
          reason: "they are stored with a different type, data or occurrence time"
        })
      case "conflict":
        return new StreamVersionConflict({ stream, expected, actual: row.head_version ?? 0 })
      case "not_first_write":
        return new AppendNotFirstWrite({ stream })
    }
  }

  // Written without a generator, and continued from the driver's callback, because every append
  // runs it.
  const appendOne = (
    stream: string,
    head: Heads.HeadTable,
    key: string,
    expected: number,
    event: Codec.EncodedEvent,
    metadata: Record<string, unknown>,
    inbox: EventStore.InboxRow | undefined,
    span: Tracer.Span | undefined
  ): Effect.Effect<EventStore.AppendResult, AppendError> =>
    Prepared.matchFirstColumn<EventStore.AppendResult, AppendError>(
      sql,
      pool,
      span,
      inbox === undefined ? oneEventStatements.get(head)! : oneEventWithInboxStatement,
      "result",
      [
        stream,
        expected,
        key,
        event.eventId,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(metadata),
        event.occurredAt,
        digestOf(stream, expected + 1, event, metadata),
        JSON.stringify(event.patch),
        ...(inbox === undefined ? [] : inboxParameters(inbox))
      ],
      {
        onFailure: (error) =>
          uniqueViolation(error)
            ? withParent(resolveConflict(stream, head, key, expected, [event]), span)
            : Effect.fail(storeError("append")(error)),
        onSuccess: (values) =>
          oneEventResult(
            stream,
            expected,
            event,
            AppendOne.decodeAppendEvent(values[0] as string | AppendOne.AppendEventResult)
          )
      }
    )

  const appendExact = (
    stream: string,
    head: Heads.HeadTable,
    key: string,
    expected: number,
    events: ReadonlyArray<Codec.EncodedEvent>,
    metadata: Record<string, unknown>,
    inbox: EventStore.InboxRow | undefined,
    span: Tracer.Span | undefined
  ) =>
    Effect.gen(function*() {
      const digests = digestsOf(stream, expected, events, metadata)
      const metadataText = JSON.stringify(metadata)
      const statement = inbox === undefined ? statements.get(head)! : withInboxStatement
      const rows = yield* Prepared.run<AppendRow>(sql, pool, span, statement, [
        stream,
        expected,
        key,
        events.map((event) => event.eventId),
        events.map((event) => event.type),
        events.map((event) => JSON.stringify(event.data)),
        events.map(() => metadataText),
        events.map((event) => event.occurredAt),
        digests,
        events.map((event) => JSON.stringify(event.patch)),
        ...(inbox === undefined ? [] : inboxParameters(inbox))
      ]).pipe(
        Effect.map(Option.some),
        Effect.catchIf(uniqueViolation, () => Effect.succeed(Option.none())),
        Effect.mapError(storeError("append"))
      )
      if (Option.isNone(rows)) return yield* resolveConflict(stream, head, key, expected, events)
      const row = rows.value[0]!
      const existing = positionsOf(
        events.slice(0, row.existing_positions.length).map((event) => event.eventId),
        row.existing_versions,
        row.existing_positions.map(BigInt)
      )
      if (!row.first_write) return yield* new AppendNotFirstWrite({ stream })
      if (row.all_duplicates) {
        return new EventStore.Duplicate({
          stream,
          events: events.map((event, index) => ({ ...existing[index]!, eventId: event.eventId }))
        })
      }
      if (row.different.length > 0) {
        return yield* new EventIdConflict({
          stream,
          eventIds: row.different.map((ord) => events[ord - 1]!.eventId),
          reason: "they are stored with a different type, data or occurrence time"
        })
      }
      if (row.overlap) {
        if (row.head_version !== null && row.head_version !== expected + row.leading_duplicates) {
          return yield* new StreamVersionConflict({ stream, expected, actual: row.head_version })
        }
        return yield* new EventIdConflict({
          stream,
          eventIds: events.map((event) => event.eventId),
          reason: "some events of the batch are stored, but they are not its leading events at the expected versions"
        })
      }
      if (!row.written) return yield* resolveConflict(stream, head, key, expected, events)
      const k = row.leading_duplicates
      const appended = events.slice(k)
      return new EventStore.Appended({
        stream,
        version: expected + events.length,
        events: positionsOf(
          appended.map((event) => event.eventId),
          appended.map((_, index) => expected + k + index + 1),
          row.positions.map(BigInt)
        ),
        duplicates: existing.slice(0, k)
      })
    })

  // The one-event path sends no query through the `SqlClient` unless a race or a transaction
  // sends it there, so only those queries are given the append's span as parent (see
  // `appendSpan`).
  const append = (
    stream: string,
    head: Heads.HeadTable,
    key: string,
    expected: EventStore.ExpectedVersion,
    events: ReadonlyArray<Codec.EncodedEvent>,
    metadata: EventStore.Metadata | undefined,
    inbox: EventStore.InboxRow | undefined,
    span: Tracer.Span | undefined
  ): Effect.Effect<EventStore.AppendResult, AppendError> => {
    const escaped = escapeJsonIfNeeded(metadata ?? {}) as Record<string, unknown>
    if (events.length === 1 && expected !== "any") {
      return appendOne(stream, head, key, expected, events[0]!, escaped, inbox, span)
    }
    const currentVersion = Effect.suspend(() => withParent(headVersion(head, key), span))
    if (events.length === 0) {
      return Effect.map(
        currentVersion,
        (version) => new EventStore.Appended({ stream, version, events: [], duplicates: [] })
      )
    }
    if (events.length === 1) {
      const event = events[0]!
      return withExpectedVersion(
        expected,
        currentVersion,
        (exact) => appendOne(stream, head, key, exact, event, escaped, inbox, span)
      )
    }
    return withParent(
      Effect.zipRight(
        checkDistinctIds(stream, events),
        withExpectedVersion(
          expected,
          currentVersion,
          (exact) => appendExact(stream, head, key, exact, events, escaped, inbox, span)
        )
      ),
      span
    )
  }

  // Each append gets one span, made with `Effect.useSpan` instead of `Effect.fn`. `Effect.fn`
  // captures an `Error` for the call site on every call and, like `Effect.withSpan`, makes its
  // span the parent of every span inside by copying the fiber's context. The span keeps its name
  // and attributes, captures no call-site stack, and a failure's span still carries its typed
  // error.
  //
  // Under Effect's built-in tracer no span is made. That tracer keeps its spans in memory, where
  // nothing reads an append's span, and each span (two random ids, a map, the exit handler) made
  // about 7 KB of garbage per append. Any other tracer, for example OpenTelemetry's, gets the span.
  const appendSpan = <A, E>(
    name: string,
    attributes: Record<string, unknown>,
    body: (span: Tracer.Span | undefined) => Effect.Effect<A, E>
  ): Effect.Effect<A, E> =>
    Effect.tracerWith((tracer) =>
      tracer === builtInTracer
        ? body(undefined)
        : Effect.useSpan(name, { attributes, captureStackTrace: false }, body)
    )

  const appendRun = (
    runId: Ids.WorkflowRunId,
    expected: EventStore.ExpectedVersion,
    events: ReadonlyArray<RunEvent.RunEvent>,
    metadata?: EventStore.Metadata,
    options?: EventStore.AppendRunOptions
  ) =>
    appendSpan("EventStore.appendRun", { run_id: runId, events: events.length }, (span) => {
      const stream = EventStore.runStream(runId)
      const invalid = checkRunAppend(runId, expected, events)
      if (invalid !== undefined) {
        return Effect.fail(invalid)
      }
      return append(
        stream,
        Heads.runs,
        runId,
        expected,
        events.map(Codec.encodeRun),
        metadata,
        options?.inbox,
        span
      )
    })

  const appendInvocation = (
    key: Invocation.IdempotencyKey,
    expected: EventStore.ExpectedVersion,
    events: ReadonlyArray<Invocation.InvocationEvent>,
    metadata?: EventStore.Metadata
  ) =>
    appendSpan("EventStore.appendInvocation", { idempotency_key: key, events: events.length }, (span) => {
      const stream = EventStore.invocationStream(key)
      const invalid = checkInvocationAppend(key, expected, events)
      if (invalid !== undefined) {
        return Effect.fail(invalid)
      }
      return append(
        stream,
        Heads.invocations,
        key,
        expected,
        events.map(Codec.encodeInvocation),
        metadata,
        undefined,
        span
      )
    })

  const readRun = Effect.fn("EventStore.readRun")(function*(runId: Ids.WorkflowRunId) {
    const stored = yield* readStream(EventStore.runStream(runId))
    const events = stored.map((event) =>
      Codec.decodeRun(runId, { ...event, occurredAt: new Date(event.occurredAt.epochMillis).toISOString() })
    )
    return { version: stored.length, events }
  })

  const readInvocation = Effect.fn("EventStore.readInvocation")(function*(key: Invocation.IdempotencyKey) {
    const stored = yield* readStream(EventStore.invocationStream(key))
    const events = stored.map((event) =>
      Codec.decodeInvocation(key, { ...event, occurredAt: new Date(event.occurredAt.epochMillis).toISOString() })
    )
    return { version: stored.length, events }
  })

  const readFeed = (after: EventStore.Checkpoint, limit: number) =>
    findFeed([after.txId.toString(), after.position.toString(), limit]).pipe(
      Effect.map((rows) => rows.map(toStoredEvent)),
      Effect.mapError(storeError("read the feed")),
      Effect.withSpan("EventStore.readFeed")
    )

  return {
    appendRun,
    appendInvocation,
    readRun,
    readInvocation,
    readStream: (stream) => readStream(stream).pipe(Effect.withSpan("EventStore.readStream")),
    readFeed,
    feed: (options) => feedFrom(readFeed, options)
  }
})

/**
 * The store over the `SqlClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<EventStore.EventStore, never, SqlClient.SqlClient> = Layer.effect(
  EventStore.EventStore,
  make
)
