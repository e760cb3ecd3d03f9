/**
 * This project's store: `EventStore.appendRun` of `@workflow-runs/store`, one statement per
 * append (a compare-and-set on the run's head row plus the inserts) with the hash chain.
 */
import { Ids, RunEvent, WorkflowRun } from "@workflow-runs/core"
import { Database, EventStore, PgEventStore } from "@workflow-runs/store"
import { DateTime, Effect, Layer, Redacted } from "effect"
import type { AppendEvent } from "../AppendContender.js"
import * as EffectContender from "../EffectContender.js"

const trigger = (data: Readonly<Record<string, unknown>>) =>
  new WorkflowRun.RunTrigger({
    type: "manual",
    manual: new WorkflowRun.ManualTrigger({
      inputParameters: (data.inputParameters ?? {}) as WorkflowRun.InputParameters
    }, true)
  }, true)

// The workload's events carry the fields of the core run events, so each maps onto one of them.
// The values are valid by construction, so the ids and classes skip their validation (`true`),
// as core's own constructors do: validation belongs where untyped input is decoded, not to the
// append.
const toRunEvent = (runId: Ids.WorkflowRunId, event: AppendEvent): RunEvent.RunEvent => {
  const common = {
    runId,
    eventId: Ids.EventId.make(event.eventId, true),
    occurredAt: DateTime.unsafeFromDate(event.occurredAt)
  }
  switch (event.type) {
    case "RunStarted":
      return new RunEvent.RunStarted({
        ...common,
        workflow: Ids.WorkflowId.make(String(event.data.workflowId), true),
        trigger: trigger(event.data),
        livemode: false
      }, true)
    case "RunSucceeded":
      return new RunEvent.RunSucceeded(common, true)
    default:
      return new RunEvent.RunFailed({ ...common, errorMessage: String(event.data.errorMessage ?? "") }, true)
  }
}

/** The store under test. */
export const store = EffectContender.make({
  name: "workflow-runs store",
  role: "subject",
  mechanism:
    "one statement per append: a compare-and-set on the run's head row and the inserts, with the SHA-256 hash chain computed in TypeScript (RFC 8785 canonical JSON)",
  guarantees: [
    "Expected versions enforced with the actual version reported on conflict; every event id unique per stream, a repeated append answered as a duplicate with its original positions.",
    "The append is the first write of its transaction, so the global feed, read below the transaction horizon, never skips an event or inverts a stream's order.",
    "Every event hash-chained onto its predecessor; UPDATE, DELETE and TRUNCATE on the log rejected by a trigger."
  ],
  layer: (context) =>
    PgEventStore.layer.pipe(
      Layer.provide(Database.layer({ url: Redacted.make(context.url), maxConnections: context.poolSize }))
    ),
  makeAppend: Effect.map(EventStore.EventStore, (eventStore) => (stream, expectedVersion, events) => {
    const runId = Ids.WorkflowRunId.make(stream, true)
    return eventStore.appendRun(
      runId,
      expectedVersion,
      events.map((event) => toRunEvent(runId, event)),
      events[0]?.metadata
    )
  })
})
