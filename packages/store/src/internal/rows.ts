import * as DateTime from "effect/DateTime"
import type { StoredEvent } from "../EventStore.js"
import { unescapeJson } from "./jsonText.js"

/** The columns every query of stored events selects, in the order {@link toStoredEvent} reads. */
export const eventColumns = `position, tx_id, stream_id, version::int as version, event_id::text as event_id, type,
  data, metadata, occurred_at, recorded_at, encode(hash, 'hex') as hash`

/** A row of {@link eventColumns}, as node-postgres returns it with the store's type parsers. */
export interface EventRow {
  readonly position: bigint
  readonly tx_id: bigint
  readonly stream_id: string
  readonly version: number
  readonly event_id: string
  readonly type: string
  readonly data: Record<string, unknown>
  readonly metadata: Record<string, unknown>
  readonly occurred_at: Date
  readonly recorded_at: Date
  readonly hash: string
}

/** Decodes a row of {@link eventColumns}, reversing the `jsonb` escaping. */
export const toStoredEvent = (row: EventRow): StoredEvent => ({
  position: BigInt(row.position),
  txId: BigInt(row.tx_id),
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
