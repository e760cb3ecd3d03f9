import { Projector } from "@workflow-runs/projector"
import { DefaultWorkflows, type Simulator } from "@workflow-runs/simulator"
import { Database } from "@workflow-runs/store"
import { Effect, Layer, Redacted } from "effect"
import { auditToken } from "../../support/harness.js"

/** The environment of a `serve` child process against `simulator` and the database at `databaseUrl`. */
export const serveEnv = (options: {
  readonly simulator: Simulator.Service
  readonly databaseUrl: Redacted.Redacted<string>
  readonly port: number
  readonly secret: string
  readonly instanceId?: string
  readonly reconcileInterval?: string
  readonly reconcileStaleAfter?: string
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
