import * as SqlClient from "@effect/sql/SqlClient"
import * as SqlSchema from "@effect/sql/SqlSchema"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { StoredEvent } from "../EventStore.js"
import { unescapeJson } from "./jsonText.js"

/** The columns every query of stored events selects, as {@link EventRow} decodes them. */
export const eventColumns = `position, tx_id, stream_id, version::int as version, event_id::text as event_id, type,
  data, metadata, occurred_at, recorded_at, encode(hash, 'hex') as hash`

/** A JSON object as node-postgres parses `jsonb`. */
const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** A row of {@link eventColumns}, as node-postgres returns it with the store's type parsers. */
export const EventRow = Schema.Struct({
  position: Schema.BigIntFromSelf,
  tx_id: Schema.BigIntFromSelf,
  stream_id: Schema.String,
  version: Schema.Int,
  event_id: Schema.String,
  type: Schema.String,
  data: JsonObject,
  metadata: JsonObject,
  occurred_at: Schema.DateFromSelf,
  recorded_at: Schema.DateFromSelf,
  hash: Schema.String
})

/** A decoded {@link EventRow}. */
export type EventRow = typeof EventRow.Type

/** Converts a row of {@link eventColumns} to a stored event, reversing the `jsonb` escaping. */
export const toStoredEvent = (row: EventRow): StoredEvent => ({
  position: row.position,
  txId: row.tx_id,
  stream: row.stream_id,
  version: row.version,
  eventId: row.event_id,
  type: row.type,
  data: unescapeJson(row.data) as Record<string, unknown>,
  metadata: unescapeJson(row.metadata) as Record<string, unknown>,
  occurredAt: DateTime.unsafeFromDate(row.occurred_at),
  recordedAt: DateTime.unsafeFromDate(row.recorded_at),
  hash: row.hash
})

/** The parameters of a statement, in order. */
const Parameters = Schema.Array(Schema.Unknown)

/**
 * Builds a query of rows decoded with `Result`, whose request is the statement's parameters
 * in order.
 */
export const findAll = <A, I>(statement: string, Result: Schema.Schema<A, I>) =>
  Effect.map(SqlClient.SqlClient, (sql) =>
    SqlSchema.findAll({
      Request: Parameters,
      Result,
      execute: (parameters) => sql.unsafe(statement, parameters)
    }))
