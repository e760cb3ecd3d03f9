import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import { Reconciler } from "@workflow-runs/projector"
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import { RecordingWorkflows } from "@workflow-runs/store"
import { Effect, Fiber, Layer, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import { eventually, freePort, newSecret, recordingFor, testDatabaseUrl } from "../support/harness.js"
import { ensureBuilt, serve } from "../support/serveProcess.js"
import { byForm, count, recordFigures } from "./support/figures.js"
import { awaitComparison, compareWithSimulator, isExact, settle } from "./support/groundTruth.js"
import { checkServices, redeliveryDelays, serveEnv, startRuns } from "./support/stack.js"

// Three `serve` processes share one database, each the destination of every notification, so
// each notification reaches all three at once. One destination gets its deliveries twice,
// another out of order. Their reconcilers run every half second, a reconciler in the test
// process runs without the lease alongside, and the test invokes workflows through the
// recording layer, which writes the same run streams. The log must still be exact.

const instances = 3
const runs = byForm(80, 400)
const invocations = byForm(20, 100)
const droppedRuns = 5
const duplicated = byForm(60, 300)
const reordered = byForm(60, 300)

const metric = (text: string, name: string) =>
  text.split("\n")
    .filter((line) => line.startsWith(name))
    .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(" ") + 1)), 0)

