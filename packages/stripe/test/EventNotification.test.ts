import { assert, describe, it } from "@effect/vitest"
import type { Ids } from "@workflow-runs/core"
import { EventNotification, WebhookSignature, Workflows, WorkflowsTest } from "@workflow-runs/stripe"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Tracer from "effect/Tracer"
import { withServer } from "./utils/live.js"

const secrets = [Redacted.make("whsec_notifications")] as const

const notification = (type: string, extra: Record<string, unknown> = {}) => ({
  id: "evt_test_65R1",
  object: "v2.core.event",
  type,
  livemode: false,
  created: "2026-05-01T10:00:05.123Z",
  related_object: {
    id: "wfrun_test_61V1",
    type: "v2.extend.workflow_run",
    url: "/v2/extend/workflow_runs/wfrun_test_61V1"
  },
  ...extra
})

// Adds a field with raw JSON text to the end of an event, since JSON.stringify cannot build very deep values.
const withField = (event: object, name: string, json: string) =>
  `${JSON.stringify(event).slice(0, -1)},${JSON.stringify(name)}:${json}}`

const signed = (body: string) =>
  Effect.map(
    Clock.currentTimeMillis,
    (now) => WebhookSignature.makeHeader({ payload: body, secrets, timestamp: Math.floor(now / 1000) })
  )

