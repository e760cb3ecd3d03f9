import { describe, expect, it, layer } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import { AuditApi, Projector } from "@workflow-runs/projector"
import { DefaultWorkflows } from "@workflow-runs/simulator"
import { Workflows } from "@workflow-runs/stripe"
import { Effect, Layer, Redacted } from "effect"
import { auditToken, database, settledDeliveries, startStack, workflowsFor } from "./support/harness.js"
import { deliver, newEventId, thinRunEvent } from "./support/notifications.js"

const services = Projector.services.pipe(Layer.provideMerge(database))

// The value of the sample `name` with exactly `labels` in a Prometheus text page, 0 when absent.
const sampleOf = (page: string, name: string, labels: Record<string, string>): number => {
  const expected = Object.entries(labels).map(([key, value]) => `${key}="${value}"`).sort().join(",")
  for (const line of page.split("\n")) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match === null || match[1] !== name) continue
    if ((match[2] ?? "").split(",").filter((label) => label !== "").sort().join(",") === expected) {
      return Number(match[3])
    }
  }
  return 0
}

const get = (url: string, token: string | null = Redacted.value(auditToken)) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers: token === null ? {} : { authorization: `Bearer ${token}` } })
    const text = await response.text()
    return { status: response.status, text, json: () => JSON.parse(text) as Record<string, any> }
  })

