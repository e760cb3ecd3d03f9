import { describe, expect, layer } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import { Projector, Reconciler } from "@workflow-runs/projector"
import { DefaultWorkflows, type Simulator } from "@workflow-runs/simulator"
import { EventStore, Invocation } from "@workflow-runs/store"
import { Workflows } from "@workflow-runs/stripe"
import { DateTime, Effect, HashMap, Layer, Logger, LogLevel, Redacted } from "effect"
import { randomUUID } from "node:crypto"
import { database, eventually, historyTypes, recordingFor, startStack, workflowsFor } from "./support/harness.js"

const services = Projector.services.pipe(Layer.provideMerge(database))

const anyInput = Ids.WorkflowId.make(DefaultWorkflows.anyInput)

const finished = (
  simulator: { readonly retrieveRun: (id: string) => Effect.Effect<{ readonly status: unknown }, unknown> },
  runId: string
) =>
  eventually(
    "the run to finish",
    Effect.map(Effect.orDie(simulator.retrieveRun(runId)), (run) => run.status === "succeeded")
  )

interface LogLine {
  readonly instance: string
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
}

// Runs `effect` with its logs, debug included, recorded in `lines` under `instance`.
const recordLogs = (lines: Array<LogLine>, instance: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.provide(Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ annotations, logLevel, message }) => {
        lines.push({
          instance,
          level: logLevel.label,
          message: String(Array.isArray(message) ? message[0] : message),
          annotations: Object.fromEntries(HashMap.toEntries(annotations))
        })
      })
    )),
    Logger.withMinimumLogLevel(LogLevel.Debug)
  )

// Three runs of `simulator` whose two notifications each were dropped, none of them in the log.
const droppedRuns = (simulator: Simulator.Service) =>
  Effect.gen(function*() {
    yield* simulator.injectDeliveryFault({ kind: "drop", count: 6 })
    const runs = yield* Effect.forEach(
      [1, 2, 3],
      (n) => Workflows.invokeWorkflow(anyInput, { n }).pipe(Effect.provide(workflowsFor(simulator)))
    )
    yield* Effect.forEach(runs, (run) => finished(simulator, run.id))
    yield* eventually("six dropped deliveries", Effect.map(simulator.deliveries, (all) => all.length >= 6))
    for (const run of runs) expect(yield* historyTypes(run.id)).toEqual([])
    return runs.map((run) => run.id)
  })

