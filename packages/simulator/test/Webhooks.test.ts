import { describe, expect, it } from "@effect/vitest"
import { DefaultWorkflows, Webhook } from "@workflow-runs/simulator"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import Stripe from "stripe"
import { call, eventually, exampleInput, receiver, startSimulator, stripeFor } from "./support.js"

const signatures = (header: string | Array<string> | undefined) =>
  String(header).split(",").filter((part) => part.startsWith("v1=")).map((part) => part.slice(3))

describe("webhook deliveries", () => {
  it("signs like the official client's test header", () => {
    const payload = JSON.stringify({
      id: "evt_test_1",
      object: "v2.core.event",
      type: "v2.extend.workflow_run.succeeded"
    })

    const header = Webhook.signatureHeader(payload, [Redacted.make("whsec_test_secret")], 1700000000)

    expect(header).toBe(
      "t=1700000000,v1=2e494e075bfc39cb84fa414991c95d147c379df7a88a5d8dcb27ded9fe5514c6"
    )
  })

  it.scopedLive("delivers signed events that parseEventNotification accepts", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator)
      const inbox = yield* receiver()
      const destination = yield* simulator.registerDestination({ url: inbox.url })

      const run = yield* call(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.onboardCustomer, { input_parameters: exampleInput }, {
          idempotencyKey: "webhook-key-1"
        })
      )
      yield* eventually(Effect.sync(() => inbox.received.length >= 2 ? true : undefined))
      const [started, succeeded] = inbox.received.map((received) =>
        stripe.parseEventNotification(
          received.body,
          received.headers["stripe-signature"] as string,
          Redacted.value(destination.secret)
        )
      )
      if (started?.type !== "v2.extend.workflow_run.started") {
        return yield* Effect.dieMessage(`expected a started notification first, got ${started?.type}`)
      }
      const fetched = yield* call(async () => await started.fetchRelatedObject())
      const event = yield* call(async () => await started.fetchEvent())

      expect(Object.keys(JSON.parse(inbox.received[0]!.body))).toEqual([
        "id",
        "object",
        "type",
        "livemode",
        "created",
        "reason",
        "related_object"
      ])
      expect(started.type).toBe("v2.extend.workflow_run.started")
      expect(succeeded!.type).toBe("v2.extend.workflow_run.succeeded")
      expect(started.related_object).toEqual({
        id: run.id,
        type: "v2.extend.workflow_run",
        url: `/v2/extend/workflow_runs/${run.id}`
      })
      expect(JSON.parse(inbox.received[0]!.body).reason).toEqual({
        type: "request",
        request: { id: run.lastResponse.requestId, idempotency_key: "webhook-key-1" }
      })
      expect(fetched?.id).toBe(run.id)
      expect(fetched?.object).toBe("v2.extend.workflow_run")
      expect(event.id).toBe(started.id)
      expect(inbox.received[0]!.headers["content-type"]).toContain("application/json")
    }))

  it.scopedLive("serves a failed event's details", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator)
      const inbox = yield* receiver()
      const destination = yield* simulator.registerDestination({
        url: inbox.url,
        event_types: ["v2.extend.workflow_run.failed"]
      })

      const run = yield* call(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.alwaysFails, { input_parameters: {} })
      )
      yield* eventually(Effect.sync(() => inbox.received.length >= 1 ? true : undefined))
      const notification = stripe.parseEventNotification(
        inbox.received[0]!.body,
        inbox.received[0]!.headers["stripe-signature"] as string,
        Redacted.value(destination.secret)
      )
      const event = yield* call(() => stripe.v2.core.events.retrieve(notification.id))

      expect(inbox.received.length).toBe(1)
      expect(notification.type).toBe("v2.extend.workflow_run.failed")
      expect((event as any).data).toEqual({
        dashboard_url: `https://dashboard.stripe.com/test/workflows/${DefaultWorkflows.alwaysFails}/runs/${run.id}`,
        failure_details: { error_message: "Step 2 failed: the card was declined" }
      })
    }))

  it.scopedLive("signs with both secrets after a roll", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator)
      const inbox = yield* receiver()
      const original = yield* simulator.registerDestination({ url: inbox.url, secret: "whsec_original" })
      const rolled = yield* simulator.rollSecret(original.id, { secret: "whsec_rolled" })

      yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      yield* eventually(Effect.sync(() => inbox.received.length >= 1 ? true : undefined))
      const header = inbox.received[0]!.headers["stripe-signature"] as string
      const timestamp = Number(/^t=(\d+),/.exec(header)?.[1])

      expect(rolled.secrets.map(Redacted.value)).toEqual(["whsec_rolled", "whsec_original"])
      expect(signatures(header)).toEqual([
        Webhook.computeSignature(inbox.received[0]!.body, Redacted.make("whsec_rolled"), timestamp),
        Webhook.computeSignature(inbox.received[0]!.body, Redacted.make("whsec_original"), timestamp)
      ])
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60)
      for (const secret of ["whsec_rolled", "whsec_original"]) {
        expect(stripe.parseEventNotification(inbox.received[0]!.body, header, secret).object).toBe("v2.core.event")
      }
    }))

  it.scopedLive("stops signing with the previous secret once it expires", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const inbox = yield* receiver()
      const original = yield* simulator.registerDestination({ url: inbox.url })
      const rolled = yield* simulator.rollSecret(original.id, { previous_expires_in_ms: 0 })

      yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      yield* eventually(Effect.sync(() => inbox.received.length >= 1 ? true : undefined))

      expect(rolled.secrets.length).toBe(1)
      expect(signatures(inbox.received[0]!.headers["stripe-signature"]).length).toBe(1)
    }))

  it.scopedLive("retries a failing receiver with the same body", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const inbox = yield* receiver((_, index) => index < 2 ? 500 : 200)
      yield* simulator.registerDestination({ url: inbox.url, event_types: ["v2.extend.workflow_run.started"] })

      yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      const attempts = yield* eventually(
        Effect.map(simulator.deliveries, (all) => all.length >= 3 ? all : undefined)
      )

      expect(attempts.map((attempt) => [attempt.attempt, attempt.status])).toEqual([[1, 500], [2, 500], [3, 200]])
      expect(new Set(inbox.received.map((received) => received.body)).size).toBe(1)
      expect(attempts[0]!.error).toBe("the destination answered HTTP 500")
    }))

  it.scopedLive("records an unreachable receiver", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator({ deliveryRetryDelays: [] })
      yield* simulator.registerDestination({ url: "http://127.0.0.1:9/unreachable" })

      yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      const attempts = yield* eventually(Effect.map(simulator.deliveries, (all) => all.length >= 1 ? all : undefined))

      expect(attempts[0]!.status).toBeNull()
      expect(attempts[0]!.error).toEqual(expect.any(String))
    }))

  it.scopedLive("retries a receiver that times out", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator({ deliveryTimeout: "100 millis", deliveryRetryDelays: ["10 millis"] })
      const silent = yield* receiver(() => "hang")
      yield* simulator.registerDestination({ url: silent.url, event_types: ["v2.extend.workflow_run.started"] })

      yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      const attempts = yield* eventually(Effect.map(simulator.deliveries, (all) => all.length >= 2 ? all : undefined))

      expect(attempts.map((attempt) => [attempt.attempt, attempt.status])).toEqual([[1, null], [2, null]])
      expect(attempts[0]!.error).toBe("no response within 100ms")
    }))

  it.scopedLive("rejects a tampered delivery in the official client", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator)
      const inbox = yield* receiver()
      const destination = yield* simulator.registerDestination({ url: inbox.url })

      yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      yield* eventually(Effect.sync(() => inbox.received.length >= 1 ? true : undefined))
      const received = inbox.received[0]!
      const tampered = received.body.replace("v2.extend.workflow_run.started", "v2.extend.workflow_run.failed")

      expect(() =>
        stripe.parseEventNotification(
          tampered,
          received.headers["stripe-signature"] as string,
          Redacted.value(destination.secret)
        )
      ).toThrow(Stripe.errors.StripeSignatureVerificationError)
    }))
})
