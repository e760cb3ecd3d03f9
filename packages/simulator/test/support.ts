import { Simulator } from "@workflow-runs/simulator"
import * as Effect from "effect/Effect"
import { createServer, type IncomingHttpHeaders } from "node:http"
import Stripe from "stripe"

/** Starts a simulator for one test, with fast delivery retries. */
export const startSimulator = (options: Simulator.Options = {}) =>
  Simulator.make({ deliveryRetryDelays: ["50 millis", "100 millis", "150 millis"], ...options })

/** The official client pointed at `simulator`, with retries off unless `config` turns them on. */
export const stripeFor = (simulator: Simulator.Service, config: Partial<Stripe.StripeConfig> = {}) =>
  new Stripe(simulator.apiKey, {
    host: simulator.host,
    port: simulator.port,
    protocol: "http",
    apiVersion: Simulator.apiVersion as NonNullable<Stripe.StripeConfig["apiVersion"]>,
    maxNetworkRetries: 0,
    telemetry: false,
    ...config
  })

/** Runs a promise-returning call and fails the test with its rejection. */
export const call = <A>(evaluate: () => Promise<A>) => Effect.tryPromise({ try: evaluate, catch: (error) => error })

/** Runs a call that must reject and returns the rejection. */
export const rejection = <A>(evaluate: () => Promise<A>) =>
  Effect.flip(Effect.tryPromise({ try: evaluate, catch: (error) => error }))

/** Polls `check` every 20 ms until it returns a value, for at most `timeoutMs`. */
export const eventually = <A>(check: Effect.Effect<A | undefined, unknown>, timeoutMs = 5_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const value = yield* check
      if (value !== undefined) return value
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.dieMessage(`condition not met within ${timeoutMs} ms`)
  })

/** A request received by a {@link receiver}. */
export interface Received {
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/**
 * A webhook receiver on 127.0.0.1 that records every request and responds with the status that
 * `respond` returns for it (200 by default), or never responds when it returns `"hang"`.
 */
export const receiver = (respond: (received: Received, index: number) => number | "hang" = () => 200) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly received: Array<Received> }>((resume) => {
      const received: Array<Received> = []
      const server = createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const entry = { headers: request.headers, body: Buffer.concat(chunks).toString("utf8") }
          received.push(entry)
          const status = respond(entry, received.length - 1)
          if (status === "hang") return
          response.statusCode = status
          response.end()
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed(Object.assign({ url: `http://127.0.0.1:${port}/webhooks`, received }, { server })))
      })
    }),
    (handle) =>
      Effect.async<void>((resume) => {
        const server = (handle as unknown as { server: ReturnType<typeof createServer> }).server
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

/** The input parameters of Stripe's invoke example. */
export const exampleInput = {
  customer_id: "cus_SJjFsJvGPQKfH1",
  amount: 5000,
  notify: true,
  tags: ["signup", "promotion"]
}

/** A response read by {@link raw}. */
export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  readonly json: any
}

/** Sends a raw request to the simulator with the default key and version unless overridden. */
export const raw = (
  simulator: Simulator.Service,
  path: string,
  init: { readonly method?: string; readonly headers?: Record<string, string>; readonly body?: string | Uint8Array } =
    {}
) =>
  call(async (): Promise<RawResponse> => {
    const response = await fetch(`${simulator.url}${path}`, {
      method: init.method ?? "GET",
      headers: {
        authorization: `Bearer ${simulator.apiKey}`,
        "stripe-version": Simulator.apiVersion,
        ...init.headers
      },
      ...(init.body === undefined ? {} : { body: init.body })
    })
    const text = await response.text()
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers.entries()),
      text,
      json: text === "" ? undefined : JSON.parse(text)
    }
  })
