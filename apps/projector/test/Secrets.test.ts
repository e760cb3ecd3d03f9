import { describe, expect, it } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import { Workflows } from "@workflow-runs/stripe"
import { Effect, Redacted } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { connect, createServer, type Server, type Socket } from "node:net"
import { bin, ensureBuilt } from "./support/bin.js"
import { eventually, freePort, settledDeliveries, testDatabaseUrl, workflowsFor } from "./support/harness.js"
import {
  markedSecrets,
  marker,
  postNotification,
  type Reply,
  secretsIn,
  send,
  sign,
  thinEvent
} from "./support/hostile.js"
import { newEventId } from "./support/notifications.js"

interface Serve {
  readonly child: ChildProcess
  /** Everything the process wrote to standard output and standard error so far. */
  readonly output: () => string
  /** The exit code, or null while it runs. */
  readonly exited: Promise<number | null>
}

// Starts `workflow-runs serve` with JSON logs and resolves once it serves or has exited.
const serve = (env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.async<Serve>((resume) => {
      const child = spawn(process.execPath, [bin, "serve"], {
        env: { PATH: process.env.PATH ?? "", LOG_FORMAT: "json", RECONCILE_INTERVAL: "1 second", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      let settled = false
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve))
      const served: Serve = { child, output: () => output, exited }
      const settle = () => {
        if (settled) return
        settled = true
        resume(Effect.succeed(served))
      }
      const read = (chunk: Buffer) => {
        output += chunk.toString("utf8")
        if (output.includes("\"Serving\"")) settle()
      }
      child.stdout!.on("data", read)
      child.stderr!.on("data", read)
      void exited.then(settle)
    }),
    ({ child }) =>
      Effect.promise(async () => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise((resolve) => child.once("exit", resolve))
        child.kill("SIGKILL")
        await exited
      })
  )

/**
 * A TCP proxy on 127.0.0.1 to `target`, so a test can take the database away from a running
 * process without touching the server: `cut` closes every connection and stops listening.
 */
const tcpProxy = (target: URL) =>
  Effect.acquireRelease(
    Effect.async<{ readonly port: number; readonly cut: () => void }>((resume) => {
      const sockets = new Set<Socket>()
      const server: Server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname)
        for (const socket of [client, upstream]) {
          sockets.add(socket)
          socket.on("close", () => sockets.delete(socket))
          socket.on("error", () => socket.destroy())
        }
        client.pipe(upstream)
        upstream.pipe(client)
        client.on("close", () => upstream.destroy())
        upstream.on("close", () => client.destroy())
      })
      const cut = () => {
        server.close()
        for (const socket of sockets) socket.destroy()
      }
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        resume(Effect.succeed({ port: typeof address === "object" && address !== null ? address.port : 0, cut }))
      })
    }),
    ({ cut }) => Effect.sync(cut)
  )

// Stops serve with SIGTERM and checks that neither its output nor any reply contains a secret.
const stopAndCheck = (running: Serve, replies: ReadonlyArray<Reply>, secrets: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    running.child.kill("SIGTERM")
    yield* Effect.promise(() => running.exited)
    const output = running.output()
    for (const reply of replies) {
      expect(secretsIn(`${JSON.stringify(reply.headers)}\n${reply.text}`, secrets)).toEqual([])
    }
    expect(secretsIn(output, secrets)).toEqual([])
    return output
  })

