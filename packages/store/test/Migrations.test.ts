import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import { execFile } from "node:child_process"
import { randomUUID } from "node:crypto"
import { fileURLToPath } from "node:url"
import * as Database from "../src/Database.js"
import * as Migrations from "../src/Migrations.js"
import { database, emptyDatabase } from "./support/database.js"

const child = fileURLToPath(new URL("./support/migrate-child.ts", import.meta.url))

// The package folder, where `tsx` and the workspace packages resolve, whatever vitest's folder.
const packageDirectory = fileURLToPath(new URL("..", import.meta.url))

const migrateInChild = (url: Redacted.Redacted<string>) =>
  Effect.async<{ code: number; stdout: string; stderr: string }>((resume) => {
    execFile(
      process.execPath,
      ["--conditions=source", "--import", "tsx", child, Redacted.value(url)],
      { timeout: 60_000, cwd: packageDirectory },
      (error, stdout, stderr) =>
        resume(Effect.succeed({ code: error ? (error.code as number) ?? 1 : 0, stdout, stderr }))
    )
  })

describe("migrations", () => {
  withLayer(database, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("lets two processes migrate an empty database at once", () =>
      Effect.gen(function*() {
        const { drop: dropDatabase, url } = yield* emptyDatabase("wr_migrate")
        const migrateTwice = Effect.gen(function*() {
          const results = yield* Effect.all([migrateInChild(url), migrateInChild(url)], { concurrency: 2 })
          const migrated = yield* Effect.flatMap(
            SqlClient.SqlClient,
            (target) => target.unsafe<{ n: number }>("select count(*)::int as n from effect_sql_migrations")
          ).pipe(Effect.provide(Database.layerClient({ url, maxConnections: 1 })))
          return { results, migrated }
        })
        const { migrated, results } = yield* Effect.ensuring(migrateTwice, dropDatabase)
        for (const result of results) {
          expect(result.stderr).toBe("")
          expect(result.code).toBe(0)
        }
        const count = Object.keys(Migrations.migrations).length
        expect(results.map((result) => result.stdout.trim()).sort()).toEqual(["applied 0", `applied ${count}`])
        expect(migrated[0]!.n).toBe(count)
      }))

    it.effect("fills trigger_type from the trigger", () =>
      Effect.gen(function*() {
        const { drop: dropDatabase, url } = yield* emptyDatabase("wr_migrate_trigger")
        const before = Object.fromEntries(
          Object.entries(Migrations.migrations).filter(([id]) => Number.parseInt(id, 10) < 6)
        )
        const upgrade = Effect.gen(function*() {
          const target = yield* SqlClient.SqlClient
          yield* Migrator.make({})({ loader: Migrator.fromRecord(before) })
          yield* target.unsafe(`insert into workflow_runs (run_id, version, status, trigger, head_hash) values
            ('wfrun_manual', 1, 'started', '{"type":"manual","manual":{"input_parameters":{"a":1}}}', '\\x00'),
            ('wfrun_event', 1, 'started', '{"type":"event","event_trigger":{"id":"evt_1"}}', '\\x00'),
            ('wfrun_none', 1, 'started', null, '\\x00')`)
          const logs: Array<string> = []
          const collect = Logger.replace(
            Logger.defaultLogger,
            Logger.make(({ message }) => logs.push(Array.isArray(message) ? message.join(" ") : String(message)))
          )
          const applied = yield* Migrations.run.pipe(Effect.provide(collect))
          const again = yield* Migrations.run.pipe(Effect.provide(collect))
          const rows = yield* target.unsafe<{ run_id: string; trigger_type: string | null }>(
            "select run_id, trigger_type from workflow_runs order by run_id"
          )
          const columns = yield* target.unsafe<{ column_name: string }>(
            "select column_name from information_schema.columns where table_name = 'workflow_runs'"
          )
          return { again, applied, columns: columns.map((column) => column.column_name), logs, rows }
        }).pipe(Effect.provide(Layer.fresh(Database.layerClient({ url, maxConnections: 1 }))))
        const { again, applied, columns, logs, rows } = yield* Effect.ensuring(upgrade, dropDatabase)

        expect(applied.map(([id]) => id)).toEqual([6, 7, 8, 9])
        expect(again).toEqual([])
        expect(logs).toEqual([
          "Applied 4 migration(s): 6_replace_run_trigger_with_type, 7_index_heads_by_fixed_columns, 8_create_append_event_functions, 9_probe_batches_before_classifying"
        ])
        expect(rows).toEqual([
          { run_id: "wfrun_event", trigger_type: "event" },
          { run_id: "wfrun_manual", trigger_type: "manual" },
          { run_id: "wfrun_none", trigger_type: null }
        ])
        expect(columns).toContain("trigger_type")
        expect(columns).not.toContain("trigger")
      }))

    it.effect("indexes heads by fixed columns", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const indexes = yield* sql.unsafe<{ table: string; columns: string }>(
          `select t.relname as table, string_agg(a.attname, ', ' order by k.ord) as columns
           from pg_index x
           join pg_class t on t.oid = x.indrelid
           join pg_class i on i.oid = x.indexrelid
           cross join lateral unnest(x.indkey) with ordinality as k(attnum, ord)
           join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum
           where t.relname in ('workflow_runs', 'invocations')
             and t.relnamespace = to_regnamespace(current_schema())
           group by t.relname, i.relname
           order by t.relname, columns`
        )
        expect(indexes).toEqual([
          { table: "invocations", columns: "idempotency_key" },
          { table: "invocations", columns: "requested_at, idempotency_key" },
          { table: "invocations", columns: "workflow_id, requested_at, idempotency_key" },
          { table: "workflow_runs", columns: "run_id" },
          { table: "workflow_runs", columns: "started_at, run_id" },
          { table: "workflow_runs", columns: "workflow_id, started_at, run_id" }
        ])
      }))

    it.effect("keeps the earlier append function working", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const stream = `wfrun_${randomUUID().replaceAll("-", "")}`
        const digest = "\\x" + "00".repeat(32)
        // A process of an earlier version appends with the record function of migrations 4 to 6.
        const earlier = yield* sql.unsafe<{ outcome: string; event_version: number }>(
          `select * from append_one_to_workflow_runs($1, 0, $1, $2::uuid, 'RunStarted', '{}', '{}', now(), $3::bytea,
             '{"status":"started"}')`,
          [stream, randomUUID(), digest]
        )
        // This version settles the same run with the array function of migration 8.
        const current = yield* sql.unsafe<{ result: ReadonlyArray<bigint | null> }>(
          `select append_event_to_workflow_runs($1, 1, $1, $2::uuid, 'RunSucceeded', '{}', '{}', now(), $3::bytea,
             '{"status":"succeeded"}') as result`,
          [stream, randomUUID(), digest]
        )
        const head = yield* sql.unsafe<{ version: number; status: string }>(
          "select version::int as version, status from workflow_runs where run_id = $1",
          [stream]
        )
        expect(earlier).toEqual([{
          outcome: "appended",
          event_position: expect.any(BigInt),
          event_version: 1,
          head_version: 1
        }])
        expect(current[0]!.result.slice(2)).toEqual([2n, 2n])
        expect(head).toEqual([{ version: 2, status: "succeeded" }])
      }))

    it.effect("migrates on a one-connection pool", () =>
      Effect.gen(function*() {
        const { drop: dropDatabase, url } = yield* emptyDatabase("wr_migrate_one")
        // Without the fix the layer waits forever for a second connection, so it has a deadline.
        const migrated = yield* Effect.flatMap(
          SqlClient.SqlClient,
          (target) => target.unsafe<{ n: number }>("select count(*)::int as n from effect_sql_migrations")
        ).pipe(
          Effect.provide(Layer.fresh(Database.layer({ url, maxConnections: 1 }))),
          Effect.timeoutFail({
            duration: Duration.seconds(30),
            onTimeout: () => new Error("Migrations on a one-connection pool timed out after 30 s")
          }),
          Effect.ensuring(dropDatabase)
        )
        expect(migrated[0]!.n).toBe(Object.keys(Migrations.migrations).length)
      }))
  })
})
