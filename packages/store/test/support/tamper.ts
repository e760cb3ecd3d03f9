import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

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
