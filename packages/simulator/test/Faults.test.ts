import { describe, expect, it } from "@effect/vitest"
import { DefaultWorkflows, type Simulator } from "@workflow-runs/simulator"
import * as Effect from "effect/Effect"
import { call, eventually, raw, receiver, rejection, startSimulator, stripeFor } from "./support.js"

const invokePath = `/v2/extend/workflows/${DefaultWorkflows.anyInput}/invoke`

const invoke = (simulator: Simulator.Service, key: string) =>
  raw(simulator, invokePath, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify({ input_parameters: {} })
  })

const runIds = (simulator: Simulator.Service) =>
  Effect.map(
    raw(simulator, `/v2/extend/workflow_runs?workflow[0]=${DefaultWorkflows.anyInput}`),
    (response) => response.json.data.map((run: { readonly id: string }) => run.id) as ReadonlyArray<string>
  )

const eventTypes = (bodies: ReadonlyArray<{ readonly body: string }>) =>
  bodies.map((received) => JSON.parse(received.body).type as string)

describe("request faults", () => {
  it.scopedLive("injects a response into matching requests", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      yield* simulator.injectFault({
        match: { method: "GET", path: "/v2/extend/workflows/*" },
        count: 2,
        response: {
          status: 402,
          headers: { "x-injected": "yes", "stripe-should-retry": "false" },
          body: { error: { type: "card_error", code: "scripted", message: "Scripted by a test" } }
        }
      })
      const path = `/v2/extend/workflows/${DefaultWorkflows.anyInput}`

      const list = yield* raw(simulator, "/v2/extend/workflows")
      const first = yield* raw(simulator, path)
      const second = yield* raw(simulator, path)
      const third = yield* raw(simulator, path)

      expect(list.status).toBe(200)
      for (const injected of [first, second]) {
        expect(injected.status).toBe(402)
        expect(injected.headers["x-injected"]).toBe("yes")
        expect(injected.headers["stripe-should-retry"]).toBe("false")
        expect(injected.headers["request-id"]).toMatch(/^req_/)
        expect(injected.json).toEqual({
          error: { type: "card_error", code: "scripted", message: "Scripted by a test" }
        })
      }
      expect(third.status).toBe(200)
    }))

  it.scopedLive("drops the connection before an invoke commits", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      yield* simulator.injectFault({ match: { path: invokePath }, drop: "before_commit" })

      const failure = yield* Effect.flip(invoke(simulator, "dropped-before"))
      const runs = yield* runIds(simulator)
      const logged = (yield* simulator.requests).find((request) => request.method === "POST")

      expect(String(failure)).toContain("fetch failed")
      expect(runs).toEqual([])
      expect(logged).toMatchObject({ status: null, fault: "before_commit", idempotencyKey: "dropped-before" })
    }))

  it.scopedLive("lets the client retry a dropped invoke", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator, { maxNetworkRetries: 1 })
      yield* simulator.injectFault({ match: { path: invokePath }, drop: "before_commit" })

      const run = yield* call(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.anyInput, { input_parameters: {} })
      )
      const runs = yield* runIds(simulator)
      const logged = yield* raw(simulator, "/_simulator/requests")
      const posts = logged.json.data.filter((request: { readonly method: string }) => request.method === "POST")

      expect(runs).toEqual([run.id])
      expect(posts.map((request: { readonly fault: string | null }) => request.fault)).toEqual(["before_commit", null])
      expect(posts[0].status).toBeNull()
      expect(posts[1].idempotency_key).toBe(posts[0].idempotency_key)
    }))

  it.scopedLive("drops the connection after an invoke commits", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator, { maxNetworkRetries: 2 })
      yield* simulator.injectFault({ match: { path: invokePath }, drop: "after_commit" })

      const run = yield* call(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.anyInput, { input_parameters: {} })
      )
      const runs = yield* runIds(simulator)
      const posts = (yield* simulator.requests).filter((request) => request.method === "POST")

      // The replay returns the run as it is now, which may already be past `started`.
      expect(runs).toEqual([run.id])
      expect(posts.map((request) => request.fault)).toEqual(["after_commit", null])
      expect(posts[1]!.idempotencyKey).toBe(posts[0]!.idempotencyKey)
    }))

  it.scopedLive("adds latency to the next matching request", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      yield* simulator.injectFault({ match: { path: "/v2/extend/workflows" }, latency_ms: 300 })

      const started = Date.now()
      const slow = yield* raw(simulator, "/v2/extend/workflows")
      const slowMs = Date.now() - started
      const fastStarted = Date.now()
      yield* raw(simulator, "/v2/extend/workflows")
      const fastMs = Date.now() - fastStarted

      expect(slow.status).toBe(200)
      expect(slowMs).toBeGreaterThanOrEqual(290)
      expect(fastMs).toBeLessThan(290)
    }))

  it.scopedLive("arms and clears faults through the control API", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const arm = yield* raw(simulator, "/_simulator/faults", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ match: { path: "/v2/extend/workflow_runs" }, count: 5, response: { status: 503 } })
      })

      const injected = yield* raw(simulator, "/v2/extend/workflow_runs")
      yield* raw(simulator, "/_simulator/faults", { method: "DELETE" })
      const cleared = yield* raw(simulator, "/v2/extend/workflow_runs")

      expect(arm.status).toBe(200)
      expect(injected.status).toBe(503)
      expect(injected.json.error).toMatchObject({ type: "api_error" })
      expect(cleared.status).toBe(200)
    }))

  it.scopedLive("rejects an invalid fault", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const error = yield* Effect.flip(simulator.injectFault({ count: 0 } as never))
      const overHttp = yield* raw(simulator, "/_simulator/faults", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ response: { status: 99 } })
      })

      expect(error.reason).toBe("invalid")
      expect(overHttp.status).toBe(400)
      expect(overHttp.json.error.code).toBe("invalid_control_request")
    }))

  it.scopedLive("reports a scripted 500 without retries", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const stripe = stripeFor(simulator)
      yield* simulator.injectFault({ match: { method: "POST" }, response: { status: 500 } })

      const error = yield* rejection(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.anyInput, { input_parameters: {} })
      )

      expect(error).toMatchObject({ statusCode: 500, rawType: "api_error" })
      expect(yield* runIds(simulator)).toEqual([])
    }))
})

