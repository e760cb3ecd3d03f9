import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import pg from "pg"
import * as Database from "../src/Database.js"
import { createSchema, uniqueSchemaName } from "../src/internal/schema.js"
import * as RunEventsTable from "../src/RunEventsTable.js"

let database: Database.Database
let pool: pg.Pool
let schema: string

beforeAll(async () => {
  database = await Database.acquire()
  schema = uniqueSchemaName("bench_table_test")
  await createSchema(database.url, schema)
  pool = new pg.Pool({ connectionString: database.url, max: 4 })
})

afterAll(async () => {
  await pool?.end()
  await database?.release()
})

// Creates a table of its own for one test, since the tests of this file run concurrently.
const freshTable = (name: string) =>
  Effect.promise(async () => {
    const table = { schema, name }
    const client = await pool.connect()
    try {
      await RunEventsTable.createTable(client, table)
    } finally {
      client.release()
    }
    return table
  })

const query = <Row extends pg.QueryResultRow>(text: string, values: ReadonlyArray<unknown>) =>
  Effect.promise(() => pool.query<Row>(text, [...values]).then((result) => result.rows))

describe("RunEventsTable", () => {
  it.live("bulk load writes runs of two versions", () =>
    Effect.gen(function*() {
      const table = yield* freshTable("load")
      yield* Effect.promise(async () => {
        const client = await pool.connect()
        try {
          await RunEventsTable.bulkLoad(client, table, { count: 300, rowsPerTransaction: 50 })
        } finally {
          client.release()
        }
      })
      const [counts] = yield* query<{ events: string; transactions: string; streams: string }>(
        `SELECT count(*) AS events, count(DISTINCT tx_id) AS transactions, count(DISTINCT stream) AS streams
           FROM ${RunEventsTable.qualifiedName(table)}`,
        []
      )
      expect(counts).toEqual({ events: "300", transactions: "6", streams: "150" })
      const history = yield* query<{ version: number; type: string }>(RunEventsTable.historyQuery(table), [
        RunEventsTable.loadedStream(75)
      ])
      expect(history.map((row) => [row.version, row.type])).toEqual([[1, "RunStarted"], [2, "RunSucceeded"]])
    }))

  it.live("page reads in tx_id order, numerically", () =>
    Effect.gen(function*() {
      const table = yield* freshTable("order")
      const insert = `INSERT INTO ${RunEventsTable.qualifiedName(table)}
        (tx_id, stream, version, event_id, type, data, metadata, occurred_at, hash)
        VALUES ($1::xid8, $2, 1, gen_random_uuid(), 'RunStarted', '{}', '{}', now(), '\\x00')`
      // Transaction ids 10 and 9 sort the other way round as text, and position runs against them.
      yield* query(insert, ["10", "wfrun_a"])
      yield* query(insert, ["9", "wfrun_b"])
      yield* query(insert, ["9", "wfrun_c"])
      const page = yield* query<{ stream: string; tx_id: string; position: string }>(
        RunEventsTable.pageAfterQuery(table),
        ["0", "0", 10]
      )
      expect(page.map((row) => row.stream)).toEqual(["wfrun_b", "wfrun_c", "wfrun_a"])
      const rest = yield* query<{ stream: string }>(RunEventsTable.pageAfterQuery(table), [
        page[1]!.tx_id,
        page[1]!.position,
        10
      ])
      expect(rest.map((row) => row.stream)).toEqual(["wfrun_a"])
    }))
})
