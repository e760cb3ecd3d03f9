/**
 * A run log on the store's own schema, for the growth and rebuild benchmarks. The store's
 * migrations create the tables in a schema of their own. COPY then fills them with the rows the
 * store would have written, because appending 1,000,000 events one call at a time takes too long.
 *
 * Every run is two events, `RunStarted` then `RunSucceeded` (every fourth run `RunFailed`),
 * with the payloads and metadata the projector writes. The loader computes each event's digest
 * and chained hash with the store's `HashChain` module and writes the run's head row in
 * `workflow_runs`, so the store's `verify` accepts the log; a test checks that the rows equal
 * those of the same runs appended through `EventStore.appendRun`.
 */
import { Ids, RunEvent, WorkflowRun } from "@workflow-runs/core"
import { Database, type EventStore, HashChain, Migrations } from "@workflow-runs/store"
import { DateTime, Effect, Redacted } from "effect"
import { createHash } from "node:crypto"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import pg from "pg"
import { from as copyFrom } from "pg-copy-streams"
import { v5 as uuidV5 } from "uuid"
import { createSchema, dropSchema, uniqueSchemaName, withSearchPath } from "./internal/schema.js"

/** Workflows the runs are spread over, round robin. */
export const workflowCount = 5

/** Runs per window: a window's `RunStarted` events come first, then their terminal events. */
export const windowRuns = 50

/** Milliseconds between the starts of consecutive runs. */
export const runIntervalMs = 1_000

const firstStart = Date.UTC(2026, 0, 1)

/** One run of the generated log, numbered from 0. */
export interface FixtureRun {
  readonly index: number
  readonly runId: string
  readonly workflowId: string
  readonly failed: boolean
  readonly startedAt: Date
  readonly endedAt: Date
  readonly inputParameters: Readonly<Record<string, string | number>>
}

// Run ids are spread like Stripe's random ids, so the log's indexes grow as they do in production
// rather than by appending to their right edge.
const runIdOf = (index: number): string =>
  `wfrun_bench_${createHash("md5").update(String(index)).digest("hex").slice(0, 24)}`

/** The workflow of the runs numbered `index` modulo {@link workflowCount}. */
export const workflowIdOf = (index: number): string => `wf_bench_${index % workflowCount}`

/** Whether the run numbered `index` fails: every fourth run does. */
export const failsAt = (index: number): boolean => index % 4 === 3

/** Generates the run numbered `index`. */
export const fixtureRun = (index: number): FixtureRun => {
  const startedAt = new Date(firstStart + index * runIntervalMs)
  return {
    index,
    runId: runIdOf(index),
    workflowId: workflowIdOf(index),
    failed: failsAt(index),
    startedAt,
    // Milliseconds that vary per run, so the log exercises the store's millisecond precision.
    endedAt: new Date(startedAt.getTime() + 30_000 + (index % 997)),
    inputParameters: {
      invoice_id: `in_bench_${index}`,
      amount: (index * 37) % 100_000,
      currency: "usd",
      approver: "ops@example.com"
    }
  }
}

/** The error message of every failed run. */
export const failureMessage = "Approver rejected the invoice."

/** The metadata of a run's event, as the projector writes it for a webhook notification. */
export const metadataOf = (run: FixtureRun, transition: RunEvent.Transition): EventStore.Metadata => ({
  source: "webhook",
  stripeEventId: `evt_bench_${run.index}_${transition}`,
  stripeEventType: `v2.extend.workflow_run.${transition}`
})

/** Builds the core events of a run, as the projector would append them. */
export const runEventsOf = (run: FixtureRun): readonly [RunEvent.RunStarted, RunEvent.RunEvent] => {
  const runId = Ids.WorkflowRunId.make(run.runId)
  const trigger = new WorkflowRun.RunTrigger({
    type: "manual",
    eventTrigger: null,
    manual: new WorkflowRun.ManualTrigger({ inputParameters: run.inputParameters }, true)
  }, true)
  const started = RunEvent.started({
    runId,
    occurredAt: DateTime.unsafeFromDate(run.startedAt),
    workflow: Ids.WorkflowId.make(run.workflowId),
    trigger,
    livemode: false
  })
  const endedAt = DateTime.unsafeFromDate(run.endedAt)
  return [
    started,
    run.failed ? RunEvent.failed(runId, endedAt, failureMessage) : RunEvent.succeeded(runId, endedAt)
  ]
}

