import { WebhookSignature } from "@workflow-runs/stripe"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { randomBytes } from "node:crypto"

/** A fresh Stripe event id. */
export const newEventId = () => `evt_test_${randomBytes(12).toString("hex")}`

/** A thin run notification, written by hand with its own spacing, as a body to sign. */
export const thinRunEvent = (fields: {
  readonly eventId: string
  readonly runId: string
  readonly type?: string
  readonly idempotencyKey?: string
}) =>
  `{"id": "${fields.eventId}","object":"v2.core.event",  "type":"${
    fields.type ?? "v2.extend.workflow_run.started"
  }","created":"${new Date().toISOString()}","livemode":false,"context":null,"reason":${
    fields.idempotencyKey === undefined
      ? "null"
      : `{"type":"request","request":{"id":"req_test_1","idempotency_key":"${fields.idempotencyKey}"}}`
  },"related_object":{"id":"${fields.runId}","type":"v2.extend.workflow_run","url":"/v2/extend/workflow_runs/${fields.runId}"}}\n`

/** POSTs `body` to the projector's webhook route, signed with `secret` unless `signature` is given (`null` sends none). */
export const deliver = (
  baseUrl: string,
  body: string | Uint8Array,
  options: { readonly secret?: string; readonly signature?: string | null } = {}
) =>
  Effect.promise(async () => {
    const headers: Record<string, string> = { "content-type": "application/json" }
    const signature = options.signature === undefined
      ? WebhookSignature.makeHeader({
        payload: body,
        secrets: [Redacted.make(options.secret ?? "")],
        timestamp: Math.floor(Date.now() / 1000)
      })
      : options.signature
    if (signature !== null) headers["stripe-signature"] = signature
    const response = await fetch(`${baseUrl}/webhooks/stripe`, { method: "POST", headers, body })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  })
