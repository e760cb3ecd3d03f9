/**
 * The simulator as a contract target: the live layer over HTTP to `@workflow-runs/simulator`,
 * an independent implementation of the Workflows API, so `layerTest` cannot drift from it.
 */
import type { Ids } from "@workflow-runs/core"
import { Simulator } from "@workflow-runs/simulator"
import type { WorkflowsTest } from "@workflow-runs/stripe"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { attemptsFor, type ContractControl, type ContractTarget, serverTarget } from "./contract.js"

const toSimulatorDefinition = (definition: WorkflowsTest.WorkflowDefinition) => ({
  ...(definition.id === undefined ? {} : { id: definition.id }),
  ...(definition.title === undefined ? {} : { title: definition.title }),
  ...(definition.status === undefined ? {} : { status: definition.status }),
  ...(definition.trigger === undefined ? {} : {
    trigger: definition.trigger.type === "manual" ? { type: "manual" as const } : {
      type: "event_trigger" as const,
      event_type: definition.trigger.eventType,
      ...(definition.trigger.eventsFrom === undefined ? {} : { events_from: definition.trigger.eventsFrom })
    }
  }),
  ...(definition.inputs === undefined ? {} : {
    inputs: Object.entries(definition.inputs).map(([name, field]) => ({
      name,
      type: field.type,
      required: field.required ?? false
    }))
  }),
  // The contract settles runs itself, so they stay started until it does.
  script: { outcome: "hold" as const }
})

const settle = (
  simulator: Simulator.Service,
  runId: Ids.WorkflowRunId,
  script: { readonly outcome: "succeeded" | "failed"; readonly error_message?: string }
) =>
  simulator.scriptRun(runId, { ...script, delay_ms: 0 }).pipe(
    Effect.zipRight(
      simulator.retrieveRun(runId).pipe(
        Effect.filterOrFail((run) => run.status === script.outcome, () => "not settled yet"),
        Effect.retry(Schedule.spaced("5 millis").pipe(Schedule.compose(Schedule.recurs(400))))
      )
    ),
    Effect.asVoid,
    Effect.orDie
  )

/** The live layer over HTTP to a fresh simulator. */
export const simulatorTarget: ContractTarget = serverTarget(
  "live layer over HTTP to the simulator",
  Effect.map(Simulator.make(), (simulator) => {
    const control: ContractControl = {
      defineWorkflow: (definition = {}) => Effect.orDie(simulator.defineWorkflow(toSimulatorDefinition(definition))),
      completeRun: (runId) => settle(simulator, runId, { outcome: "succeeded" }),
      failRun: (runId, message) => settle(simulator, runId, { outcome: "failed", error_message: message }),
      failNextCall: (row) =>
        Effect.orDie(simulator.injectFault({
          count: attemptsFor(row),
          response: {
            status: row.status,
            headers: row.shouldRetry === undefined ? {} : { "stripe-should-retry": String(row.shouldRetry) },
            body: { error: { type: row.type, code: row.code, message: `Scripted ${row.code}` } }
          }
        })),
      eventIdsOf: (runId) =>
        Effect.map(
          simulator.events({ relatedObjectId: runId }),
          (events) => events.map((event) => event.id as Ids.StripeEventId)
        )
    }
    return { url: simulator.url, apiKey: simulator.apiKey, control }
  })
)
