import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type pg from "pg"
import * as Database from "../src/Database.js"
import * as Prepared from "../src/internal/prepared.js"
import { database } from "./support/database.js"

// A pool of one connection beside the layer's, so that calls meet on the same connection.
const singleConnection = Effect.acquireRelease(
  Effect.map(
    Database.Pool,
    (pool) => new (pool.constructor as new(options: object) => pg.Pool)({ ...pool.options, max: 1 })
  ),
  (single) => Effect.promise(() => single.end())
)

const firstColumn = (
  pool: Option.Option<pg.Pool>,
  statement: Prepared.PreparedStatement,
  parameters: ReadonlyArray<unknown>
) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Prepared.matchFirstColumn<
      { readonly values: ReadonlyArray<unknown> } | { readonly code: string | undefined; readonly message: string },
      never
    >(sql, pool, undefined, statement, "value", parameters, {
      onSuccess: (values) => Effect.succeed({ values }),
      onFailure: (error) =>
        Effect.succeed({
          code: (error.cause as { code?: string }).code,
          message: (error.cause as Error).message
        })
    }))

const uniqueName = (prefix: string) => `${prefix}_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`

describe("first-column calls", () => {
  withLayer(database, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("prepare once per connection", () =>
      Effect.gen(function*() {
        const single = Option.some(yield* singleConnection)
        const statement = {
          name: uniqueName("wr_test_first_column"),
          text:
            "select array[$1::bigint, null, 2] as value union all select array[length($2::bytea)::bigint] order by 1"
        }
        // The second call reuses the statement: preparing it again under its name would fail.
        const first = yield* firstColumn(single, statement, [1, new Uint8Array([1, 2, 3])])
        const second = yield* firstColumn(single, statement, [5n, Buffer.from("ab")])
        expect(first).toEqual({ values: ["{1,NULL,2}", "{3}"] })
        expect(second).toEqual({ values: ["{2}", "{5,NULL,2}"] })
      }).pipe(Effect.scoped))

    it.effect("fail with the server's error", () =>
      Effect.gen(function*() {
        const single = Option.some(yield* singleConnection)
        const statement = { name: uniqueName("wr_test_first_column_error"), text: "select 10 / $1::int as value" }
        expect(yield* firstColumn(single, statement, [0])).toEqual({ code: "22012", message: "division by zero" })
        expect(yield* firstColumn(single, statement, [2])).toEqual({ values: ["5"] })
        expect(yield* firstColumn(single, statement, [null])).toEqual({ values: [null] })
      }).pipe(Effect.scoped))

    it.effect("reject a reused statement name", () =>
      Effect.gen(function*() {
        const single = Option.some(yield* singleConnection)
        const name = uniqueName("wr_test_first_column_clash")
        const first = yield* firstColumn(single, { name, text: "select 'a' as value" }, [])
        const second = yield* firstColumn(single, { name, text: "select 'b' as value" }, [])
        expect(first).toEqual({ values: ["a"] })
        expect(second).toEqual({
          code: undefined,
          message:
            `The statement name ${name} is already prepared with another text on this connection: give each statement text its own name`
        })
      }).pipe(Effect.scoped))

    it.effect("reject a parameter it cannot send", () =>
      Effect.gen(function*() {
        const single = Option.some(yield* singleConnection)
        const statement = { name: uniqueName("wr_test_first_column_date"), text: "select $1::text as value" }
        const exit = yield* Effect.exit(firstColumn(single, statement, [new Date(0)]))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
        expect(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toContain(
          "Parameter 1 is a Date, which a first-column call cannot send: pass a string, number, bigint, boolean, bytes or null"
        )
        // Nothing reached the connection, which still runs the statement.
        expect(yield* firstColumn(single, statement, [true])).toEqual({ values: ["true"] })
      }).pipe(Effect.scoped))

    it.effect("use the client inside transactions", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const pool = yield* Effect.serviceOption(Database.Pool)
        const statement = { name: uniqueName("wr_test_first_column_tx"), text: "select $1::int + 1 as value" }
        expect(Option.isSome(pool)).toBe(true)
        expect(yield* sql.withTransaction(firstColumn(pool, statement, [41]))).toEqual({ values: [42] })
      }))
  })
})
