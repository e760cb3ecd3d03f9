/**
 * Re-sequencing a log restored from a logical dump.
 *
 * A logical dump keeps each event's stored transaction id, but the restored server's transaction
 * counter starts wherever that server is. When it is lower, every restored event is above the
 * feed's horizon and readers see nothing, and new appends sort before old ones. Re-sequencing
 * rewrites the log in its old `(tx_id, position)` order with fresh positions and transaction id
 * 0, so every restored event sorts before every later append. It also moves each consumer's
 * checkpoint to the new position of the last event it had read. Hashes do not cover positions
 * or transaction ids, so every chain stays valid.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import { copyGrantsStatement } from "./internal/grants.js"
import { storeError } from "./PgEventStore.js"

/**
 * The counts of a re-sequencing: events rewritten and checkpoints translated.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  readonly events: number
  readonly checkpoints: number
}

/**
 * Tells whether the log contains transaction ids at or above the server's next one, which is the
 * sign of a logical restore that needs {@link resequence}.
 *
 * @since 0.1.0
 * @category resequencing
 */
export const isNeeded = Effect.fn("Resequence.isNeeded")(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql.unsafe<{ needed: boolean }>(
    `select coalesce(max(tx_id) >= pg_snapshot_xmax(pg_current_snapshot()), false) as needed from run_events`
  ).pipe(Effect.mapError(storeError("check the log's transaction ids")))
  return rows[0]?.needed ?? false
})

/**
 * Rewrites the log with fresh positions and transaction id 0, in one transaction that locks
 * every writer out, and translates every checkpoint. Run it as the tables' owner before any
 * consumer or writer starts on the restored database.
 *
 * @since 0.1.0
 * @category resequencing
 */
export const resequence = Effect.fn("Resequence.resequence")(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql.withTransaction(Effect.gen(function*() {
    yield* sql.unsafe("lock table run_events, projection_checkpoints in access exclusive mode")
    yield* sql.unsafe(
      `create temporary table resequence_map on commit drop as
       select position as old_position, tx_id as old_tx_id,
              row_number() over (order by tx_id, position) as new_position
       from run_events`
    )
    yield* sql.unsafe(
      `create table run_events_resequenced
         (like run_events including defaults including constraints including identity)`
    )
    const inserted = yield* sql.unsafe<{ events: number }>(
      `with moved as (
         insert into run_events_resequenced
           (position, tx_id, stream_id, version, event_id, type, data, metadata, occurred_at, recorded_at, hash)
         overriding system value
         select m.new_position, '0', e.stream_id, e.version, e.event_id, e.type, e.data, e.metadata,
                e.occurred_at, e.recorded_at, e.hash
         from run_events e join resequence_map m on m.old_position = e.position
         order by m.new_position
         returning 1)
       select count(*)::int as events from moved`
    )
    const translated = yield* sql.unsafe<{ name: string }>(
      `update projection_checkpoints c
       set tx_id = '0',
           position = coalesce((select max(m.new_position) from resequence_map m
                                where (m.old_tx_id, m.old_position) <= (c.tx_id, c.position)), 0),
           updated_at = clock_timestamp()
       returning name`
    )
    yield* sql.unsafe(copyGrantsStatement("run_events", "run_events_resequenced"))
    yield* sql.unsafe("drop table run_events")
    yield* sql.unsafe("alter table run_events_resequenced rename to run_events")
    yield* sql.unsafe(
      `alter table run_events add primary key (stream_id, version);
       alter table run_events add constraint run_events_stream_id_event_id_key unique (stream_id, event_id);
       create unique index run_events_feed on run_events (tx_id, position);
       create trigger run_events_append_only before update or delete on run_events
         for each row execute function run_events_reject_change();
       create trigger run_events_no_truncate before truncate on run_events
         for each statement execute function run_events_reject_change();
       select setval(pg_get_serial_sequence('run_events', 'position'),
                     greatest((select max(position) from run_events), 1));`
    )
    return { events: inserted[0]?.events ?? 0, checkpoints: translated.length } satisfies Result
  })).pipe(Effect.mapError(storeError("re-sequence the log")))
})
