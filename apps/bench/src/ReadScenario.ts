/**
 * The growth benchmark of reads: a page of the global log read from its middle and a run's
 * history, each on a small and a large log, with rounds interleaved between the two sizes.
 */
import pg from "pg"
import { createSchema, dropSchema, uniqueSchemaName, withSearchPath } from "./internal/schema.js"
import { type RoundSample, type RoundsSummary, runRound, summarizeRounds } from "./Measure.js"
import {
  awaitHorizon,
  bulkLoad,
  type Checkpoint,
  checkpointAt,
  historyQuery,
  loadedStream,
  oldestOpenTransaction,
  pageAfterQuery,
  type RunEventsTable,
  type RunLogFixture,
  standInFixture
} from "./RunEventsTable.js"

/** Settings of the read benchmark. */
export interface ReadOptions {
  /** Log sizes in events, smallest first; the report compares each with the first. */
  readonly sizes: ReadonlyArray<number>
  /** Events per page of the global reader. */
  readonly pageSize: number
  /** Rounds per read and size. */
  readonly rounds: number
  /** Reads per round, one at a time. */
  readonly readsPerRound: number
}

/** A read of the benchmark. */
export interface ReadKind {
  readonly id: "page" | "history"
  readonly title: string
  readonly description: string
}

/** The figures of one read at one log size. */
export interface ReadFigure {
  readonly read: ReadKind["id"]
  readonly size: number
  readonly summary: RoundsSummary
}

/** The results of the read benchmark. */
export interface ReadResults {
  readonly options: ReadOptions
  /** The log that was read, from its fixture. */
  readonly logDescription: string
  readonly reads: ReadonlyArray<ReadKind>
  /** Seconds spent loading each size, for the report. */
  readonly loadSeconds: ReadonlyArray<{ readonly size: number; readonly seconds: number }>
  readonly figures: ReadonlyArray<ReadFigure>
}

/** The two reads and what they do. */
export const readKinds: ReadonlyArray<ReadKind> = [
  {
    id: "page",
    title: "A page of the global log from its middle",
    description:
      "The next page after the checkpoint `(tx_id, position)` of the event in the middle of the log, below the transaction horizon: `WHERE (tx_id, position) > checkpoint AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx_id, position LIMIT page size`."
  },
  {
    id: "history",
    title: "A run's history",
    description:
      "Every event of one run: `WHERE stream = $1 ORDER BY version`, for runs spread evenly over the log (two events each)."
  }
]

// Runs whose history is read, spread evenly over the log so that reads touch all of it.
const sampledStreams = (size: number, count: number): ReadonlyArray<string> => {
  const runs = Math.max(1, Math.floor(size / 2))
  return Array.from({ length: count }, (_, index) => loadedStream(1 + Math.floor(((index + 0.5) * runs) / count)))
}

interface LoadedLog {
  readonly size: number
  readonly table: RunEventsTable
  readonly middle: Checkpoint
  readonly streams: ReadonlyArray<string>
}

const checkOptions = (options: ReadOptions): void => {
  if (options.sizes.length === 0 || options.sizes.some((size) => !Number.isInteger(size) || size < 4)) {
    throw new Error(`Invalid log sizes ${options.sizes.join(", ")}: use integers of at least 4 events.`)
  }
  const tooSmall = options.sizes.find((size) => size - Math.floor(size / 2) < options.pageSize)
  if (tooSmall !== undefined) {
    throw new Error(
      `Log size ${tooSmall} has fewer than ${options.pageSize} events after its middle: use a size of at least twice the page size.`
    )
  }
}

// Creates the log of `size` events in `schema` and waits until all of it is readable.
const loadLog = async (
  url: string,
  client: pg.ClientBase,
  fixture: RunLogFixture,
  schema: string,
  size: number
): Promise<LoadedLog> => {
  const table = await fixture.create({ url: withSearchPath(url, schema), schema })
  await bulkLoad(client, table, { count: size })
  await awaitHorizon(client, table)
  return {
    size,
    table,
    middle: await checkpointAt(client, table, Math.floor(size / 2)),
    streams: sampledStreams(size, 256)
  }
}

// One round of both reads on one log.
const measureRound = async (
  client: pg.ClientBase,
  entry: LoadedLog,
  options: ReadOptions
): Promise<Record<ReadKind["id"], RoundSample>> => {
  const load = { concurrency: 1, iterations: options.readsPerRound }
  const pageQuery = pageAfterQuery(entry.table)
  const page = await runRound(`page ${entry.size}`, load, async () => {
    const result = await client.query(pageQuery, [entry.middle.txId, entry.middle.position, options.pageSize])
    if (result.rowCount !== options.pageSize) {
      const oldest = await oldestOpenTransaction(client)
      throw new Error(
        `The page read returned ${result.rowCount} of ${options.pageSize} events: a transaction older than the log keeps the horizon back (oldest: ${oldest}).`
      )
    }
  })

  const historyQueryText = historyQuery(entry.table)
  let next = 0
  const history = await runRound(`history ${entry.size}`, load, async () => {
    const stream = entry.streams[next++ % entry.streams.length]!
    const result = await client.query(historyQueryText, [stream])
    if (result.rowCount !== 2) {
      throw new Error(`The history of ${stream} returned ${result.rowCount} events instead of 2.`)
    }
  })
  return { page, history }
}

/**
 * Loads a log per size, each in its own schema from `fixture`, then measures both reads on
 * each, interleaving the sizes per round.
 */
export const runReadBenchmark = async (
  url: string,
  options: ReadOptions,
  log: (line: string) => void,
  fixture: RunLogFixture = standInFixture
): Promise<ReadResults> => {
  checkOptions(options)
  const schemas: Array<string> = []
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const logs: Array<LoadedLog> = []
    const loadSeconds: Array<{ size: number; seconds: number }> = []
    for (const size of options.sizes) {
      const schema = uniqueSchemaName(`bench_reads_${size}`)
      await createSchema(url, schema)
      schemas.push(schema)
      const started = performance.now()
      logs.push(await loadLog(url, client, fixture, schema, size))
      const seconds = (performance.now() - started) / 1000
      loadSeconds.push({ size, seconds })
      log(`reads: loaded ${size} events in ${seconds.toFixed(1)} s`)
    }

    const samples = new Map<LoadedLog, Array<Record<ReadKind["id"], RoundSample>>>(logs.map((entry) => [entry, []]))
    for (let round = 1; round <= options.rounds; round++) {
      for (const entry of logs) {
        const sample = await measureRound(client, entry, options)
        samples.get(entry)!.push(sample)
        const page = sample.page.p50Ms.toFixed(2)
        const history = sample.history.p50Ms.toFixed(2)
        log(
          `reads ${entry.size} events, round ${round}/${options.rounds}: page p50 ${page} ms, history p50 ${history} ms`
        )
      }
    }

    const figures = readKinds.flatMap((read) =>
      logs.map((entry) => ({
        read: read.id,
        size: entry.size,
        summary: summarizeRounds(samples.get(entry)!.map((sample) => sample[read.id]))
      }))
    )
    return { options, logDescription: fixture.description, reads: readKinds, loadSeconds, figures }
  } finally {
    await client.end()
    for (const schema of schemas) {
      await dropSchema(url, schema)
    }
  }
}
