/**
 * The benchmarks of the running service, which share one simulator process: invoking through the
 * live layer against the official client, webhook ingestion against a naive handler, and the
 * projector's memory under a long stream of notifications.
 */
import { type InvokeOptions, type InvokeResults, runInvokeBenchmark } from "./InvokeScenario.js"
import { type MemoryOptions, type MemoryResults, runMemoryBenchmark } from "./MemoryScenario.js"
import * as SimulatorProcess from "./SimulatorProcess.js"
import { runWebhookBenchmark, type WebhookOptions, type WebhookResults } from "./WebhookScenario.js"

/** The sizes of the service benchmarks in one mode. */
export interface ServiceSizes {
  readonly invoke: InvokeOptions
  readonly webhooks: WebhookOptions
  readonly memory: MemoryOptions
}

/** The results of the service benchmarks. */
export interface ServiceResults {
  readonly invoke?: InvokeResults | undefined
  readonly webhooks?: WebhookResults | undefined
  readonly memory?: MemoryResults | undefined
}

/** The service benchmarks a run includes. */
export interface ServiceSelection {
  readonly invoke: boolean
  readonly webhooks: boolean
  readonly memory: boolean
}

const everyService: ServiceSelection = { invoke: true, webhooks: true, memory: true }

const byCount = (one: number, sixteen: number, more: number) => (count: number): number => {
  if (count === 1) return one
  if (count <= 16) return sixteen
  return more
}

/** A few seconds per benchmark. */
export const quick: ServiceSizes = {
  invoke: { callers: [1, 16, 64], rounds: 3, callsPerRound: byCount(100, 300, 400), warmupCalls: 100 },
  webhooks: {
    connections: [1, 16, 64],
    rounds: 3,
    notificationsPerRound: byCount(40, 200, 300),
    warmupNotifications: 50
  },
  memory: { notifications: 1_500, batch: 100, warmupNotifications: 500, connections: 16 }
}

/** The sizes of the targets: 100,000 notifications for the memory slope. */
export const full: ServiceSizes = {
  invoke: { callers: [1, 16, 64], rounds: 5, callsPerRound: byCount(1_000, 4_000, 6_000), warmupCalls: 300 },
  webhooks: {
    connections: [1, 16, 64],
    rounds: 5,
    notificationsPerRound: byCount(300, 1_500, 2_000),
    warmupNotifications: 200
  },
  memory: { notifications: 100_000, batch: 2_000, warmupNotifications: 10_000, connections: 16 }
}

/** A few calls of each, for the smoke test. */
export const smoke: ServiceSizes = {
  invoke: { callers: [1, 4], rounds: 2, callsPerRound: byCount(8, 16, 16), warmupCalls: 2 },
  webhooks: { connections: [1, 4], rounds: 2, notificationsPerRound: byCount(4, 8, 8), warmupNotifications: 0 },
  memory: { notifications: 60, batch: 20, warmupNotifications: 20, connections: 4 }
}

/** Runs the service benchmarks against one simulator process and the server at `databaseUrl`. */
export const runServiceBenchmarks = async (
  databaseUrl: string,
  sizes: ServiceSizes,
  log: (line: string) => void,
  selection: ServiceSelection = everyService
): Promise<ServiceResults | undefined> => {
  if (!selection.invoke && !selection.webhooks && !selection.memory) return undefined
  const simulator = await SimulatorProcess.start()
  try {
    log(`Simulator at ${simulator.url} (process ${simulator.child.pid})`)
    const invoke = selection.invoke ? await runInvokeBenchmark(simulator, sizes.invoke, log) : undefined
    if (!selection.webhooks && !selection.memory) return { invoke }
    const source = await SimulatorProcess.eventSource(simulator)
    try {
      const webhooks = selection.webhooks
        ? await runWebhookBenchmark(databaseUrl, simulator, source, sizes.webhooks, log)
        : undefined
      const memory = selection.memory
        ? await runMemoryBenchmark(databaseUrl, simulator, source, sizes.memory, log)
        : undefined
      return { invoke, webhooks, memory }
    } finally {
      await source.close()
    }
  } finally {
    await simulator.child.stop()
  }
}
