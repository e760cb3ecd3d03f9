import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import pg from "pg"
import * as Database from "../src/Database.js"
import { createSchema, uniqueSchemaName } from "../src/internal/schema.js"
import * as RunEventsTable from "../src/RunEventsTable.js"

// This file keeps a write transaction open, which stops every gap-safe read on the server, so it
// always starts an embedded server of its own instead of using DATABASE_URL.
let database: Database.Database
let pool: pg.Pool

beforeAll(async () => {
  database = await Database.acquire({})
  pool = new pg.Pool({ connectionString: database.url, max: 4 })
})

afterAll(async () => {
  await pool?.end()
  await database?.release()
})

describe("awaitHorizon", () => {
  it.live("waits for an older open transaction", () =>
    Effect.gen(function*() {
      const schema = uniqueSchemaName("bench_horizon_test")
      yield* Effect.promise(() => createSchema(database.url, schema))
      const table = { schema, name: "run_events" }
      const holder = yield* Effect.promise(() => pool.connect())
      const reader = yield* Effect.promise(() => pool.connect())
      try {
        yield* Effect.promise(() => RunEventsTable.createTable(reader, table))
        // The holder takes an xid first; the event committed after it has a larger one.
        yield* Effect.promise(() => holder.query("BEGIN"))
        yield* Effect.promise(() => holder.query("SELECT pg_current_xact_id()"))
        yield* Effect.promise(() => RunEventsTable.bulkLoad(reader, table, { count: 2 }))

        const timedOut = yield* Effect.flip(
          Effect.tryPromise(() => RunEventsTable.awaitHorizon(reader, table, 200))
        )
        expect(String(timedOut.cause)).toMatch(/Timed out after 200 ms/)
        expect(String(timedOut.cause)).toMatch(/backend_xid/)
        const hidden = yield* Effect.promise(() => reader.query(RunEventsTable.pageAfterQuery(table), ["0", "0", 10]))
        expect(hidden.rowCount).toBe(0)

        yield* Effect.promise(() => holder.query("COMMIT"))
        yield* Effect.promise(() => RunEventsTable.awaitHorizon(reader, table, 10_000))
        const visible = yield* Effect.promise(() => reader.query(RunEventsTable.pageAfterQuery(table), ["0", "0", 10]))
        expect(visible.rowCount).toBe(2)
      } finally {
        holder.release()
        reader.release()
      }
    }), 60_000)
})
