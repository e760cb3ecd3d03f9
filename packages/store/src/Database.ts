/**
 * PostgreSQL access for the store through `@effect/sql-pg`: a client from `DATABASE_URL`, or an
 * embedded server when it is not set, with the store's migrations run at start-up.
 *
 * The client never renames keys (no name transforms, so `jsonb` comes back as stored), parses
 * `int8` and `xid8` as `bigint` so positions and transaction ids stay exact above 2^53, and
 * parses `timestamptz` to a `Date` (millisecond precision, any session time zone).
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import type { MigrationError } from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import pg from "pg"
import * as EmbeddedDatabase from "./EmbeddedDatabase.js"
import * as Prepared from "./internal/prepared.js"
import * as Migrations from "./Migrations.js"

const int8Oid = 20
const xid8Oid = 5069
const int8ArrayOid = 1016

/**
 * The type parsers of the store's client: `int8` and `xid8` (and `int8[]`) as `bigint`.
 *
 * @since 0.1.0
 * @category configuration
 */
export const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === int8Oid || oid === xid8Oid) return (value: string) => BigInt(value)
    if (oid === int8ArrayOid) {
      const parseArray = pg.types.getTypeParser(oid as never, "text") as (value: string) => Array<string | null>
      return (value: string) => parseArray(value).map((item) => (item === null ? null : BigInt(item)))
    }
    return pg.types.getTypeParser(oid, format ?? "text")
  }) as pg.CustomTypesConfig["getTypeParser"]
}

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly url: Redacted.Redacted<string>
  /** Pool size; default 10. */
  readonly maxConnections?: number | undefined
  readonly applicationName?: string | undefined
}

/**
 * The client could not connect when its layer was built. The message names the host, port and
 * database of the URL, never its password, and the reason, such as a refused connection or a
 * PostgreSQL error with its SQLSTATE code. `cause` is the driver's error.
 *
 * @since 0.1.0
 * @category errors
 */
export class DatabaseConnectionError extends Schema.TaggedError<DatabaseConnectionError>(
  "@workflow-runs/store/DatabaseConnectionError"
)("DatabaseConnectionError", {
  /** `host:port/database`, or `undefined` when the URL cannot be parsed. */
  target: Schema.optional(Schema.String),
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.target === undefined
      ? `Cannot connect to PostgreSQL: ${this.reason}`
      : `Failed to connect to PostgreSQL at ${this.target}: ${this.reason}`
  }
}

/**
 * An option of {@link Options} is out of its range. The message names the option, the accepted
 * values and the value given.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidDatabaseOptions extends Schema.TaggedError<InvalidDatabaseOptions>(
  "@workflow-runs/store/InvalidDatabaseOptions"
)("InvalidDatabaseOptions", {
  option: Schema.String,
  message: Schema.String
}) {}

/**
 * The error of {@link layerExistingLog} when the database that the URL names contains no log. Its
 * message names the host, port and database, never the password.
 *
 * @since 0.1.0
 * @category errors
 */
export class LogNotFound extends Schema.TaggedError<LogNotFound>("@workflow-runs/store/LogNotFound")(
  "LogNotFound",
  {
    /** `host:port/database`. */
    target: Schema.String
  }
) {
  override get message(): string {
    return `No workflow-runs log found in the database at ${this.target} (it has no run_events table); point the URL at the database that contains the log, or create the log there with Database.layer`
  }
}

const parseUrl = (url: Redacted.Redacted<string>): URL | undefined => {
  try {
    const parsed = new URL(Redacted.value(url))
    const isPostgres = parsed.protocol === "postgres:" || parsed.protocol === "postgresql:"
    // The URL parser takes port 0, which no server listens on.
    return isPostgres && parsed.port !== "0" ? parsed : undefined
  } catch {
    return undefined
  }
}

// Describes what is wrong with a text that `parseUrl` rejects. It quotes only the scheme, because
// the rest may contain a password, even where a port should be (`postgres://user:123456789/db`).
const urlProblem = (text: string): string => {
  if (text.trim() === "") return "it is empty"
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text.trim())?.[1]
  if (scheme === undefined) return "it does not start with postgres:// or postgresql://"
  if (!["postgres", "postgresql"].includes(scheme.toLowerCase())) {
    return `its scheme is ${JSON.stringify(`${scheme}:`)}; use postgres:// or postgresql://`
  }
  const port = /^[^:]+:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/?#]*):([^/?#]*)/.exec(text.trim())?.[1]
  if (port !== undefined && /^\d+$/.test(port) && !(Number(port) >= 1 && Number(port) <= 65535)) {
    return "its port is not a number from 1 to 65535"
  }
  return "it is not a valid URL; check its host and port, and percent-encode special characters in the user and password"
}

