import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Schedule } from "effect"
import { testDatabaseUrl } from "../support/harness.js"
import { byForm, recordFigures } from "./support/figures.js"
import { settle } from "./support/groundTruth.js"
import { residentBytes, startRuns, startServeStack } from "./support/stack.js"

// Notifications at a steady rate for a while (ten minutes in the long form) against one `serve`
// process: no delivery gets anything but 2xx, the process logs no warning or error, its
// resident memory does not keep growing, and the log ends exact.

const seconds = Number(process.env.RELIABILITY_SOAK_SECONDS ?? byForm(25, 600))
const runsPerSecond = 5
const tickMillis = 1_000 / runsPerSecond
// The short form only catches a gross leak, because in 25 seconds the heap still grows toward
// its steady size. The long form's bound is about 1 KiB per notification at 10 notifications a
// second. The ceiling holds in both forms.
const maxSlopeMiBPerMinute = byForm(200, 0.6)
const maxResidentMiB = 400

/** Computes the least-squares slope of `points` (seconds, bytes), in MiB per minute. */
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
    `steady load for ${seconds} s stays clean`,
    () =>
      Effect.gen(function*() {
        const databaseUrl = yield* testDatabaseUrl
        const { projector, simulator } = yield* startServeStack({ databaseUrl, reconcileInterval: "5 seconds" })
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

        const { comparison, figures, settledAt, verified } = yield* settle(simulator, databaseUrl, {
          timeoutMs: 120_000
        })
        const drainedAfterMs = Math.round(settledAt - started - producedFor * 1000)
        yield* collectFailures
        yield* Fiber.interrupt(sampling)
        const logged = warningsAndErrors(projector.stderr())

        // The first fifth is warm-up: the JIT, the pool and the heap settle there.
        const steady = samples.filter(([at]) => at >= producedFor / 5 && at <= producedFor)
        const slope = slopeMiBPerMinute(steady)
        const residents = steady.map(([, bytes]) => bytes)
        yield* recordFigures("soak", {
          seconds: Math.round(producedFor),
          runsPerSecond,
          runs: comparison.runs,
          drainedAfterMs,
          failedDeliveries: failures.size,
          warningsOrErrorsLogged: logged.length,
          rssSamples: samples.length,
          rssSteadyFirstMiB: mib(residents[0] ?? 0),
          rssSteadyLastMiB: mib(residents.at(-1) ?? 0),
          rssSteadyMaxMiB: mib(Math.max(...residents)),
          rssSlopeMiBPerMinute: Math.round(slope * 100) / 100,
          rssTimelineMiB: timeline(samples),
          ...figures
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
        expect(mib(Math.max(...samples.map(([, bytes]) => bytes)))).toBeLessThan(maxResidentMiB)
        expect(projector.child.exitCode).toBeNull()
      }),
    (seconds + 180) * 1000
  )
})
