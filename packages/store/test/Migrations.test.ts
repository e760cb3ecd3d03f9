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
            (target) => target.unsafe<{ n: number }>(`select count(*)::int as n from ${Migrations.table}`)
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
          const lists = yield* target.unsafe<{ own: number; legacy: number }>(
            `select (select count(*)::int from ${Migrations.table}) as own,
                    (select count(*)::int from effect_sql_migrations) as legacy`
          )
          return { again, applied, columns: columns.map((column) => column.column_name), lists, logs, rows }
        }).pipe(Effect.provide(Layer.fresh(Database.layerClient({ url, maxConnections: 1 }))))
        const { again, applied, columns, lists, logs, rows } = yield* Effect.ensuring(upgrade, dropDatabase)

        // The earlier version's five rows move to the store's own table, and stay in the old one.
        expect(applied.map(([id]) => id)).toEqual([6, 7, 8, 9, 10, 11])
        expect(lists).toEqual([{ own: 11, legacy: 5 }])
        expect(again).toEqual([])
        expect(logs).toEqual([
          "Applied 6 migration(s): 6_replace_run_trigger_with_type, 7_index_heads_by_fixed_columns, 8_create_append_event_functions, 9_probe_batches_before_classifying, 10_check_log_rows_by_domains, 11_update_heads_by_patch_shape"
        ])
        expect(rows).toEqual([
          { run_id: "wfrun_event", trigger_type: "event" },
          { run_id: "wfrun_manual", trigger_type: "manual" },
          { run_id: "wfrun_none", trigger_type: null }
        ])
        expect(columns).toContain("trigger_type")
        expect(columns).not.toContain("trigger")
      }))

    it.effect("moves log checks onto domains", () =>
      Effect.gen(function*() {
        const { drop: dropDatabase, url } = yield* emptyDatabase("wr_migrate_domains")
        const before = Object.fromEntries(
          Object.entries(Migrations.migrations).filter(([id]) => Number.parseInt(id, 10) < 10)
        )
        const hash = (bytes: number) => "\\x" + "ab".repeat(bytes)
        const upgrade = Effect.gen(function*() {
          const target = yield* SqlClient.SqlClient
          yield* Migrator.make({})({ loader: Migrator.fromRecord(before), table: Migrations.table })
          const stream = `wfrun_${randomUUID().replaceAll("-", "")}`
          for (
            const [expected, type, patch] of [[0, "RunStarted", "{\"status\":\"started\"}"], [
              1,
              "RunFailed",
              "{\"status\":\"failed\",\"finished_at\":null,\"error_message\":\"x\"}"
            ]] as const
          ) {
            yield* target.unsafe(
              `select append_event_to_workflow_runs($1, $2, $1, $3::uuid, $4, '{}', '{}', now(), $5::bytea, $6)`,
              [stream, expected, randomUUID(), type, hash(32), patch]
            )
          }
          const rows = target.unsafe<{ row: string }>(
            "select row_to_json(e)::text as row from run_events e order by position"
          )
          const file = target.unsafe<{ file: number }>(
            "select pg_relation_filenode('run_events')::int as file"
          )
          const beforeUpgrade = { rows: yield* rows, file: yield* file }
          const applied = yield* Migrations.run
          const afterUpgrade = { rows: yield* rows, file: yield* file }
          const types = yield* target.unsafe<{ column_name: string; domain_name: string | null }>(
            `select column_name, domain_name from information_schema.columns
             where table_name = 'run_events' and column_name in ('version', 'hash') order by column_name`
          )
          const constraints = yield* target.unsafe<{ name: string }>(
            // PostgreSQL 18 also lists NOT NULL constraints (type n), which the migration leaves alone.
            `select conname as name from pg_constraint
             where conrelid = 'run_events'::regclass and contype <> 'n' order by conname`
          )
          const codeOf = (statement: string) =>
            Effect.map(Effect.flip(target.unsafe(statement)), (error) => (error.cause as { code?: string }).code)
          const insert = (position: number, stream: string, version: number, bytes: number) =>
            `(${position}, '${stream}', ${version}, '${randomUUID()}', 'RunStarted', '{}', now(), '${hash(bytes)}')`
          const columns =
            "(position, stream_id, version, event_id, type, data, occurred_at, hash) overriding system value"
          const rejected = {
            version: yield* codeOf(`insert into run_events ${columns} values ${insert(900, "s-version", 0, 32)}`),
            hash: yield* codeOf(`insert into run_events ${columns} values ${insert(901, "s-hash", 1, 31)}`),
            position: yield* codeOf(
              `insert into run_events ${columns} values ${insert(902, "s-a", 1, 32)}, ${insert(902, "s-b", 1, 32)}`
            )
          }
          return { afterUpgrade, applied, beforeUpgrade, constraints, rejected, types }
        }).pipe(Effect.provide(Layer.fresh(Database.layerClient({ url, maxConnections: 1 }))))
        const { afterUpgrade, applied, beforeUpgrade, constraints, rejected, types } = yield* Effect.ensuring(
          upgrade,
          dropDatabase
        )

        expect(applied.map(([id]) => id)).toEqual([10, 11])
        expect(beforeUpgrade.rows).toHaveLength(2)
        // The same rows in the same file: the change read the log and did not rewrite it.
        expect(afterUpgrade).toEqual(beforeUpgrade)
        expect(types).toEqual([
          { column_name: "hash", domain_name: "run_event_hash" },
          { column_name: "version", domain_name: "run_event_version" }
        ])
        expect(constraints.map((row) => row.name)).toEqual(["run_events_pkey", "run_events_stream_id_event_id_key"])
        expect(rejected).toEqual({ version: "23514", hash: "23514", position: "23505" })
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
          (target) => target.unsafe<{ n: number }>(`select count(*)::int as n from ${Migrations.table}`)
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

    it.effect("keeps apart an application's Migrator list", () =>
      Effect.gen(function*() {
        const { drop: dropDatabase, url } = yield* emptyDatabase("wr_migrate_shared")
        // An application that migrates with the Migrator's default table, ids 1 to 12.
        const application = Object.fromEntries(
          Array.from({ length: 12 }, (_, index) => [
            `${index + 1}_app_step_${index + 1}`,
            Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`create table app_step_${index + 1} (id int)`))
          ])
        )
        const shared = Effect.gen(function*() {
          const target = yield* SqlClient.SqlClient
          yield* Migrator.make({})({ loader: Migrator.fromRecord(application) })
          const applied = yield* Migrations.run
          // The application migrates again after the store, and finds its own list unchanged.
          const again = yield* Migrator.make({})({ loader: Migrator.fromRecord(application) })
          const lists = yield* target.unsafe<{ own: number; application: number; log: boolean }>(
            `select (select count(*)::int from ${Migrations.table}) as own,
                    (select count(*)::int from effect_sql_migrations) as application,
                    to_regclass('run_events') is not null as log`
          )
          return { again, applied, lists }
        }).pipe(Effect.provide(Layer.fresh(Database.layerClient({ url, maxConnections: 1 }))))
        const { again, applied, lists } = yield* Effect.ensuring(shared, dropDatabase)

        expect(applied).toHaveLength(Object.keys(Migrations.migrations).length)
        expect(again).toEqual([])
        expect(lists).toEqual([{ own: Object.keys(Migrations.migrations).length, application: 12, log: true }])
      }))

    it.effect("reader layer creates no log", () =>
      Effect.gen(function*() {
        const { drop: dropDatabase, url } = yield* emptyDatabase("wr_migrate_reader")
        const check = Effect.gen(function*() {
          const error = yield* Effect.flip(Layer.build(Layer.fresh(Database.layerExistingLog({ url }))))
          const tables = yield* Effect.flatMap(
            SqlClient.SqlClient,
            (target) =>
              target.unsafe<{ n: number }>(
                "select count(*)::int as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema')"
              )
          ).pipe(Effect.provide(Layer.fresh(Database.layerClient({ url, maxConnections: 1 }))))
          // Once the log exists, the reader's layer opens it.
          yield* Layer.build(Layer.fresh(Database.layer({ url, maxConnections: 1 })))
          const opened = yield* Effect.flatMap(Migrations.logExists, Effect.succeed).pipe(
            Effect.provide(Layer.fresh(Database.layerExistingLog({ url, maxConnections: 1 })))
          )
          return { error, opened, tables }
        }).pipe(Effect.scoped)
        const { error, opened, tables } = yield* Effect.ensuring(check, dropDatabase)

        expect(error._tag).toBe("LogNotFound")
        expect(error.message).toContain("No workflow-runs log found in the database at ")
        expect(error.message).toMatch(/at [^ ]+:\d+\/wr_migrate_reader/)
        expect(tables[0]!.n).toBe(0)
        expect(opened).toBe(true)
      }))
  })
})
