import { Ids, RunEvent, WorkflowRun } from "@workflow-runs/core"
import * as DateTime from "effect/DateTime"
import { randomUUID } from "node:crypto"
import * as Invocation from "../../src/Invocation.js"

export const newRunId = (): Ids.WorkflowRunId => Ids.WorkflowRunId.make(`wfrun_test_${randomUUID()}`)

export const newKey = (): Invocation.IdempotencyKey => Invocation.IdempotencyKey.make(`key-${randomUUID()}`)

export const workflowId = Ids.WorkflowId.make("wf_test_store")

export const at = (iso: string): DateTime.Utc => DateTime.unsafeMake(iso)

export const manualTrigger = (inputParameters: Record<string, unknown>) =>
  new WorkflowRun.RunTrigger({ type: "manual", manual: new WorkflowRun.ManualTrigger({ inputParameters }) })

export const started = (
  runId: Ids.WorkflowRunId,
  options?: {
    readonly occurredAt?: string
    readonly inputParameters?: Record<string, unknown>
    readonly workflow?: Ids.WorkflowId
  }
) =>
  RunEvent.started({
    runId,
    occurredAt: at(options?.occurredAt ?? "2026-04-08T14:33:27.076Z"),
    workflow: options?.workflow ?? workflowId,
    trigger: manualTrigger(options?.inputParameters ?? { order_id: "o-1" }),
    livemode: false
  })

export const succeeded = (runId: Ids.WorkflowRunId, occurredAt = "2026-04-08T14:35:00.123Z") =>
  RunEvent.succeeded(runId, at(occurredAt))

export const failed = (runId: Ids.WorkflowRunId, occurredAt = "2026-04-08T14:35:00.123Z") =>
  RunEvent.failed(runId, at(occurredAt), "card_declined")
