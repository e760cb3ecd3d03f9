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
): Effect.Effect<A, E> =>
  onPoolOrClient(
    pool,
    parent,
    () => sql.unsafe<Row>(statement.text, parameters),
    (target, callback) =>
      target.query<Row & pg.QueryResultRow>(
        { name: statement.name, text: statement.text, values: parameters as Array<unknown> },
        (error, result) => callback(error, result?.rows)
      ),
    continuation
  )

// Runs a statement with `onPool` when there is a pool and no transaction, and continues from the
// driver's callback. Otherwise runs it with `onClient`, under `parent` when one is given.
const onPoolOrClient = <R, A, E>(
  pool: Option.Option<pg.Pool>,
  parent: Tracer.Span | undefined,
  onClient: () => Effect.Effect<R, SqlError>,
  onPool: (pool: pg.Pool, callback: (error: Error | null, result: R | undefined) => void) => void,
  continuation: {
    readonly onSuccess: (result: R) => Effect.Effect<A, E>
    readonly onFailure: (error: SqlError) => Effect.Effect<A, E>
  }
): Effect.Effect<A, E> => {
  const viaClient = () => {
    const query = onClient()
    return Effect.matchEffect(parent === undefined ? query : Effect.withParentSpan(query, parent), continuation)
  }
  if (Option.isNone(pool)) return viaClient()
  return Effect.withFiberRuntime((fiber) =>
    Context.getOption(fiber.currentContext, SqlClient.TransactionConnection)._tag === "Some"
      ? viaClient()
      : Effect.async<A, E>((resume) => {
        onPool(pool.value, (error, result) =>
          resume(
            error
              ? continuation.onFailure(new SqlError({ cause: error, message: "Failed to execute statement" }))
              : continuation.onSuccess(result!)
          ))
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

// Maps a parameter to its text form, or to a `Buffer` that the driver sends as binary. It takes
// the types that the store's statements send and throws on others, such as a `Date` or an object,
// which the driver's own mapping would convert in ways this one does not copy.
const wireValue = (value: unknown, index: number): string | Buffer | null => {
  if (value === null || value === undefined) return null
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value)
  if (value instanceof Buffer) return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  throw new TypeError(
    `Parameter ${index + 1} is ${
      value instanceof Date ? "a Date" : `of type ${typeof value}`
    }, which a first-column call cannot send: pass a string, number, bigint, boolean, bytes or null`
  )
}

// The parts of the driver's connection that a call uses. The connection keeps, per statement
// name, the text it prepared (or is preparing) under that name.
interface WireConnection {
  readonly stream: { cork?: () => void; uncork?: () => void }
  readonly parsedStatements: Record<string, string>
  readonly submittedNamedStatements: Record<string, string>
  parse(query: { text: string; name: string; types: Array<number> }): void
  bind(config: { statement: string; values: ReadonlyArray<string | Buffer | null> }): void
  execute(config: object): void
  sync(): void
}

/**
 * A call of a named prepared statement that requests no row description. The driver's own
 * queries describe the result on every call and build a parser per column from it. This call
 * keeps the first column of each row as the text the server sends. The driver's client runs it
 * like its own queries: it sets `callback`, records the name as prepared once the server confirms
 * it, and drops the name after an error.
 */
class FirstColumnCall {
  callback: ((error: Error | null, values: ReadonlyArray<string | null> | undefined) => void) | undefined
  private readonly values: Array<string | null> = []
  constructor(
    readonly name: string,
    readonly text: string,
    private readonly parameters: ReadonlyArray<string | Buffer | null>
  ) {}

  submit(connection: WireConnection): Error | null {
    const prepared = connection.parsedStatements[this.name] ?? connection.submittedNamedStatements[this.name]
    if (prepared !== undefined && prepared !== this.text) {
      return new Error(
        `The statement name ${this.name} is already prepared with another text on this connection: give each statement text its own name`
      )
    }
    connection.stream.cork?.()
    try {
      if (prepared === undefined) {
        connection.parse({ text: this.text, name: this.name, types: [] })
        connection.submittedNamedStatements[this.name] = this.text
      }
      connection.bind({ statement: this.name, values: this.parameters })
      connection.execute({})
      connection.sync()
    } finally {
      connection.stream.uncork?.()
    }
    return null
  }

  handleDataRow(message: { fields: ReadonlyArray<string | null> }): void {
    this.values.push(message.fields[0] ?? null)
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    this.callback?.(null, this.values)
  }

  handleError(error: Error): void {
    this.callback?.(error, undefined)
  }
}

// The pool's `query` for a call object. Its type declarations accept only query configs.
interface CallPool {
  query(
    call: FirstColumnCall,
    callback: (error: Error | null, values: ReadonlyArray<string | null> | undefined) => void
  ): void
}

/**
 * Runs `statement` with `parameters` and continues with `onSuccess` on the first column of its
 * rows or with `onFailure` on a database error. Outside a transaction, with a pool at hand, it
 * runs as a named prepared statement on the pool without a row description, each value is the
 * text the server sent, and the continuation runs straight from the driver's callback. Inside a
 * transaction it runs through the `SqlClient` as {@link match} runs it, and each value is the
 * column `column` as the driver parsed it.
 */
export const matchFirstColumn = <A, E>(
  sql: SqlClient.SqlClient,
  pool: Option.Option<pg.Pool>,
  parent: Tracer.Span | undefined,
  statement: PreparedStatement,
  column: string,
  parameters: ReadonlyArray<unknown>,
  continuation: {
    readonly onSuccess: (values: ReadonlyArray<unknown>) => Effect.Effect<A, E>
    readonly onFailure: (error: SqlError) => Effect.Effect<A, E>
  }
): Effect.Effect<A, E> =>
  onPoolOrClient<ReadonlyArray<unknown>, A, E>(
    pool,
    parent,
    () =>
      Effect.map(
        sql.unsafe<Record<string, unknown>>(statement.text, parameters),
        (rows) => rows.map((row) => row[column] ?? null)
      ),
    // The pool hands the callback to its client, which sets it as the call's callback. A parameter
    // of another type throws here, and the fiber dies with the message.
    (target, callback) =>
      (target as unknown as CallPool).query(
        new FirstColumnCall(statement.name, statement.text, parameters.map(wireValue)),
        callback
      ),
    continuation
  )