describe("delivery faults", () => {
  it.scopedLive("duplicates a delivery", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const inbox = yield* receiver()
      yield* simulator.registerDestination({ url: inbox.url })
      yield* simulator.injectDeliveryFault({ kind: "duplicate" })

      yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      yield* eventually(Effect.sync(() => inbox.received.length >= 3 ? true : undefined))
      const ids = inbox.received.map((received) => JSON.parse(received.body).id as string)
      // The sender logs an attempt after the receiver's response, so the log may lag the inbox.
      const duplicates = yield* eventually(Effect.map(simulator.deliveries, (attempts) => {
        const marked = attempts.filter((attempt) => attempt.fault === "duplicate")
        return marked.length >= 2 ? marked : undefined
      }))

      expect(eventTypes(inbox.received)).toEqual([
        "v2.extend.workflow_run.started",
        "v2.extend.workflow_run.started",
        "v2.extend.workflow_run.succeeded"
      ])
      expect(ids[0]).toBe(ids[1])
      expect(duplicates.map((attempt) => attempt.eventId)).toEqual([ids[0], ids[0]])
    }))

  it.scopedLive("reorders a delivery behind the next event", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const inbox = yield* receiver()
      yield* simulator.registerDestination({ url: inbox.url })
      yield* simulator.injectDeliveryFault({ kind: "reorder", delay_ms: 5_000 })

      yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      yield* eventually(Effect.sync(() => inbox.received.length >= 2 ? true : undefined))

      expect(eventTypes(inbox.received)).toEqual([
        "v2.extend.workflow_run.succeeded",
        "v2.extend.workflow_run.started"
      ])
    }))

  it.scopedLive("delays a delivery", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const inbox = yield* receiver()
      yield* simulator.registerDestination({ url: inbox.url })
      yield* simulator.injectDeliveryFault({ kind: "delay", delay_ms: 400 })
      const started = Date.now()

      yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      yield* eventually(Effect.sync(() => inbox.received.length >= 2 ? true : undefined))
      const delayed = yield* eventually(
        Effect.map(simulator.deliveries, (attempts) => attempts.find((attempt) => attempt.fault === "delay"))
      )

      expect(eventTypes(inbox.received)).toEqual([
        "v2.extend.workflow_run.succeeded",
        "v2.extend.workflow_run.started"
      ])
      expect(Date.parse(delayed.at) - started).toBeGreaterThanOrEqual(390)
    }))

  it.scopedLive("drops a delivery", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const inbox = yield* receiver()
      yield* simulator.registerDestination({ url: inbox.url })
      yield* simulator.injectDeliveryFault({ kind: "drop" })

      const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      yield* eventually(Effect.sync(() => inbox.received.length >= 1 ? true : undefined))
      yield* Effect.sleep("100 millis")
      const dropped = (yield* simulator.deliveries).find((attempt) => attempt.fault === "drop")

      expect(eventTypes(inbox.received)).toEqual(["v2.extend.workflow_run.succeeded"])
      expect(dropped).toMatchObject({ attempt: 0, status: null, eventType: "v2.extend.workflow_run.started" })
      expect(JSON.parse(inbox.received[0]!.body).related_object.id).toBe(run.id)
    }))

  it.scopedLive("limits a delivery fault to one destination", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const faulted = yield* receiver()
      const healthy = yield* receiver()
      const target = yield* simulator.registerDestination({ url: faulted.url })
      yield* simulator.registerDestination({ url: healthy.url })
      yield* simulator.injectDeliveryFault({ kind: "drop", count: 2, destination: target.id })

      yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      yield* eventually(Effect.sync(() => healthy.received.length >= 2 ? true : undefined))
      const dropped = yield* eventually(Effect.map(simulator.deliveries, (attempts) => {
        const marked = attempts.filter((attempt) => attempt.fault === "drop")
        return marked.length >= 2 ? marked : undefined
      }))

      expect(faulted.received).toEqual([])
      expect(dropped.map((attempt) => attempt.destination)).toEqual([target.id, target.id])
    }))

  it.scopedLive("arms a delivery fault through the control API", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const inbox = yield* receiver()
      yield* simulator.registerDestination({ url: inbox.url })

      const armed = yield* raw(simulator, "/_simulator/delivery_faults", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ kind: "drop", count: 2 })
      })
      yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      const log = yield* eventually(
        Effect.map(raw(simulator, "/_simulator/deliveries"), (response) =>
          response.json.data.length >= 2 ? response.json.data : undefined)
      )

      expect(armed.status).toBe(200)
      expect(log.map((attempt: any) =>
        attempt.fault
      )).toEqual(["drop", "drop"])
      expect(inbox.received.length).toBe(0)
    }))
})
