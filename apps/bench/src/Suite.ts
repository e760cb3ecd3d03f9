/**
 * The benchmark suite: its modes and one function that runs every benchmark and returns the
 * report.
 */
import type { AppendContender } from "./AppendContender.js"
import { type AppendOptions, runAppendBenchmark } from "./AppendScenario.js"
import { appendContenders } from "./contenders/index.js"
import * as Database from "./Database.js"
import * as Machine from "./Machine.js"
import { type ReadOptions, runReadBenchmark } from "./ReadScenario.js"
import type { BenchReport } from "./Report.js"
import type { RunLogFixture } from "./RunEventsTable.js"
import * as ServiceSuite from "./ServiceSuite.js"

/** The sizes of a run. */
export interface SuiteConfig {
  readonly mode: string
  readonly append: AppendOptions
  readonly reads: ReadOptions
  /** Invoking, webhook ingestion and the projector's memory; left out, they are not run. */
  readonly services?: ServiceSuite.ServiceSizes
}

// Every mode measures 1 and 16 writers on pools of 16 connections.
const config = (
  mode: string,
  append: Pick<AppendOptions, "rounds" | "callsPerRound" | "warmupCalls">,
  reads: ReadOptions
): SuiteConfig => ({ mode, append: { writers: [1, 16], poolSize: 16, ...append }, reads })

/** The default: every benchmark at sizes that finish in under a minute on two cores. */
export const quick: SuiteConfig = {
  ...config(
    "quick",
    { rounds: 5, callsPerRound: (writers) => (writers === 1 ? 150 : 600), warmupCalls: 40 },
    { sizes: [10_000, 100_000], pageSize: 1_000, rounds: 5, readsPerRound: 40 }
  ),
  services: ServiceSuite.quick
}

/** `--full`: more calls and rounds, and the read targets' own sizes (10,000 and 1,000,000 events). */
export const full: SuiteConfig = {
  ...config(
    "full",
    { rounds: 5, callsPerRound: (writers) => (writers === 1 ? 1_000 : 4_000), warmupCalls: 200 },
    { sizes: [10_000, 1_000_000], pageSize: 1_000, rounds: 5, readsPerRound: 200 }
  ),
  services: ServiceSuite.full
}

/** A few calls of everything, for the smoke test: checks that each benchmark runs, not its speed. */
export const smoke: SuiteConfig = {
  ...config(
    "smoke",
    { rounds: 2, callsPerRound: (writers) => (writers === 1 ? 4 : 32), warmupCalls: 2 },
    { sizes: [400, 800], pageSize: 100, rounds: 2, readsPerRound: 4 }
  ),
  services: ServiceSuite.smoke
}

/** Options of a run besides its sizes. */
export interface RunOptions {
  /** Append contenders; `Contenders.appendContenders` when left out. */
  readonly contenders?: ReadonlyArray<AppendContender>
  /** Source of the logs the read benchmark loads; the stand-in table when left out. */
  readonly logFixture?: RunLogFixture
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
    const append = await runAppendBenchmark(database.url, options.contenders ?? appendContenders, config.append, log)
    const reads = await runReadBenchmark(database.url, config.reads, log, options.logFixture)
    const services = config.services === undefined
      ? undefined
      : await ServiceSuite.runServiceBenchmarks(database.url, config.services, log)
    return {
      mode: config.mode,
      notice: options.notice,
      startedAt,
      durationSeconds: (performance.now() - started) / 1000,
      machine,
      append,
      reads,
      services
    }
  } finally {
    await database.release()
  }
}
