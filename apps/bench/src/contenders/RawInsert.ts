/**
 * The raw baseline: one autocommitted INSERT per event through node-postgres, into a table
 * shaped like the run log, with no version check and no hash chain.
 */
import { createHash } from "node:crypto"
import pg from "pg"
import type { AppendContender, AppendEvent } from "../AppendContender.js"
import { createTable, qualifiedName } from "../RunEventsTable.js"

const insertColumns = "(stream, version, event_id, type, data, metadata, occurred_at, hash)"

// A digest of the row's size, so the baseline writes as many bytes as a hash-chained log.
const digest = (stream: string, version: number, event: AppendEvent): Buffer =>
  createHash("sha256").update(`${stream}:${version}:${event.eventId}`).digest()

/** The raw baseline: one autocommitted INSERT per event. */
export const rawInsert: AppendContender = {
  name: "raw INSERT",
  role: "baseline",
  mechanism: "one autocommitted INSERT per event (an append of two events sends two INSERTs)",
  guarantees: [
    "None beyond the table's constraints: no expected-version check (a stale writer fails only on the (stream, version) primary key), no idempotency, no hash chain.",
    "It measures the driver and the server with no event-store logic: each event costs one statement and one commit, so a store that writes several events in one statement can beat it on multi-event appends."
  ],
  setup: async (context) => {
    const pool = new pg.Pool({ connectionString: context.url, max: context.poolSize })
    const table = { schema: context.schema, name: "raw_events" }
    const client = await pool.connect()
    try {
      await createTable(client, table)
    } finally {
      client.release()
    }
    const insert = `INSERT INTO ${qualifiedName(table)} ${insertColumns} VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
    return {
      append: async (stream, expectedVersion, events) => {
        let version = expectedVersion
        for (const event of events) {
          version += 1
          await pool.query(insert, [
            stream,
            version,
            event.eventId,
            event.type,
            event.data,
            event.metadata,
            event.occurredAt,
            digest(stream, version, event)
          ])
        }
      },
      teardown: () => pool.end()
    }
  }
}
