import type * as SqlClient from "@effect/sql/SqlClient"
import * as SqlClientTag from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import type { Simulator } from "@workflow-runs/simulator"
import { Effect } from "effect"
import { eventually, testDatabaseUrl } from "../support/harness.js"
import { exitOf, serve } from "../support/serveProcess.js"
import { byForm, count, recordFigures } from "./support/figures.js"
import { settle } from "./support/groundTruth.js"
import { startRuns, startServeStack } from "./support/stack.js"

// A burst of notifications, `kill -9` of the projector while it works through them, and a
// restart on the same port. The simulator delivers again whatever got no 2xx, and the log must
// then hold exactly the transitions of the simulator's runs.

const runs = byForm(500, 1_500)
const killAfterAcknowledged = byForm(200, 600)

describe("Crash", () => {
  it.scopedLive(
    "log is exact after kill -9",
    () =>
      Effect.gen(function*() {
        const databaseUrl = yield* testDatabaseUrl
        const { env, projector: first, simulator } = yield* startServeStack({ databaseUrl })

        const started = Date.now()
        yield* startRuns(simulator, runs)
        yield* eventually(
          `${killAfterAcknowledged} acknowledged deliveries`,
          Effect.map(
            simulator.deliveries,
            (all) => count(all, (attempt) => attempt.status === 200) >= killAfterAcknowledged
          ),
          60_000
        )
        first.child.kill("SIGKILL")
        const killedAt = new Date()
        const firstExit = yield* exitOf(first.child)
        const acknowledgedBeforeKill = count(yield* simulator.deliveries, (attempt) => attempt.status === 200)

        const second = yield* serve(env).pipe(Effect.timeout("60 seconds"))
        const restartedAfterMs = Date.now() - killedAt.getTime()
        const { comparison, context, figures, settledAt, verified } = yield* settle(simulator, databaseUrl, {
          timeoutMs: byForm(90_000, 360_000)
        })
        const deliveries = yield* simulator.deliveries
        const committedUnacknowledged = yield* committedBefore(killedAt, deliveries).pipe(Effect.provide(context))

        yield* recordFigures("crash", {
          runs,
          acknowledgedBeforeKill,
          faultsInjected: 1,
          deliveryAttempts: deliveries.length,
          failedAttempts: count(deliveries, (attempt) => attempt.status !== 200),
          committedButUnacknowledged: committedUnacknowledged,
          restartedAfterMs,
          convergedAfterMs: settledAt - started,
          ...figures
        })

        expect(firstExit).toBeNull()
        expect(first.child.signalCode).toBe("SIGKILL")
        // The kill landed mid-burst: some deliveries were still to come.
        expect(acknowledgedBeforeKill).toBeLessThan(comparison.notificationsPublished)
        expect(count(deliveries, (attempt) => attempt.status === null)).toBeGreaterThan(0)
        expect(comparison.notificationsPublished).toBe(runs * 2)
        expect(comparison.runs).toBe(runs)
        expect(comparison.missing).toEqual([])
        expect(comparison.unexpected).toEqual([])
        expect(comparison.eventsFound).toBe(comparison.eventsExpected)
        expect(comparison.notificationsInInbox).toBe(comparison.notificationsPublished)
        expect(verified.ok).toBe(true)
        expect(verified.events).toBe(comparison.eventsExpected)
        expect(second.child.exitCode).toBeNull()
      }),
    byForm(180_000, 600_000)
  )
})

// Notifications the first process committed before it died but never acknowledged: they are in
// the inbox from before the kill and have a delivery attempt that got no response.
const committedBefore = (
  killedAt: Date,
  deliveries: ReadonlyArray<Simulator.DeliveryAttempt>
): Effect.Effect<number, unknown, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClientTag.SqlClient
    const rows = yield* sql<{ event_id: string }>`
      select event_id from webhook_inbox where received_at <= ${killedAt}`
    const unanswered = new Set(
      deliveries.filter((attempt) => attempt.status === null).map((attempt) => attempt.eventId)
    )
    return count(rows, (row) => unanswered.has(row.event_id))
  })