// Describes what makes a URL unusable for the store, or returns undefined. A URL without a database
// name is unusable, because PostgreSQL would pick the one named after the user, often `postgres`.
const urlIssue = (url: Redacted.Redacted<string>): string | undefined => {
  const parsed = parseUrl(url)
  if (parsed === undefined) return urlProblem(Redacted.value(url))
  return parsed.pathname === "" || parsed.pathname === "/"
    ? "it names no database; add the database's name after the host and port, such as /workflow_runs"
    : undefined
}

// The host, port and database that the driver uses for `url`, with pg's defaults.
const targetOf = (url: URL): string => {
  const host = url.hostname === "" ? "localhost" : url.hostname
  const user = decodeURIComponent(url.username)
  const database = decodeURIComponent(url.pathname.slice(1)) || user || "postgres"
  return `${host}:${url.port === "" ? "5432" : url.port}/${database}`
}

// The innermost error of a failed connection: a PostgreSQL error, a socket error or an AggregateError
// of both addresses of a name such as `localhost`.
const rootCause = (error: unknown): unknown => {
  let current = error
  while (current instanceof Error && current.cause !== undefined && !("code" in current)) {
    current = current.cause
  }
  return current
}

const reasonOf = (error: unknown): string => {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(reasonOf))].join("; ")
  }
  if (!(error instanceof Error)) return String(error)
  const code = "code" in error && typeof error.code === "string" ? error.code : undefined
  // PostgreSQL errors carry a `severity` and a five-character SQLSTATE code; socket errors name
  // their errno code in the message already.
  return code !== undefined && "severity" in error ? `${error.message} (SQLSTATE ${code})` : error.message
}

/**
 * The node-postgres pool under the client of {@link layerClient}. The store runs its appends on
 * it as named prepared statements, which PostgreSQL parses and plans once per connection.
 * `@effect/sql` sends every statement unnamed, so PostgreSQL parses and plans it on each call.
 *
 * @since 0.1.0
 * @category models
 */
export class Pool extends Context.Tag("@workflow-runs/store/Database/Pool")<Pool, pg.Pool>() {}

/**
 * A statement with the name it is prepared under on each connection. The name must be unique
 * per statement text, because a connection keeps the first text it prepared under a name.
 *
 * @since 0.1.0
 * @category models
 */
export type PreparedStatement = Prepared.PreparedStatement

/**
 * Makes a runner of prepared statements over the `SqlClient` and, when the context has one, its
 * {@link Pool}. Outside a transaction a statement runs as a named prepared statement on the pool,
 * without the client's span. Inside a transaction, or without a pool, it runs unnamed through
 * the client. Interrupting the fiber does not cancel a statement sent on the pool.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePrepared: Effect.Effect<
  <Row extends object>(
    statement: PreparedStatement,
    parameters: ReadonlyArray<unknown>
  ) => Effect.Effect<ReadonlyArray<Row>, SqlError>,
  never,
  SqlClient.SqlClient
> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pool = yield* Effect.serviceOption(Pool)
  return (statement, parameters) => Prepared.run(sql, pool, undefined, statement, parameters)
})

// The time the first connection may take, as `@effect/sql-pg` allows by default.
const connectTimeout = Duration.seconds(5)

// Checks a pool size before anything starts: a whole number of at least 1, or the default.
const checkPoolSize = (size: number | undefined): InvalidDatabaseOptions | undefined =>
  size === undefined || (Number.isInteger(size) && size >= 1)
    ? undefined
    : new InvalidDatabaseOptions({
      option: "maxConnections",
      message: `maxConnections must be a whole number of at least 1, such as 10; got ${size}`
    })

/**
 * A client for `options.url`, without migrations, and its {@link Pool}. Fails with a
 * {@link DatabaseConnectionError} when the URL is not a `postgres://` or `postgresql://` URL that
 * names a database, or the server cannot be reached or rejects the connection.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient = (
  options: Options
): Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient | Pool,
  SqlError | DatabaseConnectionError | InvalidDatabaseOptions
> => {
  const invalid = checkPoolSize(options.maxConnections)
  if (invalid !== undefined) return Layer.fail(invalid)
  const issue = urlIssue(options.url)
  const url = parseUrl(options.url)
  if (issue !== undefined || url === undefined) {
    return Layer.fail(
      new DatabaseConnectionError({
        reason: `the database URL is invalid: ${
          issue ?? "it cannot be parsed"
        }; expected postgres://user:password@host:port/database`
      })
    )
  }
  const target = targetOf(url)
  const acquire = Effect.acquireRelease(
    Effect.sync(() => {
      const pool = new pg.Pool({
        connectionString: Redacted.value(options.url),
        max: options.maxConnections ?? 10,
        application_name: options.applicationName ?? "workflow-runs",
        types: pgTypes
      })
      // An idle connection that the server closes emits `error` on the pool; the pool drops it.
      pool.on("error", () => undefined)
      return pool
    }),
    (pool) => Effect.promise(() => pool.end()).pipe(Effect.interruptible, Effect.timeoutOption(1000))
  )
  return Layer.scopedContext(Effect.gen(function*() {
    const pool = yield* acquire
    yield* Effect.tryPromise({
      try: () => pool.query("select 1"),
      catch: (error) => {
        const cause = rootCause(error)
        return new DatabaseConnectionError({ target, reason: reasonOf(cause), cause })
      }
    }).pipe(
      Effect.timeoutFail({
        duration: connectTimeout,
        onTimeout: () =>
          new DatabaseConnectionError({
            target,
            reason: `no connection within ${Duration.format(connectTimeout)}`
          })
      })
    )
    const client = yield* PgClient.fromPool({ acquire: Effect.succeed(pool), types: pgTypes })
    return Context.make(PgClient.PgClient, client).pipe(
      Context.add(SqlClient.SqlClient, client),
      Context.add(Pool, pool)
    )
  })).pipe(Layer.provide(Reactivity.layer))
}

/**
 * A client for `options.url` whose construction runs the store's migrations.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient | Pool,
  SqlError | DatabaseConnectionError | InvalidDatabaseOptions | MigrationError
> => Layer.tap(layerClient(options), (context) => Effect.provide(Migrations.run, context))

/**
 * A client for `options.url` for a database that already contains the log, which it upgrades like
 * {@link layer}. A database without the log fails with {@link LogNotFound} and is left unchanged,
 * so a reader pointed at the wrong database creates nothing there.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerExistingLog = (
  options: Options
): Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient | Pool,
  SqlError | DatabaseConnectionError | InvalidDatabaseOptions | MigrationError | LogNotFound
> =>
  Layer.tap(layerClient(options), (context) =>
    Effect.provide(
      Effect.flatMap(Migrations.logExists, (exists): Effect.Effect<
        unknown,
        SqlError | MigrationError | LogNotFound,
        SqlClient.SqlClient
      > => {
        if (exists) return Migrations.run
        // layerClient has already rejected a URL that does not parse.
        const url = parseUrl(options.url)
        return Effect.fail(new LogNotFound({ target: url === undefined ? "the URL" : targetOf(url) }))
      }),
      context
    ))

/**
 * `DATABASE_URL`, read redacted: a `postgres://` or `postgresql://` URL that names a database. Any
 * other value fails as invalid data with a message that leaves the value out, since it may hold a
 * password.
 *
 * @since 0.1.0
 * @category config
 */