/** One row of `run_events` as the loader writes it. */
interface EventRow {
  readonly stream: string
  readonly version: number
  readonly eventId: string
  readonly type: string
  readonly data: Readonly<Record<string, unknown>>
  readonly metadata: EventStore.Metadata
  readonly occurredAt: string
  readonly hash: Uint8Array
}

// The stored form of the events: the fields of the core events as their schemas encode them,
// without the run id, event id, time and tag, which have columns of their own. The bench's
// strings need no `jsonb` escaping. Writing the objects out directly is about ten times faster
// than encoding core events, and the loader test compares the result with real appends.
const startedData = (run: FixtureRun): Record<string, unknown> => ({
  workflow: run.workflowId,
  trigger: { event_trigger: null, manual: { input_parameters: run.inputParameters }, type: "manual" },
  livemode: false
})

// The id that `RunEvent.runEventId` returns: a UUIDv5 in core's namespace. The `uuid` package
// computes it several times faster, and the loader test compares the ids with real appends.
const eventIdOf = (run: FixtureRun, transition: RunEvent.Transition): string =>
  uuidV5(`${run.runId}:${transition}`, Ids.eventIdNamespace)

const eventRowsOf = (run: FixtureRun): readonly [EventRow, EventRow] => {
  const stream = `run/${run.runId}`
  const ended = run.failed ? "failed" : "succeeded"
  const first = {
    stream,
    version: 1,
    eventId: eventIdOf(run, "started"),
    type: "RunStarted",
    data: startedData(run),
    metadata: metadataOf(run, "started"),
    occurredAt: run.startedAt.toISOString()
  }
  const second = {
    stream,
    version: 2,
    eventId: eventIdOf(run, ended),
    type: run.failed ? "RunFailed" : "RunSucceeded",
    data: run.failed ? { errorMessage: failureMessage } : {},
    metadata: metadataOf(run, ended),
    occurredAt: run.endedAt.toISOString()
  }
  const firstHash = HashChain.chain(HashChain.genesis, HashChain.digest(first))
  const secondHash = HashChain.chain(firstHash, HashChain.digest(second))
  return [{ ...first, hash: firstHash }, { ...second, hash: secondHash }]
}

// COPY's text format: a backslash starts an escape, so it is doubled. JSON text has no raw tab
// or newline, which are the format's other special characters.
const copyText = (value: string): string => value.replaceAll("\\", "\\\\")

const copyBytes = (bytes: Uint8Array): string => `\\\\x${HashChain.toHex(bytes)}`

const eventLine = (row: EventRow): string =>
  [
    row.stream,
    String(row.version),
    row.eventId,
    row.type,
    copyText(JSON.stringify(row.data)),
    copyText(JSON.stringify(row.metadata)),
    row.occurredAt,
    copyBytes(row.hash)
  ].join("\t") + "\n"

const headLine = (run: FixtureRun, hash: Uint8Array): string =>
  [
    run.runId,
    "2",
    run.failed ? "failed" : "succeeded",
    run.workflowId,
    "false",
    "manual",
    copyText(JSON.stringify(run.inputParameters)),
    run.failed ? failureMessage : "\\N",
    run.startedAt.toISOString(),
    run.endedAt.toISOString(),
    copyBytes(hash)
  ].join("\t") + "\n"

/**
 * Lists the run and version of each 0-based log slot in `[first, last)`. Runs are laid out in
 * windows of {@link windowRuns}: the window's `RunStarted` events, then its terminal events in
 * the same order, as notifications of overlapping runs arrive.
 */
