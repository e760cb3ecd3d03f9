/**
 * The simulator as a child process on 127.0.0.1, so the process under measurement shares its
 * CPU and memory with no server. Also the real thin events of the runs it created, collected
 * from its own webhook deliveries.
 */
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { type NodeChild, repositoryFile, startNode } from "./internal/child.js"
import { inputParameters } from "./InvokeContenders.js"

/** A running simulator process. */
export interface SimulatorProcess {
  readonly url: string
  readonly apiKey: string
  readonly child: NodeChild
}

/** The workflow every benchmark invokes: Stripe's example, whose runs succeed after 50 ms. */
export const workflowId = DefaultWorkflows.onboardCustomer

/** Starts the simulator's bin on a free port of 127.0.0.1. */
export const start = async (): Promise<SimulatorProcess> => {
  const { child, value } = await startNode({
    name: "The simulator",
    script: repositoryFile("packages/simulator/dist/bin.js"),
    args: ["--host", "127.0.0.1", "--port", "0"],
    stream: "stdout",
    ready: (line) => (line.startsWith("listening on ") ? line.slice("listening on ".length).trim() : undefined)
  })
  return { url: value, apiKey: Simulator.defaultApiKey, child }
}

const headers = (simulator: SimulatorProcess): Record<string, string> => ({
  authorization: `Bearer ${simulator.apiKey}`,
  "content-type": "application/json",
  "stripe-version": Simulator.apiVersion
})

const post = async (simulator: SimulatorProcess, path: string, body: unknown, extra: Record<string, string> = {}) => {
  const response = await fetch(`${simulator.url}${path}`, {
    method: "POST",
    headers: { ...headers(simulator), ...extra },
    body: JSON.stringify(body)
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`POST ${path} to the simulator answered ${response.status}: ${text}`)
  return JSON.parse(text) as Record<string, unknown>
}

/** One real thin event, as the simulator delivered it. */
export interface ThinEvent {
  readonly id: string
  readonly runId: string
  /** The exact body the simulator sent. */
  readonly payload: string
}

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

/** Creates runs and hands out their thin events. */
export interface EventSource {
  /**
   * Invokes `count` runs with `concurrency` requests in flight and returns the thin event of each
   * that the simulator delivered. The events are real: their ids, run ids and bodies are the
   * simulator's own.
   */
  readonly create: (count: number, concurrency?: number) => Promise<Array<ThinEvent>>
  readonly close: () => Promise<void>
}

/**
 * Registers a webhook destination served here for events of `eventType` (by default the end of a
 * successful run), once for the simulator's lifetime: a destination that stopped answering would
 * make the simulator retry every later delivery.
 */
export const eventSource = async (
  simulator: SimulatorProcess,
  options: { readonly eventType?: string; readonly timeoutMs?: number } = {}
): Promise<EventSource> => {
  const eventType = options.eventType ?? "v2.extend.workflow_run.succeeded"
  const timeoutMs = options.timeoutMs ?? 120_000
  const received = new Map<string, ThinEvent>()
  let waiting: { readonly runs: Set<string>; readonly done: () => void } | undefined
  const collector = createServer((request, response) => {
    void readBody(request).then((payload) => {
      const json = JSON.parse(payload) as { readonly id: string; readonly related_object: { readonly id: string } }
      received.set(json.related_object.id, { id: json.id, runId: json.related_object.id, payload })
      response.writeHead(200, { "content-type": "application/json" }).end("{}")
      if (waiting !== undefined && [...waiting.runs].every((run) => received.has(run))) waiting.done()
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve))
  const close = async () => {
    collector.closeAllConnections()
    await new Promise<void>((resolve) => collector.close(() => resolve()))
  }
  try {
    await post(simulator, `${Simulator.controlPrefix}/destinations`, {
      url: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`,
      event_types: [eventType]
    })
  } catch (error) {
    await close()
    throw error
  }
  let invoked = 0
  const create = async (count: number, concurrency = 16): Promise<Array<ThinEvent>> => {
    const runs: Array<string> = []
    let next = 0
    const invoke = async () => {
      while (next < count) {
        next++
        const index = invoked++
        const run = await post(simulator, `/v2/extend/workflows/${workflowId}/invoke`, {
          input_parameters: inputParameters(index)
        }, { "idempotency-key": `bench-${process.pid}-${index}` })
        runs.push(String(run.id))
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, invoke))
    const wanted = new Set(runs)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      new Promise<void>((resolve) => {
        waiting = { runs: wanted, done: resolve }
        if (runs.every((run) => received.has(run))) resolve()
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const missing = runs.filter((run) => !received.has(run)).length
          reject(
            new Error(
              `The simulator did not deliver the ${eventType} events of ${missing} of ${count} runs in ${timeoutMs} ms.`
            )
          )
        }, timeoutMs)
      })
    ]).finally(() => {
      clearTimeout(timer)
      waiting = undefined
    })
    const events = runs.map((run) => received.get(run)!)
    for (const run of runs) received.delete(run)
    return events
  }
  return { create, close }
}
