/**
 * The benchmark suite: its modes and one function that runs every benchmark and returns the
 * report.
 */
import type { AppendContender } from "./AppendContender.js"
import { type AppendOptions, runAppendBenchmark } from "./AppendScenario.js"
import { appendContenders } from "./contenders/index.js"
import * as Database from "./Database.js"
import { type GrowthOptions, runGrowthBenchmark } from "./GrowthScenario.js"
import * as Machine from "./Machine.js"
import type { BenchReport } from "./Report.js"
import * as ServiceSuite from "./ServiceSuite.js"

/** The sizes of a run. */
export interface SuiteConfig {
  readonly mode: string
  readonly append: AppendOptions
  readonly growth: GrowthOptions
  /** Invoking, webhook ingestion and the projector's memory; left out, they are not run. */
  readonly services?: ServiceSuite.ServiceSizes
}

// Every mode measures 1 and 16 writers on pools of 16 connections.
const config = (
  mode: string,
  append: Pick<AppendOptions, "rounds" | "callsPerRound" | "warmupCalls">,
  growth: GrowthOptions
): SuiteConfig => ({ mode, append: { writers: [1, 16], poolSize: 16, ...append }, growth })

/**
 * The default: every benchmark at sizes that finish in a few minutes on two cores. The growth
 * logs contain 10,000 and 100,000 events, and the rebuild replays the smaller one once.
 */
export const quick: SuiteConfig = {
  ...config(
    "quick",
    // At 16 writers a round of 600 calls lasted about 0.2 s, so its start and end moved the rate
    // by several percent. At 1 writer, 150 calls left the 10 ms ticks of /proc in 67 µs steps.
    // The store's rate at 16 writers follows the disk's flush latency, and its rounds of one run
    // spread from 6,500 to 8,700 appends/s, so the median takes 9 rounds. Each connection plans
    // an append function's statements on its first calls, so 200 calls warm 16 connections up,
    // where 40 did not.
    { rounds: 9, callsPerRound: (writers) => (writers === 1 ? 500 : 2_000), warmupCalls: 200 },
    {
      sizes: [10_000, 100_000],
      pageSize: 1_000,
      searchWindowRuns: 2_000,
      searchPageSize: 50,
      rounds: 5,
      callsPerRound: 20,
      rebuild: { size: 10_000, rounds: 1, batchSize: 1_000 }
    }
  ),
  services: ServiceSuite.quick
}

/**
 * `--full`: more calls and rounds, and the growth targets' own sizes (10,000 and 1,000,000
 * events); the rebuild replays the 1,000,000-event log once, which takes minutes.
 */
export const full: SuiteConfig = {
  ...config(
    "full",
    { rounds: 9, callsPerRound: (writers) => (writers === 1 ? 1_000 : 4_000), warmupCalls: 400 },
    {
      sizes: [10_000, 1_000_000],
      pageSize: 1_000,
      searchWindowRuns: 2_000,
      searchPageSize: 50,
      rounds: 5,
      callsPerRound: 100,
      rebuild: { size: 1_000_000, rounds: 1, batchSize: 1_000 }
    }
  ),
  services: ServiceSuite.full
}

/** A few calls of everything, for the smoke test: checks that each benchmark runs, not its speed. */
export const smoke: SuiteConfig = {
  ...config(
    "smoke",
    { rounds: 2, callsPerRound: (writers) => (writers === 1 ? 4 : 32), warmupCalls: 2 },
    {
      sizes: [400, 800],
      pageSize: 100,
      searchWindowRuns: 100,
      searchPageSize: 2,
      rounds: 2,
      callsPerRound: 3,
      rebuild: { size: 400, rounds: 1, batchSize: 100 }
    }
  ),
  services: ServiceSuite.smoke
}

/** The benchmarks a run can be limited to with `--only`. */
export const parts = ["append", "growth", "invoke", "webhooks", "memory"] as const

/** One benchmark of the suite; `growth` includes the projection rebuild. */
export type Part = (typeof parts)[number]

/**
 * Reads the comma-separated value of `--only`. Throws an error that names the value and the
 * accepted names when it is empty or names an unknown benchmark.
 */
export const parseOnly = (text: string): ReadonlySet<Part> => {
  const names = text.split(",").map((name) => name.trim()).filter((name) => name !== "")
  const unknown = names.filter((name) => !(parts as ReadonlyArray<string>).includes(name))
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(
      `Invalid --only value "${text}": use a comma-separated list of ${parts.join(", ")}, such as --only growth,memory.`
    )
  }
  return new Set(names as ReadonlyArray<Part>)
}

/** Options of a run besides its sizes. */
export interface RunOptions {
  /** The benchmarks to run; every one when left out. */
  readonly only?: ReadonlySet<Part> | undefined
  /** Append contenders; `Contenders.appendContenders` when left out. */
  readonly contenders?: ReadonlyArray<AppendContender>
  readonly notice?: string | undefined
  readonly log?: (line: string) => void
  readonly environment?: NodeJS.ProcessEnv
}

/** Runs every benchmark of `config` against `DATABASE_URL` or an embedded server. */
export const run = async (config: SuiteConfig, options: RunOptions = {}): Promise<BenchReport> => {
  const log = options.log ?? (() => undefined)
  const startedAt = new Date()
  const started = performance.now()
  const database = await Database.acquire(options.environment)
  try {
    log(`PostgreSQL ${database.serverVersion} (${database.origin})`)
    const machine = await Machine.describe({
      version: database.serverVersion,
      origin: database.origin,
      settings: database.serverSettings
    })
    const runs = (part: Part) => options.only === undefined || options.only.has(part)
    const append = runs("append")
      ? await runAppendBenchmark(database.url, options.contenders ?? appendContenders, config.append, log)
      : undefined
    const { growth, rebuild } = runs("growth")
      ? await runGrowthBenchmark(database.url, config.growth, log)
      : { growth: undefined, rebuild: undefined }
    const services = config.services === undefined
      ? undefined
      : await ServiceSuite.runServiceBenchmarks(database.url, config.services, log, {
        invoke: runs("invoke"),
        webhooks: runs("webhooks"),
        memory: runs("memory")
      })
    return {
      mode: config.mode,
      only: options.only === undefined ? undefined : parts.filter((part) => options.only!.has(part)),
      notice: options.notice,
      startedAt,
      durationSeconds: (performance.now() - started) / 1000,
      machine,
      append,
      growth,
      rebuild,
      services
    }
  } finally {
    await database.release()
  }
}
