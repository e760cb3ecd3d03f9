/**
 * The invoke benchmark: `invokeWorkflow` through the live layer against the official `stripe`
 * client, both invoking the simulator's workflow, at several counts of concurrent callers. Each
 * round runs in a new caller process, so the peak memory measured is one contender's alone, and
 * the simulator runs in a process of its own. A bare `node:http` caller measures the most the
 * simulator serves at each count, so a rate near it shows that the simulator, not the client, is the limit.
 */
import { Simulator } from "@workflow-runs/simulator"
import { builtScript, startNode } from "./internal/child.js"
import {
  type InvokeCallerResult,
  type InvokeCallerSettings,
  type InvokeContender,
  invokeContenders
} from "./InvokeContenders.js"
import { type RoundsSummary, summarize, summarizeRounds, type Summary } from "./Measure.js"
import { type SimulatorProcess, workflowId } from "./SimulatorProcess.js"

/** Settings of the invoke benchmark. */
export interface InvokeOptions {
  /** Counts of concurrent callers, for example `[1, 16, 64]`. */
  readonly callers: ReadonlyArray<number>
  /** Rounds per contender and caller count, each in a new process. */
  readonly rounds: number
  /** Measured calls per round at a caller count. */
  readonly callsPerRound: (callers: number) => number
  /** Calls before each measured round, in the same process, untimed. */
  readonly warmupCalls: number
}

/** The figures of one contender at one caller count. */
export interface InvokeFigure {
  readonly contender: InvokeContender
  readonly callers: number
  readonly callsPerRound: number
  readonly summary: RoundsSummary
  readonly peakRssBytes: Summary
  readonly peakHeapBytes: Summary
  /** CPU time of the caller process per call, in microseconds. */
  readonly cpuMicrosPerCall: Summary
}

/** The results of the invoke benchmark. */
export interface InvokeResults {
  readonly options: Omit<InvokeOptions, "callsPerRound"> & { readonly callsPerRound: Record<number, number> }
  readonly figures: ReadonlyArray<InvokeFigure>
}

const runCaller = async (settings: InvokeCallerSettings): Promise<InvokeCallerResult> => {
  const { child, value } = await startNode({
    name: `The ${settings.contender} caller`,
    script: builtScript("invokeCaller"),
    args: [JSON.stringify(settings)],
    stream: "stdout",
    ready: (line) => (line.startsWith("{") ? line : undefined),
    timeoutMs: 300_000
  })
  await child.stop()
  return JSON.parse(value) as InvokeCallerResult
}

/** Runs every contender at every caller count against the simulator, alternating rounds. */
export const runInvokeBenchmark = async (
  simulator: SimulatorProcess,
  options: InvokeOptions,
  log: (line: string) => void
): Promise<InvokeResults> => {
  const figures: Array<InvokeFigure> = []
  for (const callers of options.callers) {
    const results = new Map<InvokeContender, Array<InvokeCallerResult>>(invokeContenders.map((name) => [name, []]))
    for (let round = 1; round <= options.rounds; round++) {
      for (const contender of invokeContenders) {
        const result = await runCaller({
          contender,
          url: simulator.url,
          apiKey: simulator.apiKey,
          apiVersion: Simulator.apiVersion,
          workflowId,
          concurrency: callers,
          warmupCalls: options.warmupCalls,
          calls: options.callsPerRound(callers)
        })
        results.get(contender)!.push(result)
        log(
          `invoke ${callers} callers, round ${round}/${options.rounds}: ${contender} ${
            Math.round(result.callsPerSecond)
          } invokes/s, p99 ${result.p99Ms.toFixed(2)} ms`
        )
      }
    }
    for (const contender of invokeContenders) {
      const samples = results.get(contender)!
      figures.push({
        contender,
        callers,
        callsPerRound: options.callsPerRound(callers),
        summary: summarizeRounds(samples),
        peakRssBytes: summarize(samples.map((sample) => sample.peakRssBytes)),
        peakHeapBytes: summarize(samples.map((sample) => sample.peakHeapBytes)),
        cpuMicrosPerCall: summarize(samples.map((sample) => sample.cpuMicrosPerCall))
      })
    }
  }
  return {
    options: {
      ...options,
      callsPerRound: Object.fromEntries(options.callers.map((callers) => [callers, options.callsPerRound(callers)]))
    },
    figures
  }
}
