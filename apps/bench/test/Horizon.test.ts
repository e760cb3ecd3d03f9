import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import pg from "pg"
import * as Database from "../src/Database.js"
import { createSchema, uniqueSchemaName, withSearchPath } from "../src/internal/schema.js"
import * as StoreLog from "../src/StoreLog.js"

// This file keeps a write transaction open, which stops every gap-safe read on the server, so it
// always starts an embedded server of its own instead of using DATABASE_URL.
let database: Database.Database
let pool: pg.Pool
let schemaUrl: string

beforeAll(async () => {
  database = await Database.acquire({})
  const schema = uniqueSchemaName("bench_horizon_test")
  await createSchema(database.url, schema)
  schemaUrl = withSearchPath(database.url, schema)
  await StoreLog.migrate(schemaUrl)
  pool = new pg.Pool({ connectionString: schemaUrl, max: 4 })
})

afterAll(async () => {
  await pool?.end()
  await database?.release()
})

describe("awaitHorizon", () => {
  it.live("waits for an older open transaction", () =>
    Effect.gen(function*() {
      const holder = yield* Effect.promise(() => pool.connect())
      const reader = yield* Effect.promise(() => pool.connect())
      try {
        // The holder takes an xid first; the event committed after it has a larger one.
        yield* Effect.promise(() => holder.query("BEGIN"))
        yield* Effect.promise(() => holder.query("SELECT pg_current_xact_id()"))
        yield* Effect.promise(() =>
          reader.query(
            `INSERT INTO run_events (stream_id, version, event_id, type, data, occurred_at, hash)
             VALUES ('run/wfrun_horizon', 1, gen_random_uuid(), 'RunStarted', '{}', now(), sha256(''))`
          )
        )

        const timedOut = yield* Effect.flip(Effect.tryPromise(() => StoreLog.awaitHorizon(reader, 200)))
        expect(String(timedOut.cause)).toMatch(/Timed out after 200 ms/)
        expect(String(timedOut.cause)).toMatch(/backend_xid/)

        yield* Effect.promise(() => holder.query("COMMIT"))
        yield* Effect.promise(() => StoreLog.awaitHorizon(reader, 10_000))
        const below = yield* Effect.promise(() =>
          reader.query<{ below: boolean }>(
            "SELECT max(tx_id) < pg_snapshot_xmin(pg_current_snapshot()) AS below FROM run_events"
          )
        )
        expect(below.rows[0]?.below).toBe(true)
      } finally {
        holder.release()
        reader.release()
      }
    }), 60_000)
})
