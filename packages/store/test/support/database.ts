import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Database from "../../src/Database.js"
import * as PgEventStore from "../../src/PgEventStore.js"
import { urlOf } from "./urls.js"

/** DATABASE_URL when set, otherwise one embedded server for the test file. */
export const database = Database.layerFromEnv({ maxConnections: 24 })

/** The PostgreSQL store with its client. */
export const pgStore = PgEventStore.layer.pipe(Layer.provideMerge(database))

/** Creates an empty database named after `prefix`; returns its URL and the effect that drops it. */
export const emptyDatabase = (prefix: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const client = yield* PgClient.PgClient
    const name = `${prefix}_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`
    yield* sql.unsafe(`create database ${name}`)
    return {
      url: urlOf(client, { database: name }),
      drop: Effect.orDie(sql.unsafe(`drop database if exists ${name} with (force)`))
    }
  })
