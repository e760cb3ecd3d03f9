import { describe, expect, it } from "@effect/vitest"
import { EmbeddedDatabase } from "@workflow-runs/store"
import { Effect, Exit, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { eventually, freePort } from "../support/harness.js"
import { byForm, count, recordFigures } from "./support/figures.js"
import { settle } from "./support/groundTruth.js"
import { startRuns, startServeStack } from "./support/stack.js"

// The database stops in the middle of a burst and starts again on the same port and data
// folder. The projector keeps running: it responds 5xx while it cannot record, its pool connects
// again once the server is back, and the simulator's redeliveries complete the log.

const runs = byForm(200, 1_000)
const stopAfterAcknowledged = byForm(80, 400)
const rejectedWhileDown = 20

const health = (url: string) =>
  Effect.promise(() =>
    fetch(`${url}/healthz`).then(
      async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }),
      (): { status: number; body: Record<string, unknown> } => ({ status: 0, body: {} })
    )
  )

describe("Database restart", () => {
  it.scopedLive(
    "recovers its pool without a restart",
    () =>
      Effect.gen(function*() {
        // The test owns this server, so it always runs embedded, whatever DATABASE_URL is set to.
        const folder = yield* Effect.acquireRelease(
          Effect.sync(() => mkdtempSync(join(tmpdir(), "workflow-runs-restart-"))),
          (directory) => Effect.sync(() => rmSync(directory, { recursive: true, force: true }))
        )
        const databasePort = yield* freePort
        const startDatabase = Effect.gen(function*() {
          const scope = yield* Scope.make()
          const server = yield* EmbeddedDatabase.start({ dataDirectory: folder, port: databasePort }).pipe(
            Scope.extend(scope)
          )
          return { scope, server }
        })
        const firstDatabase = yield* startDatabase
        yield* Effect.addFinalizer(() => Scope.close(firstDatabase.scope, Exit.void))

        const { projector, simulator, url } = yield* startServeStack({ databaseUrl: firstDatabase.server.url })

        const started = Date.now()
        yield* startRuns(simulator, runs)
        yield* eventually(
          `${stopAfterAcknowledged} acknowledged deliveries`,
          Effect.map(simulator.deliveries, (all) =>
            count(all, (attempt) => attempt.status === 200) >= stopAfterAcknowledged),
          60_000
        )
        yield* Scope.close(firstDatabase.scope, Exit.void)
        const stoppedAt = Date.now()
        const acknowledgedBeforeStop = count(yield* simulator.deliveries, (attempt) =>
          attempt.status === 200)
        yield* eventually(
          `${rejectedWhileDown} deliveries answered 5xx`,
          Effect.map(simulator.deliveries, (all) =>
            count(all, (attempt) =>
              (attempt.status ?? 0) >= 500) >= rejectedWhileDown),
          60_000
        )
        const healthWhileDown = yield* health(url)

        const secondDatabase = yield* startDatabase
        yield* Effect.addFinalizer(() =>
          Scope.close(secondDatabase.scope, Exit.void)
        )
        const downForMs = Date.now() - stoppedAt
        const { comparison, figures, settledAt, verified } = yield* settle(simulator, secondDatabase.server.url, {
          timeoutMs: byForm(90_000, 360_000)
        })
        const deliveries = yield* simulator.deliveries
        const healthAfter = yield* health(url)

        yield* recordFigures("database-restart", {
          runs,
          acknowledgedBeforeStop,
          faultsInjected: 1,
          databaseDownMs: downForMs,
          deliveryAttempts: deliveries.length,
          answered5xx: count(deliveries, (attempt) => (attempt.status ?? 0) >= 500),
          unanswered: count(deliveries, (attempt) => attempt.status === null),
          convergedAfterMs: settledAt - started,
          ...figures
        }, { database: "embedded server owned by the test" })

        expect(healthWhileDown.status).toBe(503)
        expect(healthWhileDown.body.database).toBe("unreachable")
        expect(count(deliveries, (attempt) => attempt.status === 503)).toBeGreaterThanOrEqual(rejectedWhileDown)
        expect(acknowledgedBeforeStop).toBeLessThan(comparison.notificationsPublished)
        // The same process served before, during and after the outage.
        expect(projector.child.exitCode).toBeNull()
        expect(projector.child.signalCode).toBeNull()
        expect(healthAfter.status).toBe(200)
        expect(comparison.runs).toBe(runs)
        expect(comparison.missing).toEqual([])
        expect(comparison.unexpected).toEqual([])
        expect(comparison.notificationsInInbox).toBe(comparison.notificationsPublished)
        expect(verified.ok).toBe(true)
      }),
    byForm(180_000, 600_000)
  )
})
