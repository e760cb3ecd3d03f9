/**
 * Emmett's PostgreSQL event store (`@event-driven-io/emmett-postgresql` 0.42.0) appending
 * through its `appendToStream` with an explicit expected version, on a node-postgres pool of
 * the harness's size.
 */
import { getPostgreSQLEventStore } from "@event-driven-io/emmett-postgresql"
import pg from "pg"
import type { AppendContender } from "../AppendContender.js"

/** Emmett 0.42.0, with the guarantees read from that version's published source. */
export const emmett: AppendContender = {
  name: "Emmett 0.42.0",
  role: "peer",
  mechanism:
    "`appendToStream`: BEGIN, `SELECT emt_append_to_stream(...)` (a plpgsql function: a compare-and-set on the stream row, then one INSERT of every event), COMMIT: three round trips per append, with the values written into the SQL text as literals rather than bind parameters",
  guarantees: [
    "Per-stream optimistic concurrency with a numeric expected version: version 0 inserts the stream row (a concurrent creator hits its primary key), a later version updates it only where it still holds that version; a loser gets `ExpectedVersionConflictError` whose actual version is always -1.",
    "`STREAM_DOES_NOT_EXIST` and `STREAM_EXISTS` are mapped to no check at all (`toExpectedVersion`), so only numeric expected versions are enforced; the benchmark passes numbers.",
    "No store-level idempotency: `message_id` is a fresh UUID unless the caller sets one in metadata, and it has no unique constraint, so the same event appended twice is stored twice.",
    "Global reader (`readMessagesBatch`): rows with `transaction_id < pg_snapshot_xmin(pg_current_snapshot())`, ordered by `(transaction_id, global_position)`, but filtered and checkpointed by `global_position` alone (`global_position > checkpoint`). When a lower transaction id holds a higher position, a batch that ends between them can leave the other row below the checkpoint and skip it; this is read from the source, not measured here.",
    "No index on `(transaction_id, global_position)` in this version's schema: `emt_messages` has only its primary key `(stream_id, stream_position, partition, is_archived)`, so a poll finds no index in its `ORDER BY` order; this is read from the schema, and the poll's plan is not measured here.",
    "No hash chain or other tamper evidence, and no trigger or revoked right rejects UPDATE or DELETE on `emt_messages`."
  ],
  setup: async (context) => {
    const pool = new pg.Pool({ connectionString: context.url, max: context.poolSize })
    const store = getPostgreSQLEventStore(context.url, { connectionOptions: { pool } })
    await store.schema.migrate()
    return {
      append: async (stream, expectedVersion, events) => {
        // Emmett takes the stream type from the name's part before its first "-".
        await store.appendToStream(
          `WorkflowRun-${stream}`,
          events.map((event) => ({
            type: event.type,
            data: { ...event.data, occurredAt: event.occurredAt.toISOString() },
            metadata: { ...event.metadata, messageId: event.eventId }
          })),
          { expectedStreamVersion: BigInt(expectedVersion) }
        )
      },
      teardown: async () => {
        await store.close()
        if (!pool.ended) await pool.end()
      }
    }
  }
}
