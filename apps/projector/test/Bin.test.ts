import { describe, expect, it } from "@effect/vitest"
import { Projector } from "@workflow-runs/projector"
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import { Database } from "@workflow-runs/store"
import { Effect, Fiber, Layer, Option, Redacted } from "effect"
import { eventually, freePort, historyTypes, newSecret, testDatabaseUrl } from "./support/harness.js"
import { deliver, newEventId, thinRunEvent } from "./support/notifications.js"
import { ensureBuilt, exitOf, serve } from "./support/serveProcess.js"

// Each check opens a new connection, so a refused one shows the listener is closed.
const health = (url: string) =>
  Effect.promise(() =>
    fetch(`${url}/healthz`, { headers: { connection: "close" } }).then(
      (response) => response.status,
      () => "refused" as const
    )
  )

describe("workflow-runs serve", () => {
  it.scopedLive(
    "finishes the in-flight request on SIGTERM, refuses new ones and exits 0",
    () =>
      Effect.gen(function*() {
        yield* ensureBuilt
        const databaseUrl = yield* testDatabaseUrl
        const simulator = yield* Simulator.make({})
        const port = yield* freePort
        const secret = newSecret()
        const auditToken = `bin-test-token-${newSecret()}`
        const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
        const { child, stderr, stdout } = yield* serve({
          DATABASE_URL: Redacted.value(databaseUrl),
          STRIPE_API_KEY: simulator.apiKey,
          STRIPE_API_BASE: simulator.url,
          STRIPE_WEBHOOK_SECRET: secret,
          AUDIT_API_TOKEN: auditToken,
          PORT: String(port),
          RECONCILE_INTERVAL: "1 hour"
        }).pipe(Effect.timeout("30 seconds"))
        const url = `http://127.0.0.1:${port}`
        expect(yield* health(url)).toBe(200)

        // The webhook reads the run from Stripe, which now responds after 1.5 seconds.
        yield* simulator.injectFault({
          match: { method: "GET", path: `/v2/extend/workflow_runs/${run.id}` },
          latency_ms: 1500
        })
        const inFlight = yield* deliver(url, thinRunEvent({ eventId: newEventId(), runId: run.id }), { secret }).pipe(
          Effect.fork
        )
        yield* Effect.sleep("400 millis")
        child.kill("SIGTERM")
        yield* eventually("the listener to close", Effect.map(health(url), (status) => status === "refused"), 1000)
        const pendingWhenClosed = Option.isNone(yield* Fiber.poll(inFlight))
        const answer = yield* inFlight.await.pipe(Effect.timeout("10 seconds"))
        const code = yield* exitOf(child).pipe(Effect.timeout("10 seconds"))

        expect(answer._tag).toBe("Success")
        expect(answer._tag === "Success" ? answer.value.status : 0).toBe(200)
        // The listener closed while the request was still waiting on Stripe.
        expect(pendingWhenClosed).toBe(true)
        expect(code).toBe(0)
        const types = yield* historyTypes(run.id).pipe(
          Effect.provide(
            Projector.services.pipe(Layer.provideMerge(Database.layer({ url: databaseUrl, maxConnections: 2 })))
          )
        )
        expect(types[0]).toBe("RunStarted")
        const log = stderr()
        expect(log).toContain("\"Serving\"")
        // Logs go to standard error only; standard output is for command output.
        expect(stdout()).toBe("")
        const password = new URL(Redacted.value(databaseUrl)).password
        for (const value of [secret, auditToken, simulator.apiKey, Redacted.value(databaseUrl)]) {
          expect(log).not.toContain(value)
        }
        if (password !== "") expect(log).not.toContain(password)
      }),
    120_000
  )
})