describe("EventNotification", () => {
  it.effect("decodes the workflow run notifications", () =>
    Effect.gen(function*() {
      const cases = [
        ["v2.extend.workflow_run.started", "WorkflowRunStarted"],
        ["v2.extend.workflow_run.succeeded", "WorkflowRunSucceeded"],
        ["v2.extend.workflow_run.failed", "WorkflowRunFailed"]
      ] as const
      for (const [type, tag] of cases) {
        const body = JSON.stringify(notification(type, { context: "acct_1" }))
        const decoded = yield* EventNotification.parse(body, yield* signed(body), { secrets })
        assert.strictEqual(decoded._tag, tag)
        if (decoded._tag !== "UnknownEventNotification") {
          assert.strictEqual(decoded.runId, "wfrun_test_61V1")
          assert.strictEqual(decoded.id, "evt_test_65R1")
          assert.deepStrictEqual(decoded.context, Option.some("acct_1"))
        }
      }
    }))

  it.effect("keeps the payload of an unknown type", () =>
    Effect.gen(function*() {
      const json = notification("v1.billing.meter.error_report_triggered", {
        related_object: { id: "mtr_1", type: "billing.meter", url: "/v1/billing/meters/mtr_1" },
        changes: { before: 1 }
      })
      const decoded = yield* EventNotification.decode(JSON.stringify(json))
      assert.strictEqual(decoded._tag, "UnknownEventNotification")
      if (decoded._tag === "UnknownEventNotification") {
        assert.deepStrictEqual(decoded.payload, json)
        assert.strictEqual(decoded.type, "v1.billing.meter.error_report_triggered")
      }
    }))

  it.effect("treats an inherited property name as an unknown type", () =>
    Effect.gen(function*() {
      const decoded = yield* EventNotification.decode(JSON.stringify(notification("toString")))
      assert.strictEqual(decoded._tag, "UnknownEventNotification")
    }))

  it.effect("keeps the idempotency key of the causing request", () =>
    Effect.gen(function*() {
      const json = notification("v2.extend.workflow_run.started", {
        reason: { type: "request", request: { id: "req_1", idempotency_key: "order-7" } }
      })
      const decoded = yield* EventNotification.decode(JSON.stringify(json))
      assert.strictEqual(Option.getOrUndefined(decoded.reason)?.request?.idempotencyKey, "order-7")
    }))

  it.effect("encodes and decodes through its schema", () =>
    Effect.gen(function*() {
      const decoded = yield* EventNotification.decode(JSON.stringify(notification("v2.extend.workflow_run.failed")))
      const encoded = yield* Schema.encode(EventNotification.EventNotification)(decoded)
      const again = yield* Schema.decodeUnknown(EventNotification.EventNotification)(encoded)
      assert.deepStrictEqual(again, decoded)
    }))

  it.effect("rejects a v1 snapshot event", () =>
    Effect.gen(function*() {
      const body = JSON.stringify({ id: "evt_1", object: "event", type: "customer.created", data: { object: {} } })
      const error = yield* Effect.flip(EventNotification.parse(body, yield* signed(body), { secrets }))
      assert.strictEqual(error._tag, "WrongEventKind")
      if (error._tag === "WrongEventKind") assert.strictEqual(error.object, "event")
    }))

  it.effect("rejects another object", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(EventNotification.decode(JSON.stringify({ object: "v2.extend.workflow_run" })))
      assert.strictEqual(error._tag, "WrongEventKind")
    }))

  it.effect("rejects bodies that are not notifications", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<[string | Uint8Array, string]> = [
        ["not json", ""],
        ["[1]", ""],
        [new Uint8Array([0xff, 0xfe]), ""],
        [JSON.stringify({ ...notification("x"), created: "yesterday" }), "created"],
        [JSON.stringify({ ...notification("v2.extend.workflow_run.started"), related_object: null }), "related_object"],
        [
          JSON.stringify({
            ...notification("v2.extend.workflow_run.started"),
            related_object: { id: "cus_1", type: "customer", url: "/v1/customers/cus_1" }
          }),
          "related_object"
        ]
      ]
      for (const [body, path] of cases) {
        const error = yield* Effect.flip(EventNotification.decode(body))
        assert.strictEqual(error._tag, "InvalidEventNotification")
        if (error._tag === "InvalidEventNotification") assert.strictEqual(error.path, path)
      }
    }))

  it.effect("rejects a deeply nested body without overflowing the stack", () =>
    Effect.gen(function*() {
      const deep = `${"{\"a\":".repeat(100_000)}1${"}".repeat(100_000)}`
      const bodies = [
        withField(notification("v2.extend.workflow_run.started"), "reason", deep),
        withField(notification("v2.core.account.updated"), "extra", deep),
        `{"object":"v2.core.event","x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`
      ]
      for (const body of bodies) {
        const error = yield* Effect.flip(EventNotification.decode(body))
        assert.strictEqual(error._tag, "InvalidEventNotification")
        assert.include(error.message, `more than ${EventNotification.maxNestingDepth} levels deep`)
      }
    }))

  it.effect("accepts nesting up to the limit", () =>
    Effect.gen(function*() {
      // The body is level 1, so n nested arrays in a field reach level n + 1.
      const arrays = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`
      const limit = EventNotification.maxNestingDepth
      const atLimit = withField(notification("v2.core.account.updated"), "extra", arrays(limit - 1))
      const decoded = yield* EventNotification.decode(atLimit)
      assert.strictEqual(decoded._tag, "UnknownEventNotification")
      const overLimit = withField(notification("v2.core.account.updated"), "extra", arrays(limit))
      const error = yield* Effect.flip(EventNotification.decode(overLimit))
      assert.strictEqual(error._tag, "InvalidEventNotification")
    }))

  it.effect("checks the signature before decoding", () =>
    Effect.gen(function*() {
      const body = JSON.stringify(notification("v2.extend.workflow_run.started"))
      const error = yield* Effect.flip(
        EventNotification.parse(body, yield* signed(body), { secrets: [Redacted.make("whsec_wrong")] })
      )
      assert.strictEqual(error._tag, "SignatureMismatch")
    }))

  it.scopedLive("fetches the event and the run with the notification's context", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        const run = yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {})
        server.backend.settleRun(run.id, "failed", new Date().toISOString(), "Step 3 failed")
        const event = server.backend.allEvents().find((event) => event.type === "v2.extend.workflow_run.failed")!
        const { data: _, ...thin } = event
        const body = JSON.stringify({ ...thin, context: "acct_9/acct_10" })
        const decoded = yield* EventNotification.parse(body, yield* signed(body), { secrets })
        assert.strictEqual(decoded._tag, "WorkflowRunFailed")
        if (decoded._tag !== "WorkflowRunFailed") return

        const full = yield* EventNotification.fetchEvent(decoded)
        assert.deepStrictEqual(full.data?.failure_details, { error_message: "Step 3 failed" })
        const fetched = yield* EventNotification.fetchRelatedObject(decoded)
        assert.strictEqual(fetched.status, "failed")

        const [eventRequest, runRequest] = server.requests().slice(-2)
        assert.strictEqual(eventRequest?.url, `/v2/core/events/${String(event.id)}`)
        assert.strictEqual(runRequest?.url, `/v2/extend/workflow_runs/${run.id}`)
        for (const request of [eventRequest, runRequest]) {
          assert.strictEqual(request?.headers["stripe-context"], "acct_9/acct_10")
          assert.strictEqual(request?.headers["stripe-request-trigger"], `event=${String(event.id)}`)
        }
      })
    ))

  it.scopedLive("sends no context when the notification has none", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        const run = yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {})
        const event = server.backend.allEvents()[0]!
        const { data: _, ...thin } = event
        const decoded = yield* EventNotification.decode(JSON.stringify(thin))
        assert.strictEqual(decoded._tag, "WorkflowRunStarted")
        if (decoded._tag !== "WorkflowRunStarted") return
        const fetched = yield* EventNotification.fetchRelatedObject(decoded)
        assert.strictEqual(fetched.id, run.id)
        const last = server.requests().at(-1)
        assert.strictEqual(last?.headers["stripe-context"], undefined)
        assert.strictEqual(last?.headers["stripe-request-trigger"], `event=${String(event.id)}`)
      })
    ))

  it.effect("fetches from the test layer", () =>
    Effect.gen(function*() {
      const test = yield* WorkflowsTest.WorkflowsTest
      const workflow = yield* test.defineWorkflow()
      const run = yield* Workflows.invokeWorkflow(workflow.id, {})
      yield* test.completeRun(run.id)
      const [, succeeded] = yield* test.events
      const decoded = yield* EventNotification.decode(JSON.stringify({
        id: succeeded!.id,
        object: "v2.core.event",
        type: succeeded!.type,
        created: "2026-05-01T10:00:05.123Z",
        livemode: false,
        related_object: succeeded!.relatedObject
      }))
      assert.strictEqual(decoded._tag, "WorkflowRunSucceeded")
      if (decoded._tag !== "WorkflowRunSucceeded") return
      const fetched = yield* EventNotification.fetchRelatedObject(decoded)
      assert.strictEqual(fetched.status, "succeeded")
      const full = yield* EventNotification.fetchEvent(decoded)
      assert.strictEqual(full.type, "v2.extend.workflow_run.succeeded")
    }).pipe(Effect.provide(Workflows.layerTest())))
  it.effect("parses in one span", () =>
    Effect.gen(function*() {
      const names: Array<string> = []
      const inner = yield* Effect.tracer
      const recording = Tracer.make({
        span: (...args) => {
          names.push(args[0])
          return inner.span(...args)
        },
        context: inner.context
      })
      const body = JSON.stringify(notification("v2.extend.workflow_run.started"))
      const header = yield* signed(body)
      yield* EventNotification.parse(body, header, { secrets }).pipe(Effect.withTracer(recording))
      assert.deepStrictEqual(names, ["EventNotification.parse"])
      names.length = 0
      yield* WebhookSignature.verify(body, header, { secrets }).pipe(Effect.withTracer(recording))
      yield* EventNotification.decode(body).pipe(Effect.withTracer(recording))
      assert.deepStrictEqual(names, ["WebhookSignature.verify", "EventNotification.decode"])
    }))
})
