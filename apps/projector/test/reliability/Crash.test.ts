import type * as SqlClient from "@effect/sql/SqlClient"
import * as SqlClientTag from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Simulator } from "@workflow-runs/simulator"
import { Effect, Layer } from "effect"
import { eventually, freePort, newSecret, testDatabaseUrl } from "../support/harness.js"
import { ensureBuilt, exitOf, serve } from "../support/serveProcess.js"
import { byForm, count, postgresVersion, recordFigures } from "./support/figures.js"
import { awaitComparison, isExact, verifyLog } from "./support/groundTruth.js"
import { checkServices, serveEnv, startRuns } from "./support/stack.js"

// A burst of notifications, `kill -9` of the projector while it works through them, and a
// restart on the same port: the simulator delivers again whatever got no 2xx, and the log must
// then hold exactly the transitions of the simulator's runs.

const runs = byForm(500, 2_500)
const killAfterAcknowledged = byForm(200, 1_000)

describe("Crash", () => {
  it.scopedLive(
    "log equals the simulator's runs after kill -9 and restart",
    () =>
      Effect.gen(function*() {
        yield* ensureBuilt
        const databaseUrl = yield* testDatabaseUrl
        // Retries every 500 ms for 60 s, so deliveries that fail while the projector is down
        // reach the restarted one soon.
        const simulator = yield* Simulator.make({ deliveryRetryDelays: Array(120).fill("500 millis") })
        const port = yield* freePort
        const secret = newSecret()
        const env = serveEnv({ simulator, databaseUrl, port, secret })
        const first = yield* serve(env).pipe(Effect.timeout("60 seconds"))
        yield* simulator.registerDestination({ url: `http://127.0.0.1:${port}/webhooks/stripe`, secret })

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
        const context = yield* Layer.build(checkServices(databaseUrl))
        const comparison = yield* awaitComparison(
          simulator,
          (current) => isExact(current) && current.notificationsInInbox === current.notificationsPublished,
          90_000
        ).pipe(Effect.provide(context))
        const convergedAfterMs = Date.now() - started
        const verified = yield* verifyLog.pipe(Effect.provide(context))
        const deliveries = yield* simulator.deliveries
        const committedUnacknowledged = yield* committedBefore(killedAt, deliveries).pipe(Effect.provide(context))

        yield* recordFigures("crash", {
          runs,
          notificationsPublished: comparison.notificationsPublished,
          acknowledgedBeforeKill,
          faultsInjected: 1,
          deliveryAttempts: deliveries.length,
          failedAttempts: count(deliveries, (attempt) => attempt.status !== 200),
          committedButUnacknowledged: committedUnacknowledged,
          restartedAfterMs,
          convergedAfterMs,
          notificationsInInbox: comparison.notificationsInInbox,
          eventsExpected: comparison.eventsExpected,
          eventsFound: comparison.eventsFound,
          missing: comparison.missing.length,
          unexpected: comparison.unexpected.length,
          verifyOk: verified.ok,
          postgres: yield* postgresVersion.pipe(Effect.provide(context))
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
    byForm(120_000, 300_000)
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
