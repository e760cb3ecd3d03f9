/**
 * A table shaped like the store's run log (`run_events`), its bulk loader and the two reads
 * the growth benchmark measures.
 *
 * `createTable` replaces the store's migrations until they exist. Every query takes the table's
 * qualified name, and `bulkLoad` writes only columns the log has, so the store's own table can
 * take the place of `createTable` without changes to the measurements.
 */
import { createHash } from "node:crypto"
import pg from "pg"
import { checkIdentifier } from "./internal/schema.js"

/** Location of a run-events table. */
export interface RunEventsTable {
  readonly schema: string
  readonly name: string
}

/** The schema-qualified name of `table`, safe to write into SQL. */
export const qualifiedName = (table: RunEventsTable): string =>
  `${checkIdentifier(table.schema)}.${checkIdentifier(table.name)}`

/**
 * Creates the table with the columns and indexes of the run log. It has a global position, the
 * writing transaction's id, a version per stream, an event id unique per stream and a hash,
 * plus the `(tx_id, position)` index that the gap-safe reader pages through.
 */
export const createTable = async (client: pg.ClientBase, table: RunEventsTable): Promise<void> => {
  const name = qualifiedName(table)
  const index = checkIdentifier(`${table.name}_tx_id_position`)
  await client.query(`
    CREATE TABLE ${name} (
      position bigint GENERATED ALWAYS AS IDENTITY,
      tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      stream text NOT NULL,
      version integer NOT NULL CHECK (version > 0),
      event_id uuid NOT NULL,
      type text NOT NULL,
      data jsonb NOT NULL,
      metadata jsonb NOT NULL,
      occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      hash bytea NOT NULL,
      PRIMARY KEY (stream, version),
      UNIQUE (stream, event_id),
      UNIQUE (position)
    )`)
  await client.query(`CREATE INDEX ${index} ON ${name} (tx_id, position)`)
}

/**
 * Appends `count` generated events (two per run, `RunStarted` then `RunSucceeded`) in
 * transactions of `rowsPerTransaction` rows, so the log has many distinct `tx_id`s as a
 * real one does. Rows are generated on the server with `generate_series`, which avoids
 * shipping them over the connection; `offset` continues the numbering of an earlier load.
 */
export const bulkLoad = async (
  client: pg.ClientBase,
  table: RunEventsTable,
  options: { readonly count: number; readonly offset?: number; readonly rowsPerTransaction?: number }
): Promise<void> => {
  const name = qualifiedName(table)
  const offset = options.offset ?? 0
  const chunk = options.rowsPerTransaction ?? 20_000
  for (let first = offset + 1; first <= offset + options.count; first += chunk) {
    const last = Math.min(first + chunk - 1, offset + options.count)
    // Event i belongs to run ceil(i / 2) at version 2 - (i % 2). The hash has the real
    // column's size (32 bytes) but is not a valid chain.
    await client.query(
      `INSERT INTO ${name} (stream, version, event_id, type, data, metadata, occurred_at, hash)
       SELECT run.stream,
              run.version,
              md5(run.stream || ':' || run.version)::uuid,
              CASE run.version WHEN 1 THEN 'RunStarted' ELSE 'RunSucceeded' END,
              CASE run.version
                WHEN 1 THEN jsonb_build_object(
                  'runId', run.stream,
                  'workflowId', 'wf_bench_' || (i % 50),
                  'trigger', jsonb_build_object('type', 'api'),
                  'inputParameters', jsonb_build_object('invoice_id', 'in_' || i, 'amount', i % 100000, 'currency', 'usd'),
                  'livemode', false)
                ELSE jsonb_build_object('runId', run.stream)
              END,
              jsonb_build_object('source', 'bench', 'notificationId', 'evt_' || i, 'correlationId', run.stream),
              timestamptz '2026-01-01 00:00:00+00' + i * interval '1 millisecond',
              sha256(convert_to(run.stream || ':' || run.version, 'UTF8'))
         FROM generate_series($1::bigint, $2::bigint) AS i,
              LATERAL (SELECT 'wfrun_' || md5(((i + 1) / 2)::text) AS stream, (2 - i % 2)::integer AS version) AS run
        ORDER BY i`,
      [first, last]
    )
  }
  await client.query(`ANALYZE ${name}`)
}

