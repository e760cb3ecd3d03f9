import type * as PgClient from "@effect/sql-pg/PgClient"
import * as Redacted from "effect/Redacted"

/** The connection URL of `client`, with another user, database or startup options. */
export const urlOf = (
  client: PgClient.PgClient,
  changes: { user?: string; password?: string; database?: string; options?: string }
): Redacted.Redacted<string> => {
  const config = client.config
  const user = changes.user ?? config.username ?? "postgres"
  const password = changes.password ?? (config.password ? Redacted.value(config.password) : "")
  const query = changes.options === undefined ? "" : `?options=${encodeURIComponent(changes.options)}`
  const database = changes.database ?? config.database ?? "postgres"
  return Redacted.make(
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${config.host ?? "127.0.0.1"}:${
      config.port ?? 5432
    }/${database}${query}`
  )
}