describe("Concurrency", () => {
  it.scopedLive(
    "three projectors keep the log exact",
    () =>
      Effect.gen(function*() {
        yield* ensureBuilt
        const databaseUrl = yield* testDatabaseUrl
        const simulator = yield* Simulator.make({
          deliveryRetryDelays: redeliveryDelays,
          deliveryTimeout: "30 seconds"
        })
        const secret = newSecret()
        const ports = yield* Effect.forEach(Array.from({ length: instances }), () => freePort)
        const processes = yield* Effect.forEach(
          ports,
          (port, index) =>
            serve(serveEnv({
              simulator,
              databaseUrl,
              port,
              secret,
              instanceId: `concurrency-${index + 1}`,
              reconcileInterval: "500 millis",
              reconcileStaleAfter: "1 second"
            })).pipe(Effect.timeout("60 seconds")),
          { concurrency: "unbounded" }
        )
        const destinations = yield* Effect.forEach(
          ports,
          (port) => simulator.registerDestination({ url: `http://127.0.0.1:${port}/webhooks/stripe`, secret })
        )
        const context = yield* Layer.build(checkServices(databaseUrl))

        // Runs whose every notification is dropped on every destination: only a reconciler
        // brings them into the log, while they are among Stripe's most recent runs.
        for (const destination of destinations) {
          yield* simulator.injectDeliveryFault({ kind: "drop", count: droppedRuns * 2, destination: destination.id })
        }
        yield* startRuns(simulator, droppedRuns)
        const healed = yield* awaitComparison(simulator, isExact, 30_000).pipe(Effect.provide(context))
        expect(healed.missing).toEqual([])

        yield* simulator.injectDeliveryFault({ kind: "duplicate", count: duplicated, destination: destinations[0]!.id })
        yield* simulator.injectDeliveryFault({
          kind: "reorder",
          count: reordered,
          delay_ms: 200,
          destination: destinations[1]!.id
        })
        const reconciling = yield* Reconciler.reconcileOnce({ staleAfter: "1 second", recentRuns: 50 }).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("A test reconciler pass failed", cause)),
          Effect.repeat(Schedule.spaced("200 millis")),
          Effect.provide(recordingFor(simulator)),
          Effect.provide(context),
          Effect.forkScoped
        )
        const invoking = yield* Effect.forEach(
          Array.from({ length: invocations }, (_, index) => index),
          (index) =>
            RecordingWorkflows.invokeWorkflow(Ids.WorkflowId.make(DefaultWorkflows.anyInput), { index }, {
              idempotencyKey: `concurrency-${randomUUID()}`
            }),
          { concurrency: 4 }
        ).pipe(Effect.provide(recordingFor(simulator)), Effect.provide(context), Effect.forkScoped)
        yield* startRuns(simulator, runs)
        const invoked = yield* Fiber.join(invoking)

        const { comparison, figures, verified } = yield* settle(simulator, databaseUrl, {
          timeoutMs: byForm(90_000, 360_000),
          done: (current) => isExact(current) && current.runs === droppedRuns + runs + invocations
        })
        // Every destination acknowledged every notification that no fault dropped, so the
        // figures count all deliveries.
        // The log is exact as soon as one writer recorded each run, while the slowest
        // destination may still work through its queue.
        yield* eventually("every delivery acknowledged", allAcknowledged(simulator), byForm(60_000, 300_000))
        yield* Fiber.interrupt(reconciling)
        const acknowledged = yield* compareWithSimulator(simulator).pipe(Effect.provide(context))
        const deliveries = yield* simulator.deliveries
        const sql = yield* SqlClient.SqlClient.pipe(Effect.provide(context))
        const attempts = yield* sql<{ outcome: string; attempts: string }>`
          select outcome, count(*)::text as attempts from invocations group by 1 order by 1`
        const metrics = yield* Effect.forEach(ports, (port) =>
          Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text())))

        yield* recordFigures("concurrency", {
          instances,
          runs: comparison.runs,
          invocations,
          deliveryAttempts: deliveries.length,
          droppedDeliveries: count(deliveries, (attempt) =>
            attempt.fault === "drop"),
          duplicatedDeliveries: count(deliveries, (attempt) => attempt.fault === "duplicate"),
          reorderedDeliveries: count(deliveries, (attempt) => attempt.fault === "reorder"),
          non2xxAnswers: count(deliveries, (attempt) => attempt.status !== null && attempt.status !== 200),
          duplicatesSkipped: metrics.reduce(
            (total, text) => total + metric(text, "workflow_runs_notifications_duplicate_total"),
            0
          ),
          appendConflictsRetried: metrics.reduce(
            (total, text) => total + metric(text, "workflow_runs_append_conflicts_total"),
            0
          ),
          attemptsByOutcome: attempts.map((row) => `${row.outcome} ${row.attempts}`).join(", "),
          ...figures,
          notificationsInInbox: acknowledged.notificationsInInbox
        })

        expect(invoked).toHaveLength(invocations)
        expect(comparison.runs).toBe(droppedRuns + runs + invocations)
        expect(comparison.missing).toEqual([])
        expect(comparison.unexpected).toEqual([])
        expect(comparison.eventsFound).toBe(comparison.eventsExpected)
        expect(verified.ok).toBe(true)
        // Every notification some destination received is in the inbox; only those of the runs
        // dropped everywhere are not.
        expect(acknowledged.notificationsInInbox).toBe(comparison.notificationsPublished - droppedRuns * 2)
        expect(attempts).toEqual([{ outcome: "succeeded", attempts: String(invocations) }])
        expect(count(deliveries, (attempt) => attempt.fault === "duplicate")).toBeGreaterThan(0)
        expect(count(deliveries, (attempt) => attempt.fault === "reorder")).toBeGreaterThan(0)
        for (const { child } of processes) expect(child.exitCode).toBeNull()
      }),
    byForm(180_000, 600_000)
  )
})

// Whether each destination responded 2xx to each published notification that a fault did not drop.
const allAcknowledged = (simulator: Simulator.Service) =>
  Effect.gen(function*() {
    const published = yield* simulator.events()
    const deliveries = yield* simulator.deliveries
    const pairs = (predicate: (attempt: Simulator.DeliveryAttempt) => boolean) =>
      new Set(deliveries.filter(predicate).map((attempt) => `${attempt.destination} ${attempt.eventId}`))
    const acknowledged = pairs((attempt) => attempt.status === 200)
    const dropped = pairs((attempt) => attempt.fault === "drop")
    const destinations = [...new Set(deliveries.map((attempt) => attempt.destination))]
    return destinations.every((destination) =>
      published.every((event) => {
        const pair = `${destination} ${String(event.id)}`
        return acknowledged.has(pair) || dropped.has(pair)
      })
    )
  })
