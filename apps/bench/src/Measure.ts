/**
 * Timing of one workload: concurrent callers, rounds, and the median, min and max over rounds.
 *
 * tinybench (6.x) drives the callers: in its `concurrency: "task"` mode it keeps `threshold`
 * calls of the task in flight until `iterations` calls have run, and it records every call's
 * latency with its percentiles. That is exactly "N concurrent writers", with a maintained,
 * widely used scheduler and statistics instead of a hand-made loop. tinybench's own throughput
 * figure is per call (1000 / latency), not the aggregate rate of N callers. So the aggregate
 * rate here is the number of calls over the cycle's wall time. The task's `beforeAll` and
 * `afterAll` hooks take that time, which leaves tinybench's statistics work out of it.
 */
import { Bench } from "tinybench"

/** Settings of one round of a workload. */
export interface LoadOptions {
  /** Calls in flight at once: the number of concurrent callers or writers. */
  readonly concurrency: number
  /** Calls per round. */
  readonly iterations: number
}

/** The figures of one round. */
export interface RoundSample {
  /** Completed calls per second of wall time, all callers together. */
  readonly callsPerSecond: number
  /** Median latency of one call, in milliseconds. */
  readonly p50Ms: number
  /** 99th percentile latency of one call, in milliseconds. */
  readonly p99Ms: number
}

/** Median, min and max of one figure over the rounds. */
export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
}

/** The summaries of a workload's figures over its rounds. */
export interface RoundsSummary {
  readonly rounds: number
  readonly callsPerSecond: Summary
  readonly p50Ms: Summary
  readonly p99Ms: Summary
}

/** Summarizes values by their median, min and max. */
export const summarize = (values: ReadonlyArray<number>): Summary => {
  if (values.length === 0) {
    throw new Error("Cannot summarize an empty list of measurements: run at least one round.")
  }
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! }
}

/** Summarizes round samples figure by figure. */
export const summarizeRounds = (samples: ReadonlyArray<RoundSample>): RoundsSummary => ({
  rounds: samples.length,
  callsPerSecond: summarize(samples.map((sample) => sample.callsPerSecond)),
  p50Ms: summarize(samples.map((sample) => sample.p50Ms)),
  p99Ms: summarize(samples.map((sample) => sample.p99Ms))
})

/**
 * Runs `call` `iterations` times with `concurrency` calls in flight and returns the round's
 * aggregate rate and latency percentiles. The first failing call rejects the round.
 */
export const runRound = async (
  name: string,
  options: LoadOptions,
  call: () => Promise<unknown>
): Promise<RoundSample> => {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new Error(`Invalid concurrency ${options.concurrency} for "${name}": use a positive integer.`)
  }
  if (!Number.isInteger(options.iterations) || options.iterations < 1) {
    throw new Error(`Invalid iterations ${options.iterations} for "${name}": use a positive integer.`)
  }
  const bench = new Bench({
    name,
    concurrency: "task",
    threshold: options.concurrency,
    iterations: options.iterations,
    // Zero leaves the iteration count as the only limit of a task-concurrent cycle.
    time: 0,
    warmup: false,
    throws: true
  })
  let startedAt = 0
  let endedAt = 0
  bench.add(name, call, {
    beforeAll: (mode) => {
      if (mode === "run") startedAt = performance.now()
    },
    afterAll: (mode) => {
      if (mode === "run") endedAt = performance.now()
    }
  })
  const [task] = await bench.run()
  const result = task?.result
  if (result === undefined || (result.state !== "completed")) {
    const reason = result?.state === "errored" ? result.error.message : `state ${result?.state ?? "missing"}`
    throw new Error(`Benchmark round "${name}" did not complete: ${reason}`)
  }
  const seconds = (endedAt - startedAt) / 1000
  return {
    callsPerSecond: result.latency.samplesCount / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99
  }
}
