import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import { Database as StoreDatabase, EventStore, PgEventStore, RunLog } from "@workflow-runs/store"
import { Effect, Layer, Redacted } from "effect"
import pg from "pg"
import * as Database from "../src/Database.js"
import { createSchema, dropSchema, uniqueSchemaName, withSearchPath } from "../src/internal/schema.js"
import * as StoreLog from "../src/StoreLog.js"

let database: Database.Database
const schemas: Array<string> = []

beforeAll(async () => {
  database = await Database.acquire()
})

afterAll(async () => {
  for (const schema of schemas) {
    await dropSchema(database.url, schema)
  }
  await database?.release()
})

// 200 runs in four windows, with transactions that end inside windows and runs.
const events = 400
const eventsPerTransaction = 70

const loaded = Effect.promise(async () => {
  const log = await StoreLog.load(database.url, { events, eventsPerTransaction })
  schemas.push(log.schema)
  return log
}).pipe(Effect.cached, Effect.runSync)

const storeLayer = (url: string) =>
  Layer.mergeAll(PgEventStore.layer, RunLog.layer).pipe(
    Layer.provideMerge(StoreDatabase.layer({ url: Redacted.make(url), maxConnections: 2 }))
  )

const query = <Row extends pg.QueryResultRow>(url: string, text: string) =>
  Effect.promise(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return (await client.query<Row>(text)).rows
    } finally {
      await client.end()
    }
  })

// The columns the store writes, without the transaction id and recorded time of the moment.
const eventsQuery = `SELECT position::text, stream_id, version::int, event_id::text, type, data, metadata,
  occurred_at, encode(hash, 'hex') AS hash FROM run_events ORDER BY position`

const headsQuery = `SELECT run_id, version::int, status, workflow_id, livemode, trigger_type, input_parameters,
  error_message, started_at, finished_at, encode(head_hash, 'hex') AS head_hash FROM workflow_runs ORDER BY run_id`

// Appends the log's runs through the store's API into a new schema, event by event in the log's
// order, each append in its own transaction as the projector writes them.
const appendedCopy = Effect.gen(function*() {
  const schema = uniqueSchemaName("bench_log_appended")
  yield* Effect.promise(() => createSchema(database.url, schema))
  schemas.push(schema)
  const url = withSearchPath(database.url, schema)
  yield* Effect.gen(function*() {
    const store = yield* EventStore.EventStore
    for (const slot of StoreLog.eventOrder(events / 2, 0, events)) {
      const run = StoreLog.fixtureRun(slot.run)
      const event = StoreLog.runEventsOf(run)[slot.version - 1]!
      const ended = run.failed ? "failed" : "succeeded"
      const transition = slot.version === 1 ? "started" : ended
      const result = yield* store.appendRun(
        Ids.WorkflowRunId.make(run.runId),
        slot.version - 1,
        [event],
        StoreLog.metadataOf(run, transition)
      )
      expect(result._tag).toBe("Appended")
    }
  }).pipe(Effect.provide(storeLayer(url)))
  return url
})

describe("StoreLog", () => {
  it.live("loaded log passes verify", () =>
    Effect.gen(function*() {
      const log = yield* loaded
      const report = yield* Effect.flatMap(RunLog.RunLog, (runLog) => runLog.verify()).pipe(
        Effect.provide(storeLayer(log.url))
      )
      expect(report.broken).toEqual([])
      expect(report.events).toBe(events)
      expect(report.streams).toBe(events / 2)
      expect(report.ok).toBe(true)
    }), 120_000)

  it.live("loaded log equals appended runs", () =>
    Effect.gen(function*() {
      const log = yield* loaded
      const appendedUrl = yield* appendedCopy
      const loadedEvents = yield* query(log.url, eventsQuery)
      const appendedEvents = yield* query(appendedUrl, eventsQuery)
      expect(loadedEvents).toHaveLength(events)
      expect(loadedEvents).toEqual(appendedEvents)
      const loadedHeads = yield* query(log.url, headsQuery)
      expect(loadedHeads).toHaveLength(events / 2)
      expect(loadedHeads).toEqual(yield* query(appendedUrl, headsQuery))
    }), 120_000)

  it.live("transaction ids follow positions", () =>
    Effect.gen(function*() {
      const log = yield* loaded
      const rows = yield* query<{ transactions: number; ordered: boolean }>(
        log.url,
        `SELECT count(DISTINCT tx_id)::int AS transactions,
                bool_and(tx_id >= previous) AS ordered
           FROM (SELECT tx_id, lag(tx_id) OVER (ORDER BY position) AS previous FROM run_events) AS feed`
      )
      expect(rows[0]?.transactions).toBe(Math.ceil(events / eventsPerTransaction))
      expect(rows[0]?.ordered).toBe(true)
    }), 120_000)

  it.live("feed reads the second half from the middle", () =>
    Effect.gen(function*() {
      const log = yield* loaded
      const page = yield* Effect.flatMap(EventStore.EventStore, (store) => store.readFeed(log.middle, events)).pipe(
        Effect.provide(storeLayer(log.url))
      )
      expect(page).toHaveLength(events / 2)
      expect(page[0]?.position).toBe(log.middle.position + 1n)
    }), 120_000)

  it.live("rejects an odd log size", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.tryPromise(() => StoreLog.load(database.url, { events: 3 })))
      expect(String(error.cause)).toContain("Invalid log size 3: use an even number of events")
    }))
})
