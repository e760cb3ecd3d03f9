/**
 * The settings and results of the invoke benchmark's caller process. They are kept apart from
 * the simulator's modules, so the caller loads nothing but its contender.
 */
import type { RoundSample } from "./Measure.js"

/**
 * The ways of invoking a workflow that the benchmark compares: this project's live layer, the
 * official client, and a bare `node:http` request, whose rate is the most the simulator serves.
 */
export const invokeContenders = ["workflow-runs", "stripe", "node:http"] as const

/** One of {@link invokeContenders}. */
export type InvokeContender = (typeof invokeContenders)[number]

/** Settings of one caller process. */
export interface InvokeCallerSettings {
  readonly contender: InvokeContender
  readonly url: string
  readonly apiKey: string
  readonly apiVersion: string
  readonly workflowId: string
  readonly concurrency: number
  readonly warmupCalls: number
  readonly calls: number
}

/** The figures of one caller process: its round, and its peak memory. */
export interface InvokeCallerResult extends RoundSample {
  /** Peak resident set size of the caller process over its life, in bytes. */
  readonly peakRssBytes: number
  /** Largest V8 heap in use while the measured round ran, sampled every 5 ms, in bytes. */
  readonly peakHeapBytes: number
  /** User plus system CPU time of the caller process per measured call, in microseconds. */
  readonly cpuMicrosPerCall: number
}

/** The input parameters of call `index`, valid for Stripe's example workflow. */
export const inputParameters = (index: number): Record<string, unknown> => ({
  customer_id: `cus_bench${index}`,
  amount: 1000 + (index % 1000)
})
