import { describe, expect, it, layer } from "@effect/vitest"
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { eventually, raw, startSimulator } from "./support.js"

const post = (simulator: Simulator.Service, path: string, body: unknown) =>
  raw(simulator, `${Simulator.controlPrefix}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body)
  })

const invoke = (simulator: Simulator.Service, workflow: string, input: unknown = {}) =>
  raw(simulator, `/v2/extend/workflows/${workflow}/invoke`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input_parameters: input })
  })

const statusOf = (simulator: Simulator.Service, runId: string) =>
  Effect.map(raw(simulator, `/v2/extend/workflow_runs/${runId}`), (response) => response.json.status as string)

describe("control API", () => {
  it.scopedLive("defines a workflow with declared inputs", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator({ workflows: [] })

      const defined = yield* post(simulator, "/workflows", {
        id: "wf_test_control_1",
        title: "Refund",
        inputs: [{ name: "charge", type: "string", required: true }]
      })
      const rejected = yield* invoke(simulator, "wf_test_control_1", {})
      const accepted = yield* invoke(simulator, "wf_test_control_1", { charge: "ch_1" })
      const invalid = yield* post(simulator, "/workflows", { inputs: [{ name: "x", type: "date" }] })
      const badId = yield* post(simulator, "/workflows", { id: "wf/with/slashes" })

      expect(defined.json).toMatchObject({
        id: "wf_test_control_1",
        object: "v2.extend.workflow",
        status: "active",
        title: "Refund",
        triggers: [{ type: "manual", manual: {} }]
      })
      expect(rejected.json.error.message).toContain("\"charge\" is required")
      expect(accepted.status).toBe(200)
      expect(invalid.status).toBe(400)
      expect(invalid.json.error.code).toBe("invalid_control_request")
      expect(badId.status).toBe(400)
      expect(badId.json.error.message).toContain("must not contain")
    }))

  it.scopedLive("scripts a workflow's next runs", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      yield* post(simulator, `/workflows/${DefaultWorkflows.anyInput}/script`, {
        outcome: "failed",
        delay_ms: 10,
        error_message: "scripted failure",
        next_runs: 1
      })

      const failing = yield* invoke(simulator, DefaultWorkflows.anyInput)
      const normal = yield* invoke(simulator, DefaultWorkflows.anyInput)
      const failed = yield* eventually(
        Effect.map(raw(simulator, `/v2/extend/workflow_runs/${failing.json.id}`), (response) =>
          response.json.status === "failed" ? response.json : undefined)
      )

      expect(failed.status_details.failed).toEqual({ error_message: "scripted failure" })
      expect(
        yield* eventually(
          Effect.map(statusOf(simulator, normal.json.id), (status) =>
            status === "succeeded" ? status : undefined)
        )
      ).toBe("succeeded")
    }))

  it.scopedLive("holds a run until scripted", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      yield* simulator.scriptWorkflow(DefaultWorkflows.anyInput, { outcome: "hold" })
      const run = yield* invoke(simulator, DefaultWorkflows.anyInput)

      yield* Effect.sleep("200 millis")
      const held = yield* statusOf(simulator, run.json.id)
      const settled = yield* post(simulator, `/runs/${run.json.id}/script`, { outcome: "succeeded", delay_ms: 0 })
      const finished = yield* eventually(
        Effect.map(statusOf(simulator, run.json.id), (status) => status === "succeeded" ? status : undefined)
      )

      expect(held).toBe("started")
      expect(settled.status).toBe(200)
      expect(finished).toBe("succeeded")
    }))

  it.scopedLive("rejects scripting a finished run", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      yield* eventually(
        Effect.map(simulator.retrieveRun(run.id), (current) => current.status === "succeeded" ? true : undefined)
      )

      const error = yield* Effect.flip(simulator.scriptRun(run.id, { outcome: "failed" }))
      const unknown = yield* post(simulator, "/runs/wfrun_test_unknown/script", {})

      expect(error.reason).toBe("invalid")
      expect(error.message).toContain("has already succeeded")
      expect(unknown.status).toBe(404)
    }))

  it.scopedLive("starts dashboard and event-triggered runs", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const dashboard = yield* post(simulator, "/runs", {
        workflow: DefaultWorkflows.paused,
        trigger: "dashboard",
        input_parameters: { note: "by hand" }
      })
      const triggered = yield* post(simulator, "/runs", {
        workflow: DefaultWorkflows.onCustomerCreated,
        trigger: "event_trigger",
        context: "acct_1Connected",
        event_id: "evt_1Customer",
        event_type: "customer.created"
      })
      const incomplete = yield* post(simulator, "/runs", {
        workflow: DefaultWorkflows.onCustomerCreated,
        trigger: "event_trigger"
      })

      expect(dashboard.json.trigger).toEqual({ manual: { input_parameters: { note: "by hand" } }, type: "manual" })
      expect(triggered.json.trigger).toEqual({
        event_trigger: { id: "evt_1Customer", context: "acct_1Connected", type: "customer.created" },
        type: "event_trigger"
      })
      expect(triggered.json.status).toBe("started")
      expect(incomplete.status).toBe(400)
    }))

  it.scopedLive("registers and rolls destinations over HTTP", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const registered = yield* post(simulator, "/destinations", { url: "http://127.0.0.1:9/hooks" })
      const rolled = yield* post(simulator, `/destinations/${registered.json.id}/roll_secret`, {})
      const unknown = yield* post(simulator, "/destinations/ed_unknown/roll_secret", {})
      const badUrl = yield* post(simulator, "/destinations", { url: "ftp://127.0.0.1/" })
      const badTypes = yield* post(simulator, "/destinations", { url: "http://127.0.0.1:9/", event_types: 7 })
      const invoked = yield* invoke(simulator, DefaultWorkflows.anyInput)

      expect(registered.json.secret).toMatch(/^whsec_/)
      expect(rolled.json.secrets).toEqual([rolled.json.secret, registered.json.secret])
      expect(unknown.status).toBe(404)
      expect(badUrl.status).toBe(400)
      expect(badUrl.json.error.message).toContain("url must be an absolute http or https URL")
      expect(badTypes.status).toBe(400)
      expect(invoked.status).toBe(200)
    }))

  it.scopedLive("holds invokes for the processing delay", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      yield* post(simulator, "/processing_delay", { delay_ms: 250 })

      const started = Date.now()
      const response = yield* invoke(simulator, DefaultWorkflows.anyInput)

      expect(response.status).toBe(200)
      expect(Date.now() - started).toBeGreaterThanOrEqual(240)
    }))
})

describe("deterministic mode", () => {
  it.scopedLive("generates the same ids from the same seed", () =>
    Effect.gen(function*() {
      const first = yield* startSimulator({ seed: "fixed-seed" })
      const second = yield* startSimulator({ seed: "fixed-seed" })

      const a = yield* invoke(first, DefaultWorkflows.anyInput)
      const b = yield* invoke(second, DefaultWorkflows.anyInput)

      expect(a.json.id).toBe(b.json.id)
      expect(a.headers["request-id"]).toBe(b.headers["request-id"])
      expect(a.json.id).toMatch(/^wfrun_test_61[0-9A-Za-z]{42}$/)
    }))

  it.scoped("takes times from the injected clock", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-04-08T14:33:27.076Z"))
      const simulator = yield* startSimulator({ seed: "clock", defaultScript: { delay_ms: 5_000 } })

      const run = yield* invoke(simulator, DefaultWorkflows.anyInput)
      const before = yield* statusOf(simulator, run.json.id)
      yield* TestClock.adjust("5 seconds")
      const after = yield* raw(simulator, `/v2/extend/workflow_runs/${run.json.id}`)

      expect(run.json.created).toBe("2026-04-08T14:33:27.076Z")
      expect(before).toBe("started")
      expect(after.json.status).toBe("succeeded")
      expect(after.json.status_transitions.succeeded_at).toBe("2026-04-08T14:33:32.076Z")
    }))
})

layer(Simulator.layer({ seed: "layer" }), { excludeTestServices: true })("Simulator.layer", (it) => {
  it.effect("serves on a free loopback port", () =>
    Effect.gen(function*() {
      const simulator = yield* Simulator.Simulator

      const response = yield* raw(simulator, `/v2/extend/workflows/${DefaultWorkflows.onboardCustomer}`)

      expect(simulator.url).toBe(`http://127.0.0.1:${simulator.port}`)
      expect(simulator.port).toBeGreaterThan(0)
      expect(response.json.id).toBe(DefaultWorkflows.onboardCustomer)
    }))
})

layer(
  Simulator.layerConfig(Config.map(Config.string("SIMULATOR_TEST_SEED").pipe(Config.withDefault("config")), (seed) => ({
    seed,
    apiKeys: ["sk_test_from_config"]
  }))),
  { excludeTestServices: true }
)("Simulator.layerConfig", (it) => {
  it.effect("takes its options from config", () =>
    Effect.gen(function*() {
      const simulator = yield* Simulator.Simulator

      const response = yield* raw(simulator, "/v2/extend/workflows")

      expect(simulator.apiKey).toBe("sk_test_from_config")
      expect(response.status).toBe(200)
    }))
})
