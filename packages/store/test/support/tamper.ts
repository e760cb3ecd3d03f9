import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as HashChain from "../../src/HashChain.js"

/**
 * Runs `change` with the log's append-only trigger disabled, as the table owner can. The
 * transaction holds the table lock until it commits, so concurrent tests never see the trigger
 * disabled.
 */
export const tamper = <A, E, R>(change: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql.withTransaction(
      Effect.gen(function*() {
        yield* sql.unsafe("alter table run_events disable trigger run_events_append_only")
        const result = yield* change
        yield* sql.unsafe("alter table run_events enable trigger run_events_append_only")
        return result
      })
    )
  })

/**
 * Rewrites the first event of a run (its `livemode` flipped) and recomputes every hash of the
 * stream and its head, as a forger who can write the tables would, so every chain stays intact.
 */
export const rewriteFirstEvent = (runId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const stream = `run/${runId}`
    yield* tamper(Effect.gen(function*() {
      const rows = yield* sql.unsafe<{
        version: number
        event_id: string
        type: string
        data: Record<string, unknown>
        metadata: unknown
        occurred_at: Date
      }>(
        `select version::int as version, event_id::text as event_id, type, data, metadata, occurred_at
         from run_events where stream_id = $1 order by version`,
        [stream]
      )
      let previous = HashChain.genesis
      for (const row of rows) {
        const data = row.version === 1 ? { ...row.data, livemode: true } : row.data
        const hash = HashChain.chain(
          previous,
          HashChain.digest({
            stream,
            version: row.version,
            eventId: row.event_id,
            type: row.type,
            data,
            metadata: row.metadata,
            occurredAt: row.occurred_at.toISOString()
          })
        )
        previous = hash
        yield* sql.unsafe(
          "update run_events set data = $1::jsonb, hash = $2 where stream_id = $3 and version = $4",
          [
            JSON.stringify(data),
            Buffer.from(hash),
            stream,
            row.version
          ]
        )
      }
      yield* sql.unsafe("update workflow_runs set head_hash = $1 where run_id = $2", [Buffer.from(previous), runId])
    }))
  })
