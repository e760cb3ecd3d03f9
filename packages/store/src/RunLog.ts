/**
 * Audit queries over the log and its heads: a run's full history, runs and invocation attempts by
 * workflow, status and time with keyset pagination, totals, and `verify`.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Ids } from "@workflow-runs/core"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as EventStore from "./EventStore.js"
import type * as HashChain from "./HashChain.js"
import { decodeCursor, encodeCursor } from "./internal/cursor.js"
import { unescapeJson } from "./internal/jsonText.js"
import { eventColumns, EventRow, findAll, toStoredEvent } from "./internal/rows.js"
import { type HeadRow, Verifier } from "./internal/verify.js"
import * as Invocation from "./Invocation.js"
import { storeError } from "./PgEventStore.js"
import type { InvalidCursor, StoreError } from "./StoreError.js"
import type * as Verification from "./Verification.js"

/**
 * A run as its head row stores it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunSummary {
  readonly runId: string
  readonly version: number
  readonly status: string
  readonly workflowId: string | null
  readonly livemode: boolean | null
  /** The type of the run's trigger, for example `manual` or `event`. The run's history has the whole trigger. */
  readonly triggerType: string | null
  readonly inputParameters: unknown
  readonly errorMessage: string | null
  readonly startedAt: DateTime.Utc | null
  readonly finishedAt: DateTime.Utc | null
  readonly updatedAt: DateTime.Utc
  readonly headHash: string
}

/**
 * An invocation attempt as its head row stores it.
 *
 * @since 0.1.0
 * @category models
 */
export interface InvocationSummary {
  readonly idempotencyKey: string
  readonly version: number
  readonly outcome: Invocation.Outcome
  readonly workflowId: string | null
  readonly inputParameters: unknown
  readonly actor: string | null
  readonly runId: string | null
  readonly error: unknown
  readonly requestedAt: DateTime.Utc | null
  readonly settledAt: DateTime.Utc | null
}

/**
 * A page of results and the cursor of the next page, none on the last page.
 *
 * @since 0.1.0
 * @category models
 */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly next: Option.Option<string>
}

/**
 * Filters of {@link Service.runs}: runs started in `[from, to)`, ordered by start time and id.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunQuery {
  readonly workflowId?: Ids.WorkflowId | undefined
  /**
   * Only runs in this status. No index covers the status, so that settling a run writes no index
   * entry. The listing reads the range's runs in order and skips the others.
   */
  readonly status?: string | undefined
  readonly from?: DateTime.Utc | undefined
  readonly to?: DateTime.Utc | undefined
  /** Page size; default 100, at most 1000. */
  readonly limit?: number | undefined
  /** The `next` cursor of the previous page. */
  readonly after?: string | undefined
}

/**
 * Filters of {@link Service.invocations}: attempts requested in `[from, to)`.
 *
 * @since 0.1.0
 * @category models
 */
export interface InvocationQuery {
  readonly workflowId?: Ids.WorkflowId | undefined
  /** Only attempts with this outcome, skipped over in order as {@link RunQuery.status} is. */
  readonly outcome?: Invocation.Outcome | undefined
  readonly from?: DateTime.Utc | undefined
  readonly to?: DateTime.Utc | undefined
  readonly limit?: number | undefined
  readonly after?: string | undefined
}

/**
 * The number of runs of one workflow in one status.
 *
 * @since 0.1.0
 * @category models
 */
export interface Total {
  readonly workflowId: string | null
  readonly status: string
  readonly runs: number
}

/**
 * A run's head and every event of its stream, with raw metadata and log positions.
 *
 * @since 0.1.0
 * @category models
 */
export interface History {
  readonly run: Option.Option<RunSummary>
  readonly events: ReadonlyArray<EventStore.StoredEvent>
}

/**
 * The audit queries.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly history: (runId: Ids.WorkflowRunId) => Effect.Effect<History, StoreError>
  readonly runs: (query: RunQuery) => Effect.Effect<Page<RunSummary>, StoreError | InvalidCursor>
  readonly invocations: (
    query: InvocationQuery
  ) => Effect.Effect<Page<InvocationSummary>, StoreError | InvalidCursor>
  /** Counts runs started in `[from, to)` by workflow and status. */
  readonly totals: (window: {
    readonly from: DateTime.Utc
    readonly to: DateTime.Utc
  }) => Effect.Effect<ReadonlyArray<Total>, StoreError>
  /**
   * Recomputes every hash chain from the stored events and returns every broken chain. With
   * `expect`, it also checks that each anchored stream still has the anchored hash at the anchored
   * version, or for a compact anchor that the settled prefix it covers still has its digest.
   */
  readonly verify: (options?: {
    readonly expect?: HashChain.Anchor | HashChain.CompactAnchor | undefined
  }) => Effect.Effect<Verification.Report, StoreError>
}