export const eventOrder = (runs: number, first: number, last: number): Array<{ run: number; version: 1 | 2 }> => {
  const slots: Array<{ run: number; version: 1 | 2 }> = []
  for (let slot = first; slot < last; slot++) {
    const window = Math.floor(slot / (2 * windowRuns))
    const firstRun = window * windowRuns
    const size = Math.min(windowRuns, runs - firstRun)
    const offset = slot - window * 2 * windowRuns
    slots.push(offset < size ? { run: firstRun + offset, version: 1 } : { run: firstRun + offset - size, version: 2 })
  }
  return slots
}

const copy = async (client: pg.ClientBase, statement: string, text: string): Promise<void> => {
  await pipeline(Readable.from([text]), client.query(copyFrom(statement)))
}

const eventColumns = "stream_id, version, event_id, type, data, metadata, occurred_at, hash"

const headColumns =
  "run_id, version, status, workflow_id, livemode, trigger_type, input_parameters, error_message, started_at, finished_at, head_hash"

/** Events per COPY and transaction unless {@link LoadOptions} sets another number. */
export const defaultEventsPerTransaction = 1_000

/** Options of {@link load}. */
export interface LoadOptions {
  /** Events in the log; even, since every run has two. */
  readonly events: number
  /**
   * Events per COPY, each in its own transaction; default 1,000. The store commits every append
   * on its own, so a real log has more distinct `tx_id`s; the reads use the same indexes either way.
   */
  readonly eventsPerTransaction?: number | undefined
}

/** A loaded log on the store's schema. */
export interface StoreLog {
  /** Events loaded. */
  readonly events: number
  /** Runs loaded, numbered from 0 with {@link fixtureRun}. */
  readonly runs: number
  readonly schema: string
  /** `url` with the log's schema as `search_path`; it may hold a password, so never print it. */
  readonly url: string
  /** The checkpoint of the event in the middle of the log: a reader there reads its second half. */
  readonly middle: EventStore.Checkpoint
  /** Seconds the load took, migrations included. */
  readonly loadSeconds: number
}

/** Applies the store's migrations to the schema that `schemaUrl` selects. */
export const migrate = (schemaUrl: string): Promise<void> =>
  Effect.runPromise(
    Migrations.run.pipe(
      // The migration run holds its lock on a reserved connection and migrates on another.
      Effect.provide(Database.layerClient({ url: Redacted.make(schemaUrl), maxConnections: 2 })),
      Effect.asVoid
    )
  )

/** Describes the oldest transaction with an xid on the server, or returns "none found". */
export const oldestOpenTransaction = async (client: pg.ClientBase): Promise<string> => {
  const result = await client.query<{ description: string }>(
    `SELECT format('pid %s, backend_xid %s, state %s, since %s', pid, backend_xid, state, xact_start) AS description
       FROM pg_stat_activity
      WHERE backend_xid IS NOT NULL
      ORDER BY age(backend_xid) DESC
      LIMIT 1`
  )
  return result.rows[0]?.description ?? "none found"
}

/**
 * Waits until every event of the log in the client's schema is below the transaction horizon,
 * so the store's feed returns all of them. A transaction that started before the load committed,
 * on any database of the server, keeps the horizon back until it ends.
 */