describe("Secrets", () => {
  it.scopedLive(
    "no secret reaches a response or a log line of serve",
    () =>
      Effect.gen(function*() {
        yield* ensureBuilt
        const secrets = markedSecrets()
        const databaseUrl = Redacted.value(yield* testDatabaseUrl)
        const databasePassword = new URL(databaseUrl).password
        const simulator = yield* Simulator.make({ apiKeys: [secrets.apiKey] })
        const proxy = yield* tcpProxy(new URL(databaseUrl))
        const proxied = new URL(databaseUrl)
        proxied.port = String(proxy.port)
        const port = yield* freePort
        const url = `http://127.0.0.1:${port}`
        const secretValues = [
          secrets.apiKey,
          secrets.webhookSecret,
          secrets.auditToken,
          ...(databasePassword === "" ? [] : [decodeURIComponent(databasePassword)])
        ]
        const replies: Array<Reply> = []
        const record = (reply: Reply) => {
          replies.push(reply)
          return reply
        }

        const running = yield* serve({
          DATABASE_URL: proxied.toString(),
          STRIPE_API_KEY: secrets.apiKey,
          STRIPE_API_BASE: simulator.url,
          STRIPE_WEBHOOK_SECRET: secrets.webhookSecret,
          AUDIT_API_TOKEN: secrets.auditToken,
          PORT: String(port)
        })
        expect(running.output()).toContain("\"Serving\"")

        // The ordinary path: signed deliveries recorded, the audit API read with the token.
        yield* simulator.registerDestination({ url: `${url}/webhooks/stripe`, secret: secrets.webhookSecret })
        const run = yield* Workflows.invokeWorkflow(Ids.WorkflowId.make(DefaultWorkflows.anyInput), { n: 1 }).pipe(
          Effect.provide(workflowsFor(simulator))
        )
        const deliveries = yield* settledDeliveries(simulator, 2)
        expect(deliveries.map((attempt) => attempt.status)).toEqual([200, 200])
        const token = { authorization: `Bearer ${secrets.auditToken}` }
        const history = record(
          yield* Effect.promise(() => send(url, { path: `/audit/runs/${run.id}`, headers: token }))
        )
        expect(history.status).toBe(200)

        // Error paths of every route, with the secrets in the request where a mistake could echo them.
        const body = JSON.stringify(thinEvent(newEventId(), run.id))
        const flipped = `${secrets.auditToken.slice(0, -1)}x`
        const probes: ReadonlyArray<() => Promise<Reply>> = [
          () => postNotification(url, body, undefined),
          () => postNotification(url, body, `t=${secrets.webhookSecret},v1=${secrets.apiKey}`),
          () => postNotification(url, body, sign(body, `${secrets.webhookSecret}x`)),
          () => postNotification(url, body, sign(body, secrets.webhookSecret, 1)),
          () =>
            postNotification(
              url,
              `{"object":"v2.core.event","x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
              undefined
            ),
          () =>
            postNotification(
              url,
              `${body}${" ".repeat(1024 * 1024)}`,
              sign(`${body}${" ".repeat(1024 * 1024)}`, secrets.webhookSecret)
            ),
          () => send(url, { path: "/audit/runs", headers: { authorization: `Bearer ${flipped}` } }),
          () => send(url, { path: "/audit/runs", headers: { authorization: `Basic ${secrets.auditToken}` } }),
          () => send(url, { path: `/audit/runs?workflow=${encodeURIComponent(secrets.auditToken)}/x`, headers: token }),
          () => send(url, { path: `/audit/runs?after=${encodeURIComponent(secrets.webhookSecret)}`, headers: token }),
          () => send(url, { path: `/audit/runs?from=${encodeURIComponent(secrets.auditToken)}`, headers: token }),
          () => send(url, { path: "/audit/verify?expect=wra1.x", headers: token }),
          () => send(url, { path: "/metrics" }),
          () => send(url, { path: "/healthz" })
        ]
        for (const probe of probes) record(yield* Effect.promise(probe))
        // The header quoted in the rejection is the sender's own, with the secret it sent redacted.
        expect(JSON.parse(replies[2]!.text).error.message).toContain("got \"<redacted>\"")
        expect(replies.map((reply) => reply.status)).toEqual([
          200,
          400,
          400,
          400,
          400,
          400,
          413,
          401,
          401,
          400,
          400,
          400,
          400,
          200,
          200
        ])

        // Stripe rejects the key: the simulator returns 401 to a webhook's retrieve.
        yield* simulator.injectFault({
          match: { method: "GET", path: "/v2/extend/workflow_runs/*" },
          count: 1,
          response: {
            status: 401,
            body: {
              error: {
                type: "invalid_request_error",
                code: "api_key_invalid",
                message: "Invalid API key provided: sk_test_****_key."
              }
            }
          }
        })
        const unauthorized = record(
          yield* Effect.promise(() => postNotification(url, body, sign(body, secrets.webhookSecret)))
        )
        expect(unauthorized.status).toBe(503)

        // The database goes away while serve runs: every route that needs it responds with 503.
        proxy.cut()
        const other = JSON.stringify(thinEvent(newEventId(), run.id))
        const down = [
          record(yield* Effect.promise(() => postNotification(url, other, sign(other, secrets.webhookSecret)))),
          record(yield* Effect.promise(() => send(url, { path: "/audit/runs", headers: token }))),
          record(yield* Effect.promise(() => send(url, { path: "/healthz" })))
        ]
        expect(down.map((reply) => reply.status)).toEqual([503, 503, 503])
        // The reconciler runs every second, so its failures while the database is away are in the
        // output too (whether a pass fails or waits depends on where it was when the database went).
        yield* Effect.sleep("1500 millis")

        const output = yield* stopAndCheck(running, replies, secretValues)
        expect(output).toContain("\"logLevel\":\"ERROR\"")
      }),
    120_000
  )

  it.scopedLive(
    "no secret reaches the output of serve when Stripe rejects the key",
    () =>
      Effect.gen(function*() {
        yield* ensureBuilt
        const secrets = markedSecrets()
        const simulator = yield* Simulator.make({})
        const port = yield* freePort
        const url = `http://127.0.0.1:${port}`
        const running = yield* serve({
          DATABASE_URL: Redacted.value(yield* testDatabaseUrl),
          STRIPE_API_KEY: secrets.apiKey,
          STRIPE_API_BASE: simulator.url,
          STRIPE_WEBHOOK_SECRET: secrets.webhookSecret,
          AUDIT_API_TOKEN: secrets.auditToken,
          PORT: String(port)
        })
        const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
        const body = JSON.stringify(thinEvent(newEventId(), run.id))
        const replies = [
          yield* Effect.promise(() => send(url, { path: "/healthz" })),
          yield* Effect.promise(() => postNotification(url, body, sign(body, secrets.webhookSecret)))
        ]
        expect(replies.map((reply) => reply.status)).toEqual([503, 503])
        yield* eventually(
          "the reconciler's 401",
          Effect.sync(() => running.output().includes("StripeAuthenticationError")),
          15_000
        )
        const output = yield* stopAndCheck(running, replies, Object.values(secrets))
        // The simulator masks the key as Stripe does, to its first eight and last four characters.
        expect(output).toContain("sk_test_****_key")
      }),
    120_000
  )

  it.scopedLive(
    "no secret reaches the output of serve that cannot start",
    () =>
      Effect.gen(function*() {
        yield* ensureBuilt
        const secrets = markedSecrets()
        const closedPort = yield* freePort
        const password = `pw-${marker}`
        const valid = {
          DATABASE_URL: `postgres://postgres:${password}@127.0.0.1:${closedPort}/workflow_runs`,
          STRIPE_API_KEY: secrets.apiKey,
          STRIPE_WEBHOOK_SECRET: secrets.webhookSecret,
          AUDIT_API_TOKEN: secrets.auditToken,
          PORT: String(yield* freePort)
        }
        const cases: ReadonlyArray<[string, Record<string, string>, string]> = [
          ["database unreachable", valid, "DatabaseConnectionError"],
          ["short audit token", { ...valid, AUDIT_API_TOKEN: marker }, "AUDIT_API_TOKEN is invalid"],
          ["no webhook secret", { ...valid, STRIPE_WEBHOOK_SECRET: " , " }, "STRIPE_WEBHOOK_SECRET"],
          [
            "database URL not a URL",
            { ...valid, DATABASE_URL: `postgres://postgres:${password}@127.0.0.1:port/x` },
            "DATABASE_URL is invalid: Expected a PostgreSQL URL"
          ],
          ["API key empty", { ...valid, STRIPE_API_KEY: "" }, "STRIPE_API_KEY is missing"]
        ]
        for (const [name, env, expected] of cases) {
          const attempt = yield* serve(env)
          const code = yield* Effect.promise(() => attempt.exited)
          const output = attempt.output()
          expect(code, `${name}: ${output}`).toBe(1)
          expect(output, name).toContain(expected)
          expect(secretsIn(output, [...Object.values(secrets), password]), `${name}: ${output}`).toEqual([])
        }
      }),
    120_000
  )
})
