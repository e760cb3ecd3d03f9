import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
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
 * Runs `statement` with `parameters` and returns its rows. Outside a transaction, with a pool
 * at hand, it runs as a named prepared statement on the pool. Inside a transaction it must run
 * on the transaction's connection, which only the `SqlClient` reaches, so it runs there as an
 * unnamed statement, as without a pool, and the client's span gets `parent`, if given, as its
 * parent.
 *
 * NOTE: interrupting the fiber does not cancel a statement sent on the pool; the statement
 * completes and its connection returns to the pool.
 */
export const run = <Row extends object>(
  sql: SqlClient.SqlClient,
  pool: Option.Option<pg.Pool>,
  parent: Tracer.Span | undefined,
  statement: PreparedStatement,
  parameters: ReadonlyArray<unknown>
): Effect.Effect<ReadonlyArray<Row>, SqlError> => {
  const onClient = () => {
    const query = sql.unsafe<Row>(statement.text, parameters)
    return parent === undefined ? query : Effect.withParentSpan(query, parent)
  }
  if (Option.isNone(pool)) return onClient()
  return Effect.flatMap(
    Effect.serviceOption(SqlClient.TransactionConnection),
    (transaction) =>
      Option.isSome(transaction)
        ? onClient()
        : Effect.async<ReadonlyArray<Row>, SqlError>((resume) => {
          pool.value.query<Row & pg.QueryResultRow>(
            { name: statement.name, text: statement.text, values: [...parameters] },
            (error, result) =>
              resume(
                error
                  ? Effect.fail(new SqlError({ cause: error, message: "Failed to execute statement" }))
                  : Effect.succeed(result.rows)
              )
          )
        })
  )
}