/**
 * The audit query service.
 *
 * @since 0.1.0
 * @category tags
 */
export class RunLog extends Context.Tag("@workflow-runs/store/RunLog")<RunLog, Service>() {}

const DateOrNull = Schema.NullOr(Schema.DateFromSelf)

const RunRow = Schema.Struct({
  run_id: Schema.String,
  version: Schema.Int,
  status: Schema.String,
  workflow_id: Schema.NullOr(Schema.String),
  livemode: Schema.NullOr(Schema.Boolean),
  trigger_type: Schema.NullOr(Schema.String),
  input_parameters: Schema.Unknown,
  error_message: Schema.NullOr(Schema.String),
  started_at: DateOrNull,
  finished_at: DateOrNull,
  updated_at: Schema.DateFromSelf,
  head_hash: Schema.String
})

type RunRow = typeof RunRow.Type

const InvocationRow = Schema.Struct({
  idempotency_key: Schema.String,
  version: Schema.Int,
  outcome: Invocation.Outcome,
  workflow_id: Schema.NullOr(Schema.String),
  input_parameters: Schema.Unknown,
  actor: Schema.NullOr(Schema.String),
  run_id: Schema.NullOr(Schema.String),
  error: Schema.Unknown,
  requested_at: DateOrNull,
  settled_at: DateOrNull
})

type InvocationRow = typeof InvocationRow.Type

const TotalRow = Schema.Struct({ workflow_id: Schema.NullOr(Schema.String), status: Schema.String, runs: Schema.Int })

const VerifyRow = Schema.Struct({
  stream_id: Schema.String,
  version: Schema.Int,
  event_id: Schema.String,
  type: Schema.String,
  data: Schema.Unknown,
  metadata: Schema.Unknown,
  occurred_at: Schema.DateFromSelf,
  hash: Schema.String,
  in_settled_prefix: Schema.Boolean,
  in_expected_prefix: Schema.Boolean
})

const FeedPoint = Schema.Struct({ tx_id: Schema.String, position: Schema.String })

const SettledPrefixRow = Schema.Struct({
  events: Schema.Int,
  tx_id: Schema.NullOr(Schema.String),
  position: Schema.NullOr(Schema.String),
  complete: Schema.Boolean
})

const HeadRowSchema = Schema.Struct({ stream: Schema.String, version: Schema.Int, hash: Schema.String })

const utcOrNull = (date: Date | null) => (date === null ? null : DateTime.unsafeFromDate(date))

const toRunSummary = (row: RunRow): RunSummary => ({
  runId: row.run_id,
  version: row.version,
  status: row.status,
  workflowId: row.workflow_id,
  livemode: row.livemode,
  triggerType: row.trigger_type,
  inputParameters: unescapeJson(row.input_parameters),
  errorMessage: row.error_message,
  startedAt: utcOrNull(row.started_at),
  finishedAt: utcOrNull(row.finished_at),
  updatedAt: DateTime.unsafeFromDate(row.updated_at),
  headHash: row.head_hash
})

const toInvocationSummary = (row: InvocationRow): InvocationSummary => ({
  idempotencyKey: row.idempotency_key,
  version: row.version,
  outcome: row.outcome,
  workflowId: row.workflow_id,
  inputParameters: unescapeJson(row.input_parameters),
  actor: row.actor,
  runId: row.run_id,
  error: unescapeJson(row.error),
  requestedAt: utcOrNull(row.requested_at),
  settledAt: utcOrNull(row.settled_at)
})

const runColumns = `run_id, version::int as version, status, workflow_id, livemode, trigger_type, input_parameters,
  error_message, started_at, finished_at, updated_at, encode(head_hash, 'hex') as head_hash`

const invocationColumns = `idempotency_key, version::int as version, outcome, workflow_id, input_parameters,
  actor, run_id, error, requested_at, settled_at`

const iso = (value: DateTime.Utc | undefined) => (value === undefined ? null : DateTime.formatIso(value))

const pageSize = (limit: number | undefined) => Math.max(1, Math.min(limit ?? 100, 1000))

/** Events per page while verifying. */
const verifyPageSize = 2000

/** How long verify waits for transactions that were running when it started to end. */
const settleWait = Duration.seconds(2)

const settlePollInterval = Duration.millis(50)

