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
import * as PgClient from "@effect/sql-pg/PgClient"
import type { MigrationError } from "@effect/sql/Migrator"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import pg from "pg"
import * as EmbeddedDatabase from "./EmbeddedDatabase.js"
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
 * A client for `options.url`, without migrations.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient = (
  options: Options
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError> =>
  PgClient.layer({
    url: options.url,
    maxConnections: options.maxConnections ?? 10,
    applicationName: options.applicationName ?? "workflow-runs",
    types: pgTypes
  })

/**
 * A client for `options.url` whose construction runs the store's migrations.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError | MigrationError> =>
  Layer.tap(layerClient(options), (context) => Effect.provide(Migrations.run, context))

/**
 * A client with migrations for `DATABASE_URL`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient,
  SqlError | MigrationError | ConfigError.ConfigError
> = Layer.unwrapEffect(
  Effect.map(Config.redacted("DATABASE_URL"), (url) => layer({ url }))
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
  PgClient.PgClient | SqlClient.SqlClient,
  SqlError | MigrationError | EmbeddedDatabase.EmbeddedDatabaseError
> =>
  Layer.unwrapScoped(
    Effect.map(
      EmbeddedDatabase.start(options),
      (server) => layer({ url: server.url, maxConnections: options?.maxConnections })
    )
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
  PgClient.PgClient | SqlClient.SqlClient,
  SqlError | MigrationError | EmbeddedDatabase.EmbeddedDatabaseError | ConfigError.ConfigError
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