describe("Reconciler", () => {
  layer(services, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("heals a dropped notification", () =>
      Effect.gen(function*() {
        const { simulator } = yield* startStack()
        yield* simulator.injectDeliveryFault({ kind: "drop", count: 2 })
        const run = yield* Workflows.invokeWorkflow(anyInput, { n: 1 }).pipe(Effect.provide(workflowsFor(simulator)))
        yield* finished(simulator, run.id)
        yield* eventually("two dropped deliveries", Effect.map(simulator.deliveries, (all) => all.length >= 2))
        expect(yield* historyTypes(run.id)).toEqual([])
        const pass = yield* Reconciler.reconcileOnce({}).pipe(Effect.provide(recordingFor(simulator)))
        expect(pass.eventsAppended).toBe(2)
        expect(yield* historyTypes(run.id)).toEqual(["RunStarted", "RunSucceeded"])
      }).pipe(Effect.scoped))

    it.effect("records a run started without invoke", () =>
      Effect.gen(function*() {
        const { simulator } = yield* startStack({ register: false })
        const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
        yield* finished(simulator, run.id)
        yield* Reconciler.reconcileOnce({}).pipe(Effect.provide(recordingFor(simulator)))
        expect(yield* historyTypes(run.id)).toEqual(["RunStarted", "RunSucceeded"])
      }).pipe(Effect.scoped))

    it.effect("settles an invoke whose answer was lost", () =>
      Effect.gen(function*() {
        const { simulator } = yield* startStack({ register: false })
        const store = yield* EventStore.EventStore
        const key = Invocation.IdempotencyKey.make(`test-lost-${randomUUID()}`)
        const now = yield* DateTime.now
        yield* store.appendInvocation(key, 0, [
          Invocation.requested({
            idempotencyKey: key,
            occurredAt: now,
            workflow: anyInput,
            inputParameters: { n: 3 },
            actor: "test"
          })
        ])
        yield* simulator.injectFault({
          match: { method: "POST", path: "/v2/extend/workflows/*/invoke" },
          drop: "after_commit"
        })
        const lost = yield* Workflows.invokeWorkflow(anyInput, { n: 3 }, { idempotencyKey: key }).pipe(
          Effect.provide(
            Workflows.layer({ apiKey: Redacted.make(simulator.apiKey), apiBase: simulator.url, maxRetries: 0 })
          ),
          Effect.flip
        )
        expect(lost._tag).toBe("StripeConnectionError")
        yield* store.appendInvocation(key, 1, [
          Invocation.outcomeUnknown({
            idempotencyKey: key,
            occurredAt: now,
            occurrence: 1,
            errorTag: lost._tag,
            message: lost.message
          })
        ])
        const pass = yield* Reconciler.reconcileOnce({ settleAfter: 0 }).pipe(Effect.provide(recordingFor(simulator)))
        expect(pass.attemptsSettled).toBeGreaterThanOrEqual(1)
        const attempt = yield* store.readInvocation(key)
        const last = attempt.events.at(-1)
        expect(last?._tag).toBe("InvocationSucceeded")
        const runId = last?._tag === "InvocationSucceeded" ? last.runId : ""
        expect((yield* historyTypes(runId))[0]).toBe("RunStarted")
      }).pipe(Effect.scoped))

    it.effect("two instances heal each dropped run once, under one lease", () =>
      Effect.gen(function*() {
        const { simulator } = yield* startStack()
        const runIds = yield* droppedRuns(simulator)
        const lines: Array<LogLine> = []
        const owners = [`first-${randomUUID()}`, `second-${randomUUID()}`]
        for (const owner of owners) {
          yield* Reconciler.run({ owner, interval: "50 millis" }).pipe(
            Effect.provide(recordingFor(simulator)),
            recordLogs(lines, owner),
            Effect.forkScoped
          )
        }
        yield* eventually(
          "every run healed",
          Effect.map(
            Effect.forEach(runIds, historyTypes),
            (histories) => histories.every((types) => types.length === 2)
          )
        )
        // Further passes of both instances find nothing left to append.
        yield* Effect.sleep("300 millis")

        for (const runId of runIds) expect(yield* historyTypes(runId)).toEqual(["RunStarted", "RunSucceeded"])
        expect(lines.filter((line) => line.level === "ERROR" || line.level === "WARN")).toEqual([])
        const healed = lines.filter((line) => line.message === "Reconciled runs")
        const holders = new Set(healed.map((line) => line.instance))
        expect(holders.size).toBe(1)
        expect(healed.reduce((sum, line) => sum + Number(line.annotations.eventsAppended), 0)).toBe(6)
        const [holder] = holders
        const waiting = lines.filter((line) => line.message === "Another instance holds the reconciler's lease")
        expect(waiting.length).toBeGreaterThan(0)
        expect(new Set(waiting.map((line) => line.instance))).toEqual(
          new Set(owners.filter((owner) => owner !== holder))
        )
        expect(new Set(waiting.map((line) => line.annotations.holder))).toEqual(new Set([holder]))
      }).pipe(Effect.scoped))

    it.effect("two passes at once append each transition once", () =>
      Effect.gen(function*() {
        const { simulator } = yield* startStack()
        const runIds = yield* droppedRuns(simulator)
        const lines: Array<LogLine> = []
        // Two passes outside the lease, as when one instance's lease ran out mid-pass.
        const passes = yield* Effect.all(
          ["left", "right"].map((instance) =>
            Reconciler.reconcileOnce({}).pipe(
              Effect.provide(recordingFor(simulator)),
              recordLogs(lines, instance)
            )
          ),
          { concurrency: "unbounded" }
        )

        for (const runId of runIds) expect(yield* historyTypes(runId)).toEqual(["RunStarted", "RunSucceeded"])
        expect(passes.reduce((sum, pass) => sum + pass.eventsAppended, 0)).toBe(6)
        expect(lines.filter((line) => line.level === "ERROR" || line.level === "WARN")).toEqual([])
      }).pipe(Effect.scoped))
  })
})
