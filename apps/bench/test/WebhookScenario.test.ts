import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import Stripe from "stripe"
import type { NodeChild } from "../src/internal/child.js"
import type { ThinEvent } from "../src/SimulatorProcess.js"
import { fire, fireAndCheck, newWebhookSecret, type Receiver, sign } from "../src/WebhookScenario.js"

const event = (index: number): ThinEvent => {
  const id = `evt_test_bench${index}`
  const runId = `wfr_test_bench${index}`
  return {
    id,
    runId,
    payload: JSON.stringify({
      id,
      object: "v2.core.event",
      type: "v2.extend.workflow_run.succeeded",
      livemode: false,
      created: "2026-04-22T00:00:00.000Z",
      related_object: { id: runId, type: "v2.extend.workflow_run", url: `/v2/extend/workflow_runs/${runId}` }
    })
  }
}

// A server on 127.0.0.1 that responds to every request with `status`, closed with the scope.
const serverAnswering = (status: number) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ readonly url: string; readonly close: () => void }>((resolve) => {
        const server = createServer((request, response) => {
          request.resume()
          request.on("end", () => response.writeHead(status, { "content-type": "application/json" }).end("{}"))
        })
        server.listen(0, "127.0.0.1", () =>
          resolve({
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            close: () => {
              server.closeAllConnections()
              server.close()
            }
          }))
      })
    ),
    (server) => Effect.sync(server.close)
  )

describe("WebhookScenario", () => {
  it("sign makes signatures the official client accepts, one per body", () => {
    const secret = newWebhookSecret()
    expect(secret).toMatch(/^whsec_[\w-]{32}$/)
    const events = [event(1), event(2)]
    const signed = sign(events, secret)
    const stripe = new Stripe("sk_test_bench")
    const parsed = signed.map((notification) =>
      stripe.parseEventNotification(notification.body, notification.signature, secret)
    )
    expect(parsed.map((notification) => notification.id)).toEqual(["evt_test_bench1", "evt_test_bench2"])
    expect(new Set(signed.map((notification) => notification.signature)).size).toBe(2)
    expect(() => stripe.parseEventNotification(signed[0]!.body, signed[0]!.signature, newWebhookSecret())).toThrow()
  })

  it.scopedLive("fire sends each notification once and fails on an answer other than 2xx", () =>
    Effect.gen(function*() {
      const secret = newWebhookSecret()
      const accepting = yield* serverAnswering(200)
      const sample = yield* Effect.promise(() => fire(accepting.url, sign([event(1), event(2), event(3)], secret), 2))
      expect(sample.callsPerSecond).toBeGreaterThan(0)
      expect(sample.p99Ms).toBeGreaterThanOrEqual(sample.p50Ms)

      const failing = yield* serverAnswering(500)
      const error = yield* Effect.promise(() =>
        fire(failing.url, sign([event(1), event(2)], secret), 2).then(() => "sent", (cause: Error) => cause.message)
      )
      expect(error).toMatch(/got 2 answers other than 2xx/)
    }))

  it.scopedLive("fireAndCheck fails when the receiver wrote fewer rows than it was sent", () =>
    Effect.gen(function*() {
      const secret = newWebhookSecret()
      const server = yield* serverAnswering(200)
      let counts = 0
      const receiver: Receiver = {
        contender: "projector",
        url: server.url,
        child: {} as NodeChild,
        // One run event per notification, where the projector writes two: started and succeeded.
        count: () =>
          Promise.resolve(counts++ === 0 ? { notifications: 0, events: 0 } : { notifications: 2, events: 2 }),
        close: () => Promise.resolve()
      }
      const events = [event(1), event(2)]
      const error = yield* Effect.promise(() =>
        fireAndCheck(receiver, events, secret, 1).then(() => "checked", (cause: Error) => cause.message)
      )
      expect(error).toMatch(/recorded 2 notifications and 2 events for 2 notifications sent \(expected 2 and 4\)/)
    }))
})