export const awaitHorizon = async (client: pg.ClientBase, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const result = await client.query<{ below: boolean }>(
      "SELECT coalesce(max(tx_id) < pg_snapshot_xmin(pg_current_snapshot()), true) AS below FROM run_events"
    )
    if (result.rows[0]?.below === true) return
    if (Date.now() >= deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for the log's events to fall below the transaction horizon; oldest open transaction: ${await oldestOpenTransaction(
          client
        )}. End that transaction and run again.`
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const checkLoadOptions = (options: LoadOptions): number => {
  if (!Number.isInteger(options.events) || options.events < 2 || options.events % 2 !== 0) {
    throw new Error(`Invalid log size ${options.events}: use an even number of events, at least 2 (two per run).`)
  }
  const perTransaction = options.eventsPerTransaction ?? defaultEventsPerTransaction
  if (!Number.isInteger(perTransaction) || perTransaction < 1) {
    throw new Error(`Invalid events per transaction ${perTransaction}: use a positive integer.`)
  }
  return perTransaction
}

interface PendingRun {
  readonly run: FixtureRun
  readonly rows: readonly [EventRow, EventRow]
}

// The COPY text of the events in log slots `[first, last)` and of the heads of the runs that
// end among them. `pending` contains the rows of runs started but not yet ended.
const chunkText = (
  runs: number,
  first: number,
  last: number,
  pending: Map<number, PendingRun>
): { readonly events: string; readonly heads: string } => {
  let events = ""
  let heads = ""
  for (const slot of eventOrder(runs, first, last)) {
    let entry = pending.get(slot.run)
    if (entry === undefined) {
      const run = fixtureRun(slot.run)
      entry = { run, rows: eventRowsOf(run) }
      pending.set(slot.run, entry)
    }
    const row = entry.rows[slot.version - 1]!
    events += eventLine(row)
    if (slot.version === 2) {
      heads += headLine(entry.run, row.hash)
      pending.delete(slot.run)
    }
  }
  return { events, heads }
}

/**
 * Fills the migrated schema that `schemaUrl` selects with `options.events` events and their
 * heads, then waits until the events are readable through the feed. Returns the checkpoint of
 * the event in the middle of the log.
 */
export const fill = async (schemaUrl: string, options: LoadOptions): Promise<EventStore.Checkpoint> => {
  const perTransaction = checkLoadOptions(options)
  const runs = options.events / 2
  const client = new pg.Client({ connectionString: schemaUrl })
  await client.connect()
  // A run's head is written in the transaction of its last event, as the append writes it.
  const write = async (text: { readonly events: string; readonly heads: string }) => {
    await client.query("BEGIN")
    await copy(client, `COPY run_events (${eventColumns}) FROM STDIN`, text.events)
    if (text.heads !== "") await copy(client, `COPY workflow_runs (${headColumns}) FROM STDIN`, text.heads)
    await client.query("COMMIT")
  }
  let written: Promise<void> = Promise.resolve()
  try {
    // Loading is not measured: the loader waits for no WAL flush, which changes nothing that is stored.
    await client.query("SET synchronous_commit = off")
    const pending = new Map<number, PendingRun>()
    for (let first = 0; first < options.events; first += perTransaction) {
      // The next chunk is computed while the server writes the previous one.
      const text = chunkText(runs, first, Math.min(first + perTransaction, options.events), pending)
      await written
      written = write(text)
    }
    await written
    await client.query("ANALYZE run_events")
    await client.query("ANALYZE workflow_runs")
    await awaitHorizon(client)
    const middle = await client.query<{ tx_id: string; position: string }>(
      // Ordered by the column, not by the text alias of the same name.
      `SELECT tx_id::text AS tx_id, position::text AS position FROM run_events
        ORDER BY run_events.position OFFSET $1 LIMIT 1`,
      [Math.floor(options.events / 2) - 1]
    )
    const row = middle.rows[0]!
    return { txId: BigInt(row.tx_id), position: BigInt(row.position) }
  } finally {
    // A failed write rejects `written` before the client closes, so it is not left unhandled.
    await written.catch(() => undefined)
    await client.end()
  }
}

/**
 * Creates a schema on the server of `url`, applies the store's migrations to it and fills it
 * with a log of `options.events` events. Drop it with {@link drop}.
 */
export const load = async (url: string, options: LoadOptions): Promise<StoreLog> => {
  checkLoadOptions(options)
  const started = performance.now()
  const schema = uniqueSchemaName(`bench_log_${options.events}`)
  await createSchema(url, schema)
  const schemaUrl = withSearchPath(url, schema)
  try {
    await migrate(schemaUrl)
    const middle = await fill(schemaUrl, options)
    return {
      events: options.events,
      runs: options.events / 2,
      schema,
      url: schemaUrl,
      middle,
      loadSeconds: (performance.now() - started) / 1000
    }
  } catch (error) {
    await dropSchema(url, schema)
    throw error
  }
}

/** Drops the schema of `log` with everything in it. */
export const drop = (url: string, log: StoreLog): Promise<void> => dropSchema(url, log.schema)
