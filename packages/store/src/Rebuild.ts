/**
 * Rebuilds the `workflow_runs` projection from the log into a new table, then optionally swaps it
 * in under an exclusive lock, after applying the events appended meanwhile.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { Ids } from "@workflow-runs/core"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import type { ParseError } from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as EventStore from "./EventStore.js"
import * as Codec from "./internal/codec.js"
import { copyGrantsStatement } from "./internal/grants.js"
import * as Heads from "./internal/heads.js"
import { eventColumns, EventRow, findAll, toStoredEvent } from "./internal/rows.js"
import { storeError } from "./PgEventStore.js"
import { StoreError } from "./StoreError.js"

/**
 * How far a rebuild has come.
 *
 * @since 0.1.0
 * @category models
 */
export interface Progress {
  readonly phase: "replaying" | "catching-up" | "swapped" | "done"
  /** Run events applied so far. */
  readonly events: number
  readonly checkpoint: EventStore.Checkpoint
}

/**
 * Options of {@link rebuildRuns}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Replace `workflow_runs` with the rebuilt table; default false (the table is left beside it). */
  readonly swap?: boolean | undefined
  /** Events per page; default 1000. */
  readonly batchSize?: number | undefined
  /** Called after each page. */
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
}

/**
 * The outcome of a rebuild: the table that contains the rebuilt projection (`workflow_runs` after
 * a swap) and the number of events applied.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  readonly table: string
  readonly events: number
}

const runPrefix = "run/"

const notFollowing = (stream: string, version: number) =>
  new StoreError({ operation: "rebuild", message: `event ${version} of ${stream} does not follow the rebuilt head` })

/** A row of the batch statement: the key of a head it updated. */
const HeadKey = Schema.Struct({ key: Schema.String })

/** The events of one run in a batch, folded into the write of its head. */
interface FoldedHead {
  readonly runId: string
  readonly stream: string
  readonly firstVersion: number
  lastVersion: number
  /** The head patches of the events merged in order, later columns over earlier ones. */
  readonly patch: Record<string, unknown>
  /** The hash of the last event. */
  hash: string
}

/**
 * Folds the run events of `events` per run, in order, as the append function folds the events
 * of one append: later patches override earlier columns, and the last event gives the version
 * and hash. Each patch comes from decoding the event and encoding it again, as the writers do.
 * Transitions are not checked, because the inline head applies whatever the log contains.
 * Fails when a run's versions in the batch have a gap.
 */
const foldHeads = (events: ReadonlyArray<EventStore.StoredEvent>) =>
  Effect.suspend(() => {
    const heads = new Map<string, FoldedHead>()
    for (const event of events) {
      if (!event.stream.startsWith(runPrefix)) continue
      const runId = event.stream.slice(runPrefix.length) as Ids.WorkflowRunId
      const decoded = Codec.decodeRun(runId, { ...event, occurredAt: DateTime.formatIso(event.occurredAt) })
      const { patch } = Codec.encodeRun(decoded)
      const head = heads.get(runId)
      if (head === undefined) {
        heads.set(runId, {
          runId,
          stream: event.stream,
          firstVersion: event.version,
          lastVersion: event.version,
          patch: { ...patch },
          hash: event.hash
        })
        continue
      }
      if (event.version !== head.lastVersion + 1) return Effect.fail(notFollowing(event.stream, event.version))
      Object.assign(head.patch, patch)
      head.lastVersion = event.version
      head.hash = event.hash
    }
    return Effect.succeed(Array.from(heads.values()))
  })

/**
 * Replays every run event into a new table and, with `swap`, replaces `workflow_runs` with it.
 * Appends keep going during the replay. The swap waits for the appends in flight, applies the
 * rest under the lock and renames the tables, so no event is lost.
 *
 * @since 0.1.0
 * @category rebuilds
 */
export const rebuildRuns = Effect.fn("Rebuild.rebuildRuns")(function*(options?: Options) {
  const sql = yield* SqlClient.SqlClient
  const store = yield* EventStore.EventStore
  const batchSize = options?.batchSize ?? 1000
  const report = options?.onProgress ?? (() => Effect.void)
  const table = `workflow_runs_rebuild_${Date.now()}`
  const project = yield* findAll(Heads.projectBatchStatement(Heads.runs, table), HeadKey)
  const findRest = yield* findAll(
    `select ${eventColumns} from run_events
     where stream_id like 'run/%' and (tx_id, position) > ($1::text::xid8, $2::bigint)
     order by tx_id, position`,
    EventRow
  )

  // One statement per batch, which writes each run's head once.
  const apply = (events: ReadonlyArray<EventStore.StoredEvent>) =>
    Effect.gen(function*() {
      const heads = yield* foldHeads(events)
      if (heads.length === 0) return
      const updated = yield* project([
        heads.map((head) => head.runId),
        heads.map((head) => head.stream),
        heads.map((head) => head.firstVersion),
        heads.map((head) => head.lastVersion),
        heads.map((head) => JSON.stringify(head.patch)),
        heads.map((head) => head.hash)
      ])
      const keys = new Set(updated.map((row) => row.key))
      const behind = heads.find((head) => head.firstVersion > 1 && !keys.has(head.runId))
      if (behind !== undefined) return yield* Effect.fail(notFollowing(behind.stream, behind.firstVersion))
    })

  yield* sql.unsafe(`create table ${table} (like workflow_runs including all)`).pipe(
    Effect.mapError(storeError("create the rebuild table"))
  )
  let checkpoint = EventStore.start
  let applied = 0
  while (true) {
    const events = yield* store.readFeed(checkpoint, batchSize)
    yield* sql.withTransaction(apply(events)).pipe(Effect.mapError(mapSqlError))
    applied += events.filter((event) => event.stream.startsWith(runPrefix)).length
    const last = events[events.length - 1]
    if (last !== undefined) checkpoint = EventStore.checkpointOf(last)
    yield* report({ phase: "replaying", events: applied, checkpoint })
    if (events.length < batchSize) break
  }
  if (options?.swap !== true) {
    yield* report({ phase: "done", events: applied, checkpoint })
    return { table, events: applied } satisfies Result
  }

  yield* sql.withTransaction(Effect.gen(function*() {
    // Every run append writes workflow_runs, so under this lock each run event is committed
    // or not yet started, and the rest can be read without the feed's horizon.
    yield* sql.unsafe("lock table workflow_runs in access exclusive mode")
    const rows = yield* findRest([checkpoint.txId.toString(), checkpoint.position.toString()])
    const rest = rows.map(toStoredEvent)
    yield* apply(rest)
    applied += rest.length
    yield* report({ phase: "catching-up", events: applied, checkpoint })
    yield* sql.unsafe(copyGrantsStatement("workflow_runs", table))
    yield* sql.unsafe(`alter table workflow_runs rename to ${table}_replaced`)
    yield* sql.unsafe(`alter table ${table} rename to workflow_runs`)
    yield* sql.unsafe(`drop table ${table}_replaced`)
  })).pipe(Effect.mapError(mapSqlError))
  yield* report({ phase: "swapped", events: applied, checkpoint })
  return { table: "workflow_runs", events: applied } satisfies Result
})

const mapSqlError = (error: SqlError | ParseError | StoreError): StoreError =>
  error._tag === "StoreError" ? error : storeError("rebuild")(error)
