/**
 * The events of the append workload: each run is a `RunStarted` followed by a `RunSucceeded`
 * or a `RunFailed`, with payloads of the size the projector writes.
 */
import { randomUUID } from "node:crypto"
import type { AppendEvent } from "./AppendContender.js"

/** A new stream id for one run, unique across processes. */
export const newRunStream = (): string => `wfrun_bench_${randomUUID().replaceAll("-", "")}`

/** The `RunStarted` event of `stream`. */
export const runStarted = (stream: string): AppendEvent => ({
  eventId: randomUUID(),
  type: "RunStarted",
  data: {
    runId: stream,
    workflowId: "wf_bench_invoice_approval",
    trigger: { type: "api", api: { idempotency_key: `bench-${stream}` } },
    inputParameters: {
      invoice_id: "in_1Qbench000000000001",
      amount: 12_500,
      currency: "usd",
      approver: "ops@example.com"
    },
    livemode: false
  },
  metadata: { source: "bench", notificationId: `evt_${stream}_started`, correlationId: stream },
  occurredAt: new Date()
})

/** The terminal event of `stream`: `RunSucceeded`, or `RunFailed` when `failed` is true. */
export const runEnded = (stream: string, failed: boolean): AppendEvent => ({
  eventId: randomUUID(),
  type: failed ? "RunFailed" : "RunSucceeded",
  data: failed ? { runId: stream, errorMessage: "Approver rejected the invoice." } : { runId: stream },
  metadata: { source: "bench", notificationId: `evt_${stream}_ended`, correlationId: stream },
  occurredAt: new Date()
})
