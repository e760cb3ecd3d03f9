/**
 * The projection rebuild benchmark: `Rebuild.rebuildRuns` of a loaded log into a new table,
 * against reading the same rows with `COPY ... TO STDOUT`, in alternating rounds of one run.
 */
import { Rebuild } from "@workflow-runs/store"
import { Effect } from "effect"
import { Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import pg from "pg"
import { to as copyTo } from "pg-copy-streams"
import { checkIdentifier } from "./internal/schema.js"
import { summarize, type Summary } from "./Measure.js"
import { awaitHorizon, type StoreLog } from "./StoreLog.js"
import type { StoreSession } from "./StoreSession.js"

/** Settings of the rebuild benchmark. */
export interface RebuildOptions {
  /** The log size to rebuild, one of the growth benchmark's sizes. */
  readonly size: number
  /** Rounds of a COPY read and a rebuild each. */
  readonly rounds: number
  /** Events per page of the rebuild. */
  readonly batchSize: number
}

/** The results of the rebuild benchmark. */
export interface RebuildResults {
  readonly options: RebuildOptions
  /** Run events each rebuild applied, which COPY read too. */
  readonly events: number
  /** Seconds of a COPY read of the rows the rebuild reads. */
  readonly copySeconds: Summary
  /** Seconds of a rebuild into a new table. */
  readonly rebuildSeconds: Summary
}

/** The rows of a rebuild's reads, with the columns the store's feed selects, in feed order. */
export const copyStatement = `COPY (
  SELECT position, tx_id, stream_id, version::int AS version, event_id::text AS event_id, type, data, metadata,
         occurred_at, recorded_at, encode(hash, 'hex') AS hash
    FROM run_events
   WHERE stream_id LIKE 'run/%'
   ORDER BY tx_id, position
) TO STDOUT`

/** Reads the rows of {@link copyStatement} with the client and returns their number. */
export const copyRows = async (client: pg.ClientBase): Promise<number> => {
  const stream = client.query(copyTo(copyStatement))
  // The rows are read to the end and dropped: the figure is what reading them costs.
  await pipeline(stream, new Writable({ write: (_chunk, _encoding, done) => done() }))
  return stream.rowCount
}

// The head columns that the inline projection and a rebuild both set. Created and updated times
// differ by design, because the rebuild takes them from the events' recorded times.
const headColumns =
  "run_id, version, status, workflow_id, livemode, trigger_type, input_parameters, error_message, started_at, finished_at, head_hash"

/** Counts the rows in which `table` and `workflow_runs` differ, in either direction. */
export const differingHeads = async (client: pg.ClientBase, table: string): Promise<number> => {
  const rebuilt = checkIdentifier(table)
  const result = await client.query<{ differing: number }>(
    `SELECT count(*)::int AS differing FROM (
       (SELECT ${headColumns} FROM workflow_runs EXCEPT ALL SELECT ${headColumns} FROM ${rebuilt})
       UNION ALL
       (SELECT ${headColumns} FROM ${rebuilt} EXCEPT ALL SELECT ${headColumns} FROM workflow_runs)
     ) AS difference`
  )
  return result.rows[0]?.differing ?? -1
}

const seconds = (started: number): number => (performance.now() - started) / 1000

// One rebuild, checked against the inline projection, whose table is dropped afterwards.
const rebuildOnce = async (
  client: pg.ClientBase,
  session: StoreSession,
  options: RebuildOptions,
  log: (line: string) => void
): Promise<{ readonly seconds: number; readonly events: number }> => {
  let reported = 0
  const started = performance.now()
  const result = await session.run(Rebuild.rebuildRuns({
    batchSize: options.batchSize,
    onProgress: (progress) =>
      Effect.sync(() => {
        // A rebuild of a large log takes minutes, so it reports every 100,000 events.
        if (progress.events - reported >= 100_000) {
          reported = progress.events
          log(`rebuild: ${progress.events} events applied after ${seconds(started).toFixed(0)} s`)
        }
      })
  }))
  const elapsed = seconds(started)
  try {
    const differing = await differingHeads(client, result.table)
    if (differing !== 0) {
      throw new Error(`The rebuilt table ${result.table} differs from workflow_runs in ${differing} rows.`)
    }
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${checkIdentifier(result.table)}`)
  }
  return { seconds: elapsed, events: result.events }
}

/**
 * Rebuilds the runs projection of `log` `options.rounds` times, each after a COPY read of the
 * same rows, and checks that every rebuild applied as many events as COPY read and equals the
 * inline projection.
 */
export const measureRebuild = async (
  log: StoreLog,
  session: StoreSession,
  options: RebuildOptions,
  report: (line: string) => void
): Promise<RebuildResults> => {
  const client = new pg.Client({ connectionString: log.url })
  await client.connect()
  try {
    const copies: Array<number> = []
    const rebuilds: Array<number> = []
    let events = 0
    for (let round = 1; round <= options.rounds; round++) {
      // The growth measurements appended runs to the log. A rebuild, like every feed reader,
      // stops below a transaction that any database of the server still has open, so it waits
      // until those runs are below that horizon, or it would miss them.
      await awaitHorizon(client)
      const started = performance.now()
      const rows = await copyRows(client)
      copies.push(seconds(started))
      const rebuilt = await rebuildOnce(client, session, options, report)
      rebuilds.push(rebuilt.seconds)
      if (rebuilt.events !== rows) {
        throw new Error(`The rebuild applied ${rebuilt.events} events, but COPY read ${rows} run events.`)
      }
      events = rows
      report(
        `rebuild ${rows} events, round ${round}/${options.rounds}: COPY ${copies.at(-1)!.toFixed(2)} s, rebuild ${
          rebuilt.seconds.toFixed(2)
        } s`
      )
    }
    return { options, events, copySeconds: summarize(copies), rebuildSeconds: summarize(rebuilds) }
  } finally {
    await client.end()
  }
}
