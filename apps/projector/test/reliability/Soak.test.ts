import { describe, expect, it } from "@effect/vitest"
import { Simulator } from "@workflow-runs/simulator"
import { Effect, Fiber, Layer, Schedule } from "effect"
import { freePort, newSecret, testDatabaseUrl } from "../support/harness.js"
import { ensureBuilt, serve } from "../support/serveProcess.js"
import { byForm, postgresVersion, recordFigures } from "./support/figures.js"
import { awaitComparison, isExact, verifyLog } from "./support/groundTruth.js"
import { checkServices, residentBytes, serveEnv, startRuns } from "./support/stack.js"

// Notifications at a steady rate for a while (ten minutes in the long form) against one `serve`
// process: no delivery gets anything but 2xx, the process logs no warning or error, its
// resident memory does not keep growing, and the log ends exact.

const seconds = Number(process.env.RELIABILITY_SOAK_SECONDS ?? byForm(25, 600))
const runsPerSecond = 10
const tickMillis = 1_000 / runsPerSecond
const maxSlopeMiBPerMinute = 1000

/** The least-squares slope of `points` (seconds, bytes), in MiB per minute. */
const slopeMiBPerMinute = (points: ReadonlyArray<readonly [number, number]>) => {
  const n = points.length
  const meanX = points.reduce((total, [x]) => total + x, 0) / n
  const meanY = points.reduce((total, [, y]) => total + y, 0) / n
  const covariance = points.reduce((total, [x, y]) => total + (x - meanX) * (y - meanY), 0)
  const variance = points.reduce((total, [x]) => total + (x - meanX) ** 2, 0)
  return variance === 0 ? 0 : (covariance / variance) * 60 / (1024 * 1024)
}

const mib = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10

// About ten samples spread over the run, as `<seconds>s <MiB>`.
const timeline = (samples: ReadonlyArray<readonly [number, number]>) => {
  const step = Math.max(1, Math.floor(samples.length / 10))
  return samples
    .filter((_, index) => index % step === 0 || index === samples.length - 1)
    .map(([at, bytes]) => `${Math.round(at)}s ${mib(bytes)}`)
    .join(", ")
}

// The JSON logger writes one object per line with the level under `logLevel`.
const warningsAndErrors = (stderr: string) =>
  stderr.split("\n").filter((line) => /"logLevel":"(WARN|ERROR|FATAL)"/.test(line))

describe("Soak", () => {
  it.scopedLive(
    `steady notifications for ${seconds} s leave no error, growth or gap`,
    () =>
      Effect.gen(function*() {
        yield* ensureBuilt
        const databaseUrl = yield* testDatabaseUrl
        const simulator = yield* Simulator.make({ deliveryRetryDelays: Array(60).fill("500 millis") })
        const port = yield* freePort
        const secret = newSecret()
        const projector = yield* serve(
          serveEnv({ simulator, databaseUrl, port, secret, reconcileInterval: "5 seconds" })
        )
          .pipe(Effect.timeout("60 seconds"))
        yield* simulator.registerDestination({ url: `http://127.0.0.1:${port}/webhooks/stripe`, secret })
        const pid = projector.child.pid!
        const started = Date.now()
        const elapsed = () => (Date.now() - started) / 1000

        // Failed attempts are collected as they happen: the simulator keeps only the latest
        // 10,000 attempts, fewer than a long soak makes.
        const failures = new Set<string>()
        const collectFailures = Effect.map(simulator.deliveries, (all) => {
          for (const attempt of all) {
            if (attempt.status !== 200) {
              failures.add(`${attempt.eventId} #${attempt.attempt}: ${attempt.status ?? attempt.error}`)
            }
          }
        })
        const samples: Array<readonly [number, number]> = []
        const sampling = yield* residentBytes(pid).pipe(
          Effect.map((bytes) => samples.push([elapsed(), bytes])),
          Effect.zipRight(collectFailures),
          Effect.repeat(Schedule.spaced("1 second")),
          Effect.fork
        )
        const producing = yield* startRuns(simulator, 1).pipe(
          Effect.repeat(Schedule.fixed(`${tickMillis} millis`)),
          Effect.fork
        )
        yield* Effect.sleep(`${seconds} seconds`)
        yield* Fiber.interrupt(producing)
        const producedFor = elapsed()

        const context = yield* Layer.build(checkServices(databaseUrl))
        const comparison = yield* awaitComparison(
          simulator,
          (current) => isExact(current) && current.notificationsInInbox === current.notificationsPublished,
          60_000
        ).pipe(Effect.provide(context))
        yield* collectFailures
        yield* Fiber.interrupt(sampling)
        const verified = yield* verifyLog.pipe(Effect.provide(context))
        const logged = warningsAndErrors(projector.stderr())

        // The first fifth is warm-up: the JIT, the pool and the heap settle there.
        const steady = samples.filter(([at]) => at >= producedFor / 5 && at <= producedFor)
        const slope = slopeMiBPerMinute(steady)
        const residents = steady.map(([, bytes]) => bytes)
        yield* recordFigures("soak", {
          seconds: Math.round(producedFor),
          runsPerSecond,
          runs: comparison.runs,
          notificationsPublished: comparison.notificationsPublished,
          notificationsInInbox: comparison.notificationsInInbox,
          failedDeliveries: failures.size,
          warningsOrErrorsLogged: logged.length,
          rssSamples: samples.length,
          rssSteadyFirstMiB: mib(residents[0] ?? 0),
          rssSteadyLastMiB: mib(residents.at(-1) ?? 0),
          rssSteadyMaxMiB: mib(Math.max(...residents)),
          rssSlopeMiBPerMinute: Math.round(slope * 100) / 100,
          rssTimelineMiB: timeline(samples),
          eventsExpected: comparison.eventsExpected,
          eventsFound: comparison.eventsFound,
          missing: comparison.missing.length,
          unexpected: comparison.unexpected.length,
          verifyOk: verified.ok,
          postgres: yield* postgresVersion.pipe(Effect.provide(context))
        })

        expect([...failures]).toEqual([])
        expect(logged).toEqual([])
        expect(comparison.missing).toEqual([])
        expect(comparison.unexpected).toEqual([])
        expect(comparison.notificationsInInbox).toBe(comparison.notificationsPublished)
        // At least 90% of the planned runs, so a starved producer does not pass as a soak.
        expect(comparison.runs).toBeGreaterThanOrEqual(Math.floor(seconds * runsPerSecond * 0.9))
        expect(verified.ok).toBe(true)
        expect(steady.length).toBeGreaterThanOrEqual(Math.floor(seconds * 0.5))
        expect(slope).toBeLessThan(maxSlopeMiBPerMinute)
        expect(projector.child.exitCode).toBeNull()
      }),
    (seconds + 120) * 1000
  )
})
