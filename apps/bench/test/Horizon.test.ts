import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Ids, RunEvent, WorkflowRun } from "@workflow-runs/core"
import { EventStore } from "@workflow-runs/store"
import { DateTime, Effect } from "effect"
import pg from "pg"
import * as Database from "../src/Database.js"
import { createSchema, uniqueSchemaName, withSearchPath } from "../src/internal/schema.js"
import { measureRebuild } from "../src/RebuildScenario.js"
import * as StoreLog from "../src/StoreLog.js"
import * as StoreSession from "../src/StoreSession.js"

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

  it.live("rebuild waits for late runs", () =>
    Effect.gen(function*() {
      const log = yield* Effect.promise(() => StoreLog.load(database.url, { events: 40 }))
      const session = yield* Effect.acquireRelease(
        Effect.promise(() => StoreSession.open(log.url)),
        (opened) => Effect.promise(() => opened.close())
      )
      const holder = yield* Effect.acquireRelease(
        Effect.promise(async () => {
          const client = new pg.Client({ connectionString: log.url })
          await client.connect()
          return client
        }),
        (client) => Effect.promise(() => client.end())
      )
      // The holder takes an xid first, so the run appended next stays above the horizon until
      // the holder commits, which it does while the rebuild waits.
      yield* Effect.promise(() => holder.query("BEGIN"))
      yield* Effect.promise(() => holder.query("SELECT pg_current_xact_id()"))
      const runId = Ids.WorkflowRunId.make("wfrun_horizon_rebuild")
      const started = RunEvent.started({
        runId,
        occurredAt: DateTime.unsafeMake("2026-04-08T14:33:27.000Z"),
        workflow: Ids.WorkflowId.make("wf_horizon"),
        trigger: new WorkflowRun.RunTrigger({
          type: "manual",
          manual: new WorkflowRun.ManualTrigger({ inputParameters: {} })
        }),
        livemode: false
      })
      yield* Effect.promise(() =>
        session.run(Effect.flatMap(EventStore.EventStore, (store) => store.appendRun(runId, 0, [started])))
      )
      yield* Effect.fork(Effect.delay(Effect.promise(() => holder.query("COMMIT")), "300 millis"))

      const results = yield* Effect.promise(() =>
        measureRebuild(log, session, { size: 40, rounds: 1, batchSize: 10 }, () => undefined)
      )
      expect(results.events).toBe(41)
    }).pipe(Effect.scoped), 60_000)
})
