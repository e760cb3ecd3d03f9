/**
 * One round of the invoke benchmark in a process of its own, so its peak memory is the
 * contender's alone: `node invokeCaller.js '<json settings>'` invokes the simulator's workflow
 * through one contender and prints one JSON line with the round's figures.
 */
import type Stripe from "stripe"
import { inputParameters, type InvokeCallerResult, type InvokeCallerSettings } from "../InvokeContenders.js"
import { runRound } from "../Measure.js"

const settings = JSON.parse(process.argv[2] ?? "{}") as InvokeCallerSettings

// Heap in use, sampled while the round runs: Node reports only the current value.
let peakHeapBytes = 0
const sampler = setInterval(() => {
  peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed)
}, 5)

interface Caller {
  readonly call: (index: number) => Promise<unknown>
  readonly close: () => Promise<void>
}

// Each contender's modules are imported only in its own process, so they count in its memory alone.
const makeCall = async (): Promise<Caller> => {
  switch (settings.contender) {
    case "workflow-runs": {
      const [{ Ids }, { Workflows }, Effect, ManagedRuntime, Redacted, Schema] = await Promise.all([
        import("@workflow-runs/core"),
        import("@workflow-runs/stripe"),
        import("effect/Effect"),
        import("effect/ManagedRuntime"),
        import("effect/Redacted"),
        import("effect/Schema")
      ])
      const workflowId = Schema.decodeSync(Ids.WorkflowId)(settings.workflowId)
      const runtime = ManagedRuntime.make(
        Workflows.layer({ apiKey: Redacted.make(settings.apiKey), apiBase: settings.url })
      )
      return {
        call: (index) =>
          runtime.runPromise(
            Workflows.invokeWorkflow(workflowId, inputParameters(index)).pipe(Effect.asVoid)
          ),
        close: () => runtime.dispose()
      }
    }
    case "stripe": {
      const { default: Stripe } = await import("stripe")
      const url = new URL(settings.url)
      const stripe = new Stripe(settings.apiKey, {
        host: url.hostname,
        port: Number(url.port),
        protocol: url.protocol === "https:" ? "https" : "http",
        apiVersion: settings.apiVersion as Stripe.LatestApiVersion
      })
      return {
        call: (index) =>
          stripe.v2.extend.workflows.invoke(settings.workflowId, { input_parameters: inputParameters(index) }),
        close: () => Promise.resolve()
      }
    }
    case "node:http": {
      const { Agent, request } = await import("node:http")
      const agent = new Agent({ keepAlive: true })
      const url = new URL(`/v2/extend/workflows/${encodeURIComponent(settings.workflowId)}/invoke`, settings.url)
      const bare = (index: number) =>
        new Promise<void>((resolve, reject) => {
          const body = JSON.stringify({ input_parameters: inputParameters(index) })
          const outgoing = request(url, {
            method: "POST",
            agent,
            headers: {
              authorization: `Bearer ${settings.apiKey}`,
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
              "stripe-version": settings.apiVersion,
              "idempotency-key": `bare-${process.pid}-${index}`
            }
          }, (response) => {
            const chunks: Array<Buffer> = []
            response.on("data", (chunk: Buffer) => chunks.push(chunk))
            response.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8")
              if (response.statusCode === 200) {
                JSON.parse(text)
                resolve()
              } else {
                reject(new Error(`The simulator responded with ${response.statusCode}: ${text}`))
              }
            })
          })
          outgoing.on("error", reject)
          outgoing.end(body)
        })
      return { call: bare, close: () => Promise.resolve(agent.destroy()) }
    }
  }
}

const main = async () => {
  const { call, close } = await makeCall()
  let index = 0
  await runRound(`${settings.contender} warmup`, {
    concurrency: settings.concurrency,
    iterations: settings.warmupCalls
  }, () => call(index++))
  peakHeapBytes = 0
  const cpuBefore = process.cpuUsage()
  const sample = await runRound(
    `${settings.contender} x${settings.concurrency}`,
    { concurrency: settings.concurrency, iterations: settings.calls },
    () => call(index++)
  )
  const cpu = process.cpuUsage(cpuBefore)
  clearInterval(sampler)
  await close()
  const result: InvokeCallerResult = {
    ...sample,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    peakHeapBytes,
    cpuMicrosPerCall: (cpu.user + cpu.system) / settings.calls
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exit(1)
})
