import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Tracer from "effect/Tracer"
import type pg from "pg"

/** A statement with the name it is prepared under on each connection. */
export interface PreparedStatement {
  /** Unique per statement text: a connection keeps the first text it prepared under a name. */
  readonly name: string
  readonly text: string
}

/**
 * Runs `statement` with `parameters` and continues with `onSuccess` on its rows or with
 * `onFailure` on a database error. Outside a transaction, with a pool at hand, it runs as a named
 * prepared statement on the pool, and the continuation runs straight from the driver's callback.
 * Inside a transaction it must run on the transaction's connection, which only the `SqlClient`
 * reaches, so it runs there as an unnamed statement, as without a pool, and the client's span
 * gets `parent`, if given, as its parent.
 *
 * NOTE: interrupting the fiber does not cancel a statement sent on the pool; the statement
 * completes and its connection returns to the pool.
 */
export const match = <Row extends object, A, E>(
  sql: SqlClient.SqlClient,
  pool: Option.Option<pg.Pool>,
  parent: Tracer.Span | undefined,
  statement: PreparedStatement,
  parameters: ReadonlyArray<unknown>,
  continuation: {
    readonly onSuccess: (rows: ReadonlyArray<Row>) => Effect.Effect<A, E>
    readonly onFailure: (error: SqlError) => Effect.Effect<A, E>
  }
): Effect.Effect<A, E> => {
  const onClient = () => {
    const query = sql.unsafe<Row>(statement.text, parameters)
    return Effect.matchEffect(parent === undefined ? query : Effect.withParentSpan(query, parent), continuation)
  }
  if (Option.isNone(pool)) return onClient()
  return Effect.withFiberRuntime((fiber) =>
    Context.getOption(fiber.currentContext, SqlClient.TransactionConnection)._tag === "Some"
      ? onClient()
      : Effect.async<A, E>((resume) => {
        pool.value.query<Row & pg.QueryResultRow>(
          { name: statement.name, text: statement.text, values: parameters as Array<unknown> },
          (error, result) =>
            resume(
              error
                ? continuation.onFailure(new SqlError({ cause: error, message: "Failed to execute statement" }))
                : continuation.onSuccess(result.rows)
            )
        )
      })
  )
}

/**
 * Runs `statement` with `parameters` and returns its rows, as {@link match} runs it.
 */
export const run = <Row extends object>(
  sql: SqlClient.SqlClient,
  pool: Option.Option<pg.Pool>,
  parent: Tracer.Span | undefined,
  statement: PreparedStatement,
  parameters: ReadonlyArray<unknown>
): Effect.Effect<ReadonlyArray<Row>, SqlError> =>
  match<Row, ReadonlyArray<Row>, SqlError>(sql, pool, parent, statement, parameters, {
    onSuccess: Effect.succeed,
    onFailure: Effect.fail
  })