/** The stream id `bulkLoad` gives to the run numbered `run` (1-based): `md5` matches PostgreSQL's. */
export const loadedStream = (run: number): string => `wfrun_${createHash("md5").update(String(run)).digest("hex")}`

/**
 * The source of an empty run log for the read benchmark: the stand-in table below until the
 * store's migrations exist, then a fixture that runs those migrations.
 */
export interface RunLogFixture {
  /** One sentence describing the log, for the report. */
  readonly description: string
  /**
   * Creates an empty log in `context.schema` and returns its table. Connections from
   * `context.url` use that schema as `search_path`, so unqualified migrations land in it.
   */
  readonly create: (context: { readonly url: string; readonly schema: string }) => Promise<RunEventsTable>
}

/** The stand-in log: a `run_events` table made by `createTable`. */
export const standInFixture: RunLogFixture = {
  description:
    "a table shaped like the store's `run_events` (global position identity, `tx_id xid8`, stream and version as primary key, event id unique per stream, type, `jsonb` data and metadata, occurred and recorded times, a 32-byte hash) with an index on `(tx_id, position)`, created by the harness",
  create: async ({ url, schema }) => {
    const table = { schema, name: "run_events" }
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      await createTable(client, table)
    } finally {
      await client.end()
    }
    return table
  }
}

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
 * Waits until every event of `table` is below the transaction horizon, so that gap-safe reads
 * return all of them. A transaction that started before the last load committed, on any
 * database of the server, keeps the horizon back until it ends.
 */
export const awaitHorizon = async (
  client: pg.ClientBase,
  table: RunEventsTable,
  timeoutMs = 30_000
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const result = await client.query<{ below: boolean }>(
      `SELECT coalesce(max(tx_id) < pg_snapshot_xmin(pg_current_snapshot()), true) AS below FROM ${
        qualifiedName(table)
      }`
    )
    if (result.rows[0]?.below === true) return
    if (Date.now() >= deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for the events of ${
          qualifiedName(table)
        } to fall below the transaction horizon; oldest open transaction: ${await oldestOpenTransaction(
          client
        )}. End that transaction and run again.`
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A reader's position in the global log: the last `(tx_id, position)` it has read. */
export interface Checkpoint {
  /** `xid8` as a decimal string, since it can exceed 2^53. */
  readonly txId: string
  /** Global position as a decimal string, since it can exceed 2^53. */
  readonly position: string
}

/** The checkpoint of the event at global position `position`: a reader there reads what follows it. */
export const checkpointAt = async (
  client: pg.ClientBase,
  table: RunEventsTable,
  position: number
): Promise<Checkpoint> => {
  const result = await client.query<{ tx_id: string; position: string }>(
    `SELECT tx_id::text AS tx_id, position::text AS position FROM ${qualifiedName(table)} WHERE position = $1`,
    [position]
  )
  const row = result.rows[0]
  if (row === undefined) {
    throw new Error(`No event at position ${position} in ${qualifiedName(table)}: load more events first.`)
  }
  return { txId: row.tx_id, position: row.position }
}

// Every column of the log, with `tx_id` as text because node-postgres has no parser for xid8.
// The alias `tx_id` then names a text column, so the queries below order by `event.tx_id`.
const selectColumns =
  "event.position, event.tx_id::text AS tx_id, event.stream, event.version, event.event_id, event.type, event.data, event.metadata, event.occurred_at, event.recorded_at, event.hash"

/**
 * The gap-safe page query: the next `limit` events after a checkpoint, in `(tx_id, position)`
 * order, only from transactions older than every transaction still running, so an event whose
 * transaction commits late is never skipped.
 */
export const pageAfterQuery = (table: RunEventsTable): string =>
  `SELECT ${selectColumns}
     FROM ${qualifiedName(table)} AS event
    WHERE (event.tx_id, event.position) > ($1::xid8, $2::bigint)
      AND event.tx_id < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY event.tx_id, event.position
    LIMIT $3`

/** The history query: every event of one stream in version order. */
export const historyQuery = (table: RunEventsTable): string =>
  `SELECT ${selectColumns}
     FROM ${qualifiedName(table)} AS event
    WHERE event.stream = $1
    ORDER BY event.version`
