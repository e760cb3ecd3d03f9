import * as SqlClient from "@effect/sql/SqlClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

/** The oldest transaction with an id on the server, for messages of waits that timed out. */
export const oldestOpenTransaction = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql.unsafe<{ pid: number; backend_xid: string | null; age: string; query: string }>(
    `select pid, backend_xid::text, (clock_timestamp() - xact_start)::text as age, left(query, 200) as query
     from pg_stat_activity where backend_xid is not null order by age(backend_xid) desc limit 1`
  )
  const row = rows[0]
  return row === undefined
    ? "no open transaction holds an id"
    : `pid ${row.pid}, xid ${row.backend_xid}, open for ${row.age}, last query: ${row.query}`
})

/**
 * Polls `check` until it returns a value, and after `deadline` fails with a message that names
 * the oldest open transaction, because that transaction keeps the feed's horizon back.
 */
export const waitFor = <A, E, R>(
  what: string,
  check: Effect.Effect<A | undefined, E, R>,
  deadline: Duration.DurationInput = "20 seconds"
) =>
  check.pipe(
    Effect.flatMap((value) => (value === undefined ? Effect.fail("pending" as const) : Effect.succeed(value))),
    Effect.retry({ schedule: Schedule.spaced("20 millis"), while: (error) => error === "pending" }),
    Effect.timeoutFail({
      duration: deadline,
      onTimeout: () => "timed out" as const
    }),
    Effect.catchIf(
      (error): error is "timed out" | "pending" => error === "timed out" || error === "pending",
      () =>
        Effect.flatMap(oldestOpenTransaction, (oldest) =>
          Effect.dieMessage(
            `Timed out after ${
              Duration.format(Duration.decode(deadline))
            } waiting for ${what}; oldest open transaction: ${oldest}`
          ))
    )
  )
