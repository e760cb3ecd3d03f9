/**
 * The scripted server as a contract target.
 */
import { Workflow } from "@workflow-runs/core"
import type { Ids } from "@workflow-runs/core"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { attemptsFor, type ContractControl, type ContractTarget, serverTarget } from "./contract.js"
import * as StripeServer from "./StripeServer.js"

const settle = (
  server: StripeServer.StripeServer,
  runId: Ids.WorkflowRunId,
  outcome: "succeeded" | "failed",
  message?: string
) =>
  Effect.sync(() => server.backend.settleRun(runId, outcome, new Date().toISOString(), message)).pipe(
    Effect.flatMap((result) => typeof result === "string" ? Effect.dieMessage(result) : Effect.void)
  )

/** The live layer over HTTP to a fresh scripted server. */
export const scriptedServerTarget: ContractTarget = serverTarget(
  "live layer over HTTP",
  Effect.map(StripeServer.start(), (server) => {
    const control: ContractControl = {
      defineWorkflow: (definition) =>
        Effect.orDie(Schema.decodeUnknown(Workflow.Workflow)(server.defineWorkflow(definition))),
      completeRun: (runId) => settle(server, runId, "succeeded"),
      failRun: (runId, message) => settle(server, runId, "failed", message),
      failNextCall: (row) =>
        Effect.sync(() =>
          server.script(
            ...Array.from({ length: attemptsFor(row) }, (): StripeServer.Fault => ({
              _tag: "Respond",
              status: row.status,
              headers: row.shouldRetry === undefined ? {} : { "stripe-should-retry": String(row.shouldRetry) },
              body: { error: { type: row.type, code: row.code, message: `Scripted ${row.code}` } }
            }))
          )
        ),
      eventIdsOf: (runId) =>
        Effect.sync(() =>
          server.backend.allEvents()
            .filter((event) => (event.related_object as { id: string }).id === runId)
            .map((event) => event.id as Ids.StripeEventId)
        )
    }
    return { url: server.url, apiKey: server.apiKey, control }
  })
)
