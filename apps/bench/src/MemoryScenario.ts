/**
 * The projector's resident memory under a long stream of notifications. A fresh `serve` process
 * receives batches of real, distinct notifications, and its resident set size is read after each
 * batch. A least-squares line through the samples after the warm-up gives the growth in bytes per
 * 1,000 notifications.
 */
import { residentBytes } from "./internal/child.js"
import type { EventSource, SimulatorProcess } from "./SimulatorProcess.js"
import { fireAndCheck, newWebhookSecret, startProjector } from "./WebhookScenario.js"

/** Settings of the memory benchmark. */
export interface MemoryOptions {
  /** Notifications in all, warm-up included. */
  readonly notifications: number
  /** Notifications per batch; the memory is sampled after each one. */
  readonly batch: number
  /** Notifications before the first sample that counts for the slope. */
  readonly warmupNotifications: number
  /** Connections of the load generator. */
  readonly connections: number
}

/** One sample: notifications handled so far and the process's resident set size then. */
export interface MemorySample {
  readonly notifications: number
  readonly rssBytes: number
}

/** The results of the memory benchmark. */
export interface MemoryResults {
  readonly options: MemoryOptions
  readonly samples: ReadonlyArray<MemorySample>
  /** Least-squares growth after the warm-up, in bytes per 1,000 notifications. */
  readonly slopeBytesPer1000: number
  /** The resident set size at the first sample after the warm-up and at the last one. */
  readonly rssAfterWarmupBytes: number
  readonly rssAtEndBytes: number
  readonly peakRssBytes: number
  readonly seconds: number
}

/**
 * Computes the least-squares slope of `y` over `x`. Fails on fewer than two points or when every
 * `x` is the same, where no line is defined.
 */
export const slope = (points: ReadonlyArray<{ readonly x: number; readonly y: number }>): number => {
  if (points.length < 2) {
    throw new Error(`A slope needs at least two samples, got ${points.length}: send more notifications per run.`)
  }
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / points.length
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / points.length
  const spreadX = points.reduce((sum, point) => sum + (point.x - meanX) ** 2, 0)
  if (spreadX === 0) throw new Error("A slope needs samples at different notification counts.")
  return points.reduce((sum, point) => sum + (point.x - meanX) * (point.y - meanY), 0) / spreadX
}

const checkOptions = (options: MemoryOptions): void => {
  for (const key of ["notifications", "batch", "connections"] as const) {
    if (!Number.isInteger(options[key]) || options[key] < 1) {
      throw new Error(`Invalid memory option ${key} ${options[key]}: use a positive integer.`)
    }
  }
  if (options.notifications - options.warmupNotifications < 2 * options.batch) {
    throw new Error(
      `The memory benchmark needs at least two batches after the warm-up: ${options.notifications} notifications with a warm-up of ${options.warmupNotifications} and batches of ${options.batch} leave fewer.`
    )
  }
}

/** Streams `options.notifications` notifications into a fresh projector and samples its memory. */
export const runMemoryBenchmark = async (
  databaseUrl: string,
  simulator: SimulatorProcess,
  source: EventSource,
  options: MemoryOptions,
  log: (line: string) => void
): Promise<MemoryResults> => {
  checkOptions(options)
  const secret = newWebhookSecret()
  const projector = await startProjector(databaseUrl, simulator, source, secret)
  try {
    const started = performance.now()
    const samples: Array<MemorySample> = [{ notifications: 0, rssBytes: await residentBytes(projector.child.pid) }]
    let sent = 0
    while (sent < options.notifications) {
      const size = Math.min(options.batch, options.notifications - sent)
      const events = await source.create(size)
      await fireAndCheck(projector, events, secret, options.connections)
      sent += size
      samples.push({ notifications: sent, rssBytes: await residentBytes(projector.child.pid) })
      if (samples.length % 10 === 0 || sent === options.notifications) {
        log(`memory: ${sent} notifications, projector RSS ${(samples.at(-1)!.rssBytes / 2 ** 20).toFixed(1)} MiB`)
      }
    }
    const measured = samples.filter((sample) => sample.notifications >= options.warmupNotifications)
    return {
      options,
      samples,
      slopeBytesPer1000: slope(measured.map((sample) => ({ x: sample.notifications, y: sample.rssBytes }))) * 1000,
      rssAfterWarmupBytes: measured[0]!.rssBytes,
      rssAtEndBytes: samples.at(-1)!.rssBytes,
      peakRssBytes: Math.max(...samples.map((sample) => sample.rssBytes)),
      seconds: (performance.now() - started) / 1000
    }
  } finally {
    await projector.close()
  }
}