/**
 * Builds the audit queries over the `SqlClient` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, SqlClient.SqlClient> = Effect.gen(function*() {
  const findRun = yield* findAll(`select ${runColumns} from workflow_runs where run_id = $1`, RunRow)
  const findStream = yield* findAll(
    `select ${eventColumns} from run_events where stream_id = $1 order by version`,
    EventRow
  )
  const findRuns = yield* findAll(
    `select ${runColumns} from workflow_runs
     where ($1::text is null or workflow_id = $1)
       and ($2::text is null or status = $2)
       and ($3::timestamptz is null or started_at >= $3)
       and ($4::timestamptz is null or started_at < $4)
       and ($5::timestamptz is null or (started_at, run_id) > ($5::timestamptz, $6::text))
     order by started_at, run_id
     limit $7`,
    RunRow
  )
  const findInvocations = yield* findAll(
    `select ${invocationColumns} from invocations
     where ($1::text is null or workflow_id = $1)
       and ($2::text is null or outcome = $2)
       and ($3::timestamptz is null or requested_at >= $3)
       and ($4::timestamptz is null or requested_at < $4)
       and ($5::timestamptz is null or (requested_at, idempotency_key) > ($5::timestamptz, $6::text))
     order by requested_at, idempotency_key
     limit $7`,
    InvocationRow
  )
  const findTotals = yield* findAll(
    `select workflow_id, status, count(*)::int as runs from workflow_runs
     where started_at >= $1 and started_at < $2
     group by workflow_id, status
     order by workflow_id, status`,
    TotalRow
  )
  const findVerifyPage = yield* findAll(
    `select stream_id, version::int as version, event_id::text as event_id, type, data, metadata, occurred_at,
            encode(hash, 'hex') as hash,
            coalesce((tx_id, position) <= ($4::text::xid8, $5::bigint), false) as in_settled_prefix,
            coalesce((tx_id, position) <= ($6::text::xid8, $7::bigint), false) as in_expected_prefix
     from run_events where (stream_id, version) > ($1, $2)
     order by stream_id, version limit $3`,
    VerifyRow
  )
  // Every transaction with an id below the oldest one still running has ended, so the events
  // they wrote are final, and every later append gets a higher transaction id and sorts after.
  const findNextTransactionId = yield* findAll(
    `select pg_snapshot_xmax(pg_current_snapshot())::text as xid`,
    Schema.Struct({ xid: Schema.String })
  )
  // The prefix ends below $1, the first transaction id not yet assigned when verify started, or
  // below the oldest running transaction if that is lower. `complete` is true when the first
  // bound applies.
  const findSettledPrefix = yield* findAll(
    `with horizon as (
       select least(pg_snapshot_xmin(pg_current_snapshot()), $1::text::xid8) as xid,
              pg_snapshot_xmin(pg_current_snapshot()) >= $1::text::xid8 as complete
     ),
     settled as (
       select tx_id, position from run_events where tx_id < (select xid from horizon)
     )
     select (select count(*)::int from settled) as events, last.tx_id::text as tx_id,
            last.position::text as position, (select complete from horizon) as complete
     from (select 1) as one
     left join lateral (select tx_id, position from settled order by tx_id desc, position desc limit 1) as last
       on true`,
    SettledPrefixRow
  )
  const findFeedPoint = yield* findAll(
    `select tx_id::text as tx_id, position::text as position from run_events
     order by tx_id, position offset $1 limit 1`,
    FeedPoint
  )
  const findHeads = yield* findAll(
    `select 'run/' || run_id as stream, version::int as version, encode(head_hash, 'hex') as hash from workflow_runs
     union all
     select 'invocation/' || idempotency_key, version::int, encode(head_hash, 'hex') from invocations`,
    HeadRowSchema
  )

  const history = Effect.fn("RunLog.history")(function*(runId: Ids.WorkflowRunId) {
    const [runs, events] = yield* Effect.all([
      findRun([runId]),
      findStream([EventStore.runStream(runId)])
    ], { concurrency: 2 }).pipe(Effect.mapError(storeError("read the run history")))
    return { run: Option.map(Option.fromNullable(runs[0]), toRunSummary), events: events.map(toStoredEvent) }
  })

  const runs = Effect.fn("RunLog.runs")(function*(query: RunQuery) {
    const limit = pageSize(query.limit)
    const after = query.after === undefined ? null : yield* decodeCursor(query.after)
    const rows = yield* findRuns([
      query.workflowId ?? null,
      query.status ?? null,
      iso(query.from),
      iso(query.to),
      after?.at ?? null,
      after?.id ?? null,
      limit + 1
    ]).pipe(Effect.mapError(storeError("list runs")))
    const items = rows.slice(0, limit).map(toRunSummary)
    const last = rows.length > limit ? rows[limit - 1] : undefined
    return {
      items,
      next: last === undefined || last.started_at === null
        ? Option.none()
        : Option.some(encodeCursor(last.started_at, last.run_id))
    }
  })

  const invocations = Effect.fn("RunLog.invocations")(function*(query: InvocationQuery) {
    const limit = pageSize(query.limit)
    const after = query.after === undefined ? null : yield* decodeCursor(query.after)
    const rows = yield* findInvocations([
      query.workflowId ?? null,
      query.outcome ?? null,
      iso(query.from),
      iso(query.to),
      after?.at ?? null,
      after?.id ?? null,
      limit + 1
    ]).pipe(Effect.mapError(storeError("list invocation attempts")))
    const items = rows.slice(0, limit).map(toInvocationSummary)
    const last = rows.length > limit ? rows[limit - 1] : undefined
    return {
      items,
      next: last === undefined || last.requested_at === null
        ? Option.none()
        : Option.some(encodeCursor(last.requested_at, last.idempotency_key))
    }
  })

  const totals = Effect.fn("RunLog.totals")(
    function*(window: { readonly from: DateTime.Utc; readonly to: DateTime.Utc }) {
      const rows = yield* findTotals([iso(window.from), iso(window.to)]).pipe(
        Effect.mapError(storeError("count runs"))
      )
      return rows.map((row) => ({ workflowId: row.workflow_id, status: row.status, runs: row.runs }))
    }
  )

  // Waits for the transactions running when verify starts, such as appends of the projector, to
  // end, so the compact anchor covers every event committed by then.
  // NOTE: the oldest running transaction is server-wide, so one left open longer in any database
  // stops the prefix short and the compact anchor then leaves out the newest events.
  const settledPrefix = Effect.gen(function*() {
    const [next] = yield* findNextTransactionId([])
    const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(settleWait)
    while (true) {
      const [settled] = yield* findSettledPrefix([next!.xid])
      if (settled!.complete || (yield* Clock.currentTimeMillis) >= deadline) return settled!
      yield* Effect.sleep(settlePollInterval)
    }
  }).pipe(Effect.mapError(storeError("read the log's settled prefix")))

  const verify = Effect.fn("RunLog.verify")(function*(options?: {
    readonly expect?: HashChain.Anchor | HashChain.CompactAnchor | undefined
  }) {
    const expect = options?.expect
    const anchoredHeads = expect !== undefined && "heads" in expect ? expect.heads : []
    const verifier = new Verifier(new Map(anchoredHeads.map((head) => [head.stream, head.version])))
    const settled = yield* settledPrefix
    const settledEvents = settled?.events ?? 0
    // The last event of the prefix an expected compact anchor covers, when the log has that many.
    const expectedEnd = expect !== undefined && "events" in expect && expect.events > 0 &&
        expect.events <= settledEvents
      ? (yield* findFeedPoint([expect.events - 1]).pipe(
        Effect.mapError(storeError("find the end of the anchored prefix"))
      ))[0]
      : undefined
    const prefixBounds = [
      settled?.tx_id ?? null,
      settled?.position ?? null,
      expectedEnd?.tx_id ?? null,
      expectedEnd?.position ?? null
    ]
    let after: { stream: string; version: number } = { stream: "", version: 0 }
    while (true) {
      const rows = yield* findVerifyPage([after.stream, after.version, verifyPageSize, ...prefixBounds]).pipe(
        Effect.mapError(storeError("read the log for verification"))
      )
      for (const row of rows) {
        verifier.add({
          stream: row.stream_id,
          version: row.version,
          eventId: row.event_id,
          type: row.type,
          data: row.data,
          metadata: row.metadata,
          occurredAt: row.occurred_at.toISOString(),
          hash: row.hash,
          inSettledPrefix: row.in_settled_prefix,
          inExpectedPrefix: row.in_expected_prefix
        })
      }
      const last = rows[rows.length - 1]
      if (last === undefined || rows.length < verifyPageSize) break
      after = { stream: last.stream_id, version: last.version }
    }
    const heads: ReadonlyArray<HeadRow> = yield* findHeads([]).pipe(
      Effect.mapError(storeError("read the stream heads"))
    )
    return verifier.finish(heads, expect, settledEvents)
  })

  return { history, runs, invocations, totals, verify }
})

/**
 * The audit queries over the `SqlClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RunLog, never, SqlClient.SqlClient> = Layer.effect(RunLog, make)

/**
 * Checks that `runs` or `invocations` issued `cursor`. It reads no database, so a command line
 * can reject a bad cursor before it connects.
 *
 * @since 0.1.0
 * @category cursors
 */
export const checkCursor = (cursor: string): Effect.Effect<void, InvalidCursor> => Effect.asVoid(decodeCursor(cursor))
