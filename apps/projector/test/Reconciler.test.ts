import { describe, expect, layer } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import { Projector, Reconciler } from "@workflow-runs/projector"
import { DefaultWorkflows } from "@workflow-runs/simulator"
import { EventStore, Invocation } from "@workflow-runs/store"
import { Workflows } from "@workflow-runs/stripe"
import { DateTime, Effect, Layer, Redacted } from "effect"
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
  })
})