describe("AuditApi", () => {
  it("compares tokens exactly", () => {
    expect(AuditApi.isAuthorized("Bearer secret", Redacted.make("secret"))).toBe(true)
    expect(AuditApi.isAuthorized("bearer secret", Redacted.make("secret"))).toBe(true)
    expect(AuditApi.isAuthorized("Bearer secre", Redacted.make("secret"))).toBe(false)
    expect(AuditApi.isAuthorized(undefined, Redacted.make("secret"))).toBe(false)
    expect(AuditApi.isAuthorized("Basic secret", Redacted.make("secret"))).toBe(false)
  })

  layer(services, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("serves history, search, totals and verify behind the token", () =>
      Effect.gen(function*() {
        const { simulator, url } = yield* startStack()
        const workflow = `wf_test_audit_${crypto.randomUUID().replaceAll("-", "")}`
        yield* simulator.defineWorkflow({ id: workflow })
        const runs = yield* Effect.all(
          [1, 2, 3].map((n) =>
            Workflows.invokeWorkflow(Ids.WorkflowId.make(workflow), { n }).pipe(Effect.provide(workflowsFor(simulator)))
          )
        )
        yield* settledDeliveries(simulator, 6)

        expect((yield* get(`${url}/audit/runs/${runs[0]!.id}`, null)).status).toBe(401)
        expect((yield* get(`${url}/audit/runs/${runs[0]!.id}`, "wrong")).status).toBe(401)

        const history = (yield* get(`${url}/audit/runs/${runs[0]!.id}`)).json()
        expect(history.run.status).toBe("succeeded")
        expect(history.events.map((event: { type: string }) => event.type)).toEqual(["RunStarted", "RunSucceeded"])
        expect((yield* get(`${url}/audit/runs/wfrun_test_none`)).status).toBe(404)

        const first = (yield* get(`${url}/audit/runs?workflow=${workflow}&limit=2`)).json()
        expect(first.items).toHaveLength(2)
        const second = (yield* get(`${url}/audit/runs?workflow=${workflow}&limit=2&after=${first.next}`)).json()
        expect(second.items).toHaveLength(1)
        expect(second.next).toBeNull()
        const ids = [...first.items, ...second.items].map((item: { runId: string }) => item.runId).sort()
        expect(ids).toEqual(runs.map((run) => run.id).sort())
        expect((yield* get(`${url}/audit/runs?limit=0`)).status).toBe(400)
        expect((yield* get(`${url}/audit/runs?from=yesterday`)).status).toBe(400)
        const tooFine = yield* get(`${url}/audit/runs?from=2026-05-01T10:00:00.1234567891Z`)
        expect(tooFine.status).toBe(400)
        expect(tooFine.json().error.message).toContain("with at most nine digits after the seconds")
        expect((yield* get(`${url}/audit/runs?after=garbage`)).status).toBe(400)
        const bogus = yield* get(`${url}/audit/runs?status=bogus`)
        expect(bogus.status).toBe(400)
        expect(bogus.json().error.message).toBe("status must be one of started, succeeded, failed, got \"bogus\"")
        expect((yield* get(`${url}/audit/runs?workflow=${workflow}&status=failed`)).json().items).toEqual([])

        const before = Date.now()
        const totals = (yield* get(`${url}/audit/totals`)).json()
        expect(Date.parse(totals.to)).toBeGreaterThanOrEqual(before)
        expect(Date.parse(totals.to)).toBeLessThanOrEqual(Date.now())
        expect(totals.totals).toContainEqual({ workflowId: workflow, status: "succeeded", runs: 3 })

        const verified = (yield* get(`${url}/audit/verify`)).json()
        expect(verified.ok).toBe(true)
        expect(verified.anchor).toMatch(/^wra1\./)
        const again = yield* get(`${url}/audit/verify?expect=${verified.anchor}`)
        expect([again.status, again.json().ok]).toEqual([200, true])
        expect((yield* get(`${url}/audit/verify?expect=wra1.bm90`)).status).toBe(400)
        expect(verified.compactAnchor).toMatch(/^wrc1\.\d+\.\d+\.[0-9a-f]{64}$/)
        const compact = yield* get(`${url}/audit/verify?expect=${verified.compactAnchor}`)
        expect([compact.status, compact.json().ok, compact.json().digestMismatch]).toEqual([200, true, null])
        const malformed = yield* get(`${url}/audit/verify?expect=wrc1.12.x`)
        expect(malformed.status).toBe(400)
        expect(malformed.text).toContain("is not a compact anchor")
      }).pipe(Effect.scoped))

    it.effect("rejects a from after to", () =>
      Effect.gen(function*() {
        const { url } = yield* startStack()
        const query = "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"
        for (const path of ["runs", "totals"]) {
          const reversed = yield* get(`${url}/audit/${path}?${query}`)
          expect(reversed.status, path).toBe(400)
          expect(reversed.json().error.message, path).toBe(
            "from \"2026-02-01T00:00:00Z\" is after to \"2026-01-01T00:00:00Z\", so no run can match: give the earlier time as from"
          )
        }
        const equal = yield* get(`${url}/audit/totals?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`)
        expect(equal.status).toBe(200)
      }).pipe(Effect.scoped))

    it.effect("rejects an unknown parameter", () =>
      Effect.gen(function*() {
        const { url } = yield* startStack()
        const cases = [
          ["runs?worklow=wf_1", "worklow", "use workflow, status, from, to, limit, after"],
          ["totals?limit=5", "limit", "use from, to"],
          ["verify?anchor=x", "anchor", "use expect"],
          ["runs/wfrun_missing?verbose=1", "verbose", "this endpoint takes none"]
        ] as const
        for (const [path, name, hint] of cases) {
          const response = yield* get(`${url}/audit/${path}`)
          expect(response.status, path).toBe(400)
          expect(response.json().error.message, path).toBe(`Unknown parameter ${JSON.stringify(name)}; ${hint}`)
        }
      }).pipe(Effect.scoped))

    it.effect("reports health and metrics", () =>
      Effect.gen(function*() {
        const { url } = yield* startStack()
        const health = yield* get(`${url}/healthz`, null)
        expect(health.status).toBe(200)
        expect(health.json()).toEqual({ status: "ok", database: "ok", stripe: "ok" })
        const metrics = yield* get(`${url}/metrics`, null)
        expect(metrics.status).toBe(200)
        expect(metrics.text).toContain("# TYPE workflow_runs_notifications_received_total counter")
      }).pipe(Effect.scoped))

    it.effect("counts the adapter's retries of a 500 in the metrics", () =>
      Effect.gen(function*() {
        const { secret, simulator, url } = yield* startStack({ register: false })
        const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
        const before = (yield* get(`${url}/metrics`, null)).text
        // Through the simulator's control API: the next retrieval of the run gets a 500.
        const injected = yield* Effect.promise(() =>
          fetch(`${simulator.url}/_simulator/faults`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              match: { method: "GET", path: `/v2/extend/workflow_runs/${run.id}` },
              response: { status: 500, body: { error: { type: "api_error", message: "Injected" } } }
            })
          })
        )
        expect(injected.status).toBe(200)

        const answer = yield* deliver(url, thinRunEvent({ eventId: newEventId(), runId: run.id }), { secret })
        const after = (yield* get(`${url}/metrics`, null)).text

        expect(answer.status).toBe(200)
        const delta = (name: string, labels: Record<string, string>) =>
          sampleOf(after, name, labels) - sampleOf(before, name, labels)
        const operation = "retrieve_workflow_run"
        expect(delta("workflow_runs_stripe_retries_total", { source: "adapter", operation })).toBe(1)
        expect(delta("workflow_runs_stripe_attempts_total", { operation, outcome: "500" })).toBe(1)
        expect(delta("workflow_runs_stripe_attempts_total", { operation, outcome: "ok" })).toBeGreaterThanOrEqual(1)
        expect(delta("workflow_runs_stripe_calls_total", { operation, outcome: "ok" })).toBeGreaterThanOrEqual(1)
        expect(delta("workflow_runs_stripe_attempt_latency_seconds_count", { operation })).toBeGreaterThanOrEqual(2)
      }).pipe(Effect.scoped))
  })
})
