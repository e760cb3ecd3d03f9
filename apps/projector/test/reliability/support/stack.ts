import { Projector } from "@workflow-runs/projector"
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import { Database } from "@workflow-runs/store"
import { Duration, Effect, Layer, Redacted } from "effect"
import { auditToken, freePort, newSecret } from "../../support/harness.js"
import { ensureBuilt, serve } from "../../support/serveProcess.js"

/** The environment of a `serve` child process against `simulator` and the database at `databaseUrl`. */
export const serveEnv = (options: {
  readonly simulator: Simulator.Service
  readonly databaseUrl: Redacted.Redacted<string>
  readonly port: number
  readonly secret: string
  readonly instanceId?: string | undefined
  readonly reconcileInterval?: string | undefined
  readonly reconcileStaleAfter?: string | undefined
}): Record<string, string> => ({
  DATABASE_URL: Redacted.value(options.databaseUrl),
  STRIPE_API_KEY: options.simulator.apiKey,
  STRIPE_API_BASE: options.simulator.url,
  STRIPE_WEBHOOK_SECRET: options.secret,
  AUDIT_API_TOKEN: Redacted.value(auditToken),
  PORT: String(options.port),
  INSTANCE_ID: options.instanceId ?? `reliability-${options.port}`,
  RECONCILE_INTERVAL: options.reconcileInterval ?? "1 hour",
  RECONCILE_STALE_AFTER: options.reconcileStaleAfter ?? "1 minute"
})

/** The projector's services over a small pool of the test's own, for checks while processes write. */
export const checkServices = (databaseUrl: Redacted.Redacted<string>) =>
  Projector.services.pipe(Layer.provideMerge(Database.layer({ url: databaseUrl, maxConnections: 4 })))

/**
 * Starts `runs` runs without invoke, every fourth of a workflow whose runs fail, so the burst has
 * `2 * runs` notifications: each run's start and, 50 ms later, its end.
 */
export const startRuns = (simulator: Simulator.Service, runs: number) =>
  Effect.forEach(
    Array.from({ length: runs }, (_, index) => index),
    (index) =>
      Effect.orDie(simulator.startRun({
        workflow: index % 4 === 3 ? DefaultWorkflows.alwaysFails : DefaultWorkflows.anyInput,
        trigger: "dashboard"
      }))
  )

/** The resident set size of process `pid` in bytes, read from `/proc` (Linux). */
export const residentBytes = (pid: number) =>
  Effect.tryPromise(async () => {
    const { readFile } = await import("node:fs/promises")
    const status = await readFile(`/proc/${pid}/status`, "utf8")
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status)
    if (match === null) throw new Error(`No VmRSS line in /proc/${pid}/status`)
    return Number(match[1]) * 1024
  }).pipe(Effect.orDie)

/**
 * Delays between a failed delivery's attempts: doubling from 250 ms to 2 s, then every 2 s for
 * a minute. Stripe backs off for days, but a test must finish. The doubling spreads the
 * redeliveries of a burst so they do not all arrive at once.
 */
export const redeliveryDelays = [250, 500, 1_000, ...Array(30).fill(2_000)].map((millis) => Duration.millis(millis))

/**
 * A simulator that delivers failed notifications again after {@link redeliveryDelays} and waits
 * up to 30 seconds for each response, and one `serve` child process registered as its webhook
 * destination.
 */
export const startServeStack = (options: {
  readonly databaseUrl: Redacted.Redacted<string>
  readonly reconcileInterval?: string
}) =>
  Effect.gen(function*() {
    yield* ensureBuilt
    const simulator = yield* Simulator.make({ deliveryRetryDelays: redeliveryDelays, deliveryTimeout: "30 seconds" })
    const port = yield* freePort
    const secret = newSecret()
    const env = serveEnv({
      simulator,
      databaseUrl: options.databaseUrl,
      port,
      secret,
      reconcileInterval: options.reconcileInterval
    })
    const projector = yield* serve(env).pipe(Effect.timeout("60 seconds"))
    const url = `http://127.0.0.1:${port}`
    yield* simulator.registerDestination({ url: `${url}/webhooks/stripe`, secret })
    return { simulator, env, projector, url }
  })
