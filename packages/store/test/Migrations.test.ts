import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Database from "../src/Database.js"
import * as Migrations from "../src/Migrations.js"
import { database } from "./support/database.js"
import { urlOf } from "./support/urls.js"

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
        const sql = yield* SqlClient.SqlClient
        const client = yield* PgClient.PgClient
        const name = `wr_migrate_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`
        yield* sql.unsafe(`create database ${name}`)
        const url = urlOf(client, { database: name })
        const dropDatabase = Effect.orDie(sql.unsafe(`drop database if exists ${name} with (force)`))
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

    it.effect("migrates on a one-connection pool", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const client = yield* PgClient.PgClient
        const name = `wr_migrate_one_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`
        yield* sql.unsafe(`create database ${name}`)
        const url = urlOf(client, { database: name })
        const dropDatabase = Effect.orDie(sql.unsafe(`drop database if exists ${name} with (force)`))
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