export const urlConfig: Config.Config<Redacted.Redacted<string>> = Config.string("DATABASE_URL").pipe(
  Config.mapOrFail((text) => {
    const url = Redacted.make(text)
    const problem = urlIssue(url)
    return problem === undefined ? Either.right(url) : Either.left(
      ConfigError.InvalidData(
        [],
        `Expected a PostgreSQL URL such as postgres://user:password@127.0.0.1:5432/database, but ${problem}`
      )
    )
  })
)

/**
 * A client with migrations for `DATABASE_URL`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient | Pool,
  SqlError | DatabaseConnectionError | InvalidDatabaseOptions | MigrationError | ConfigError.ConfigError
> = Layer.unwrapEffect(
  Effect.map(urlConfig, (url) => layer({ url }))
)

/**
 * An embedded server for the layer's lifetime, with a migrated client.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerEmbedded = (
  options?: EmbeddedDatabase.Options & { readonly maxConnections?: number | undefined }
): Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient | Pool,
  | SqlError
  | DatabaseConnectionError
  | InvalidDatabaseOptions
  | MigrationError
  | EmbeddedDatabase.EmbeddedDatabaseError
> =>
  Layer.unwrapScoped(
    Effect.suspend((): Effect.Effect<
      EmbeddedDatabase.EmbeddedDatabase,
      EmbeddedDatabase.EmbeddedDatabaseError | InvalidDatabaseOptions,
      Scope.Scope
    > => {
      // Checked first, so an invalid pool size does not start a server only to stop it.
      const invalid = checkPoolSize(options?.maxConnections)
      return invalid !== undefined ? Effect.fail(invalid) : EmbeddedDatabase.start(options)
    }).pipe(Effect.map((server) => layer({ url: server.url, maxConnections: options?.maxConnections })))
  )

/**
 * `DATABASE_URL` when it is set and not empty, otherwise an embedded server with a fresh data folder.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromEnv = (
  options?: { readonly maxConnections?: number | undefined }
): Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient | Pool,
  | SqlError
  | DatabaseConnectionError
  | InvalidDatabaseOptions
  | MigrationError
  | EmbeddedDatabase.EmbeddedDatabaseError
  | ConfigError.ConfigError
> =>
  Layer.unwrapEffect(
    Effect.map(
      Config.option(Config.redacted("DATABASE_URL")),
      (url) =>
        // An empty DATABASE_URL counts as unset, as shells and compose files often export one.
        Option.isSome(url) && Redacted.value(url.value).trim() !== ""
          ? layer({ url: url.value, maxConnections: options?.maxConnections })
          : layerEmbedded(options)
    )
  )
