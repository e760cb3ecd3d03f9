import { describe, expect, it } from "@effect/vitest"
import { Projector } from "@workflow-runs/projector"
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import { Database } from "@workflow-runs/store"
import { Effect, Fiber, Layer, Option, Redacted } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { type AddressInfo, createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bin } from "./support/bin.js"
import { eventually, freePort, historyTypes, newSecret, testDatabaseUrl } from "./support/harness.js"
import { deliver, newEventId, thinRunEvent } from "./support/notifications.js"
import { ensureBuilt, exitOf, serve } from "./support/serveProcess.js"

// Runs the built CLI to its end and returns its exit code, standard output and standard error.
const runBin = (
  args: ReadonlyArray<string>,
  options: { readonly cwd?: string; readonly env?: Record<string, string> }
) =>
  Effect.async<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resume) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "", ...options.env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8")
    })
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
    })
    child.once("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
  })

const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

// Each check opens a new connection, so a refused one shows the listener is closed.
const health = (url: string) =>
  Effect.promise(() =>
    fetch(`${url}/healthz`, { headers: { connection: "close" } }).then(
      (response) => response.status,
      () => "refused" as const
    )
  )

// Delivers a notification whose run Stripe returns only after `latencyMs`, sends SIGTERM while
// the webhook waits for it, and returns the delivery still in flight.
const sigtermDuringDelivery = (options: {
  readonly simulator: Simulator.Service
  readonly url: string
  readonly secret: string
  readonly runId: string
  readonly child: ChildProcess
  readonly latencyMs: number
}) =>
  Effect.gen(function*() {
    yield* options.simulator.injectFault({
      match: { method: "GET", path: `/v2/extend/workflow_runs/${options.runId}` },
      latency_ms: options.latencyMs
    })
    const notification = thinRunEvent({ eventId: newEventId(), runId: options.runId })
    const inFlight = yield* Effect.fork(deliver(options.url, notification, { secret: options.secret }))
    yield* Effect.sleep("400 millis")
    options.child.kill("SIGTERM")
    return inFlight
  })

// A simulator with a run started from the Dashboard, and the environment of a serve against it.
const stackWithRun = Effect.gen(function*() {
  const simulator = yield* Simulator.make({})
  const port = yield* freePort
  const secret = newSecret()
  const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
  const env: Record<string, string> = {
    STRIPE_API_KEY: simulator.apiKey,
    STRIPE_API_BASE: simulator.url,
    STRIPE_WEBHOOK_SECRET: secret,
    AUDIT_API_TOKEN: `bin-test-token-${newSecret()}`,
    PORT: String(port),
    RECONCILE_INTERVAL: "1 hour"
  }
  return { simulator, port, secret, run, env }
})

describe("workflow-runs serve", () => {
  it.scopedLive(
    "finishes the in-flight request on SIGTERM, refuses new ones and exits 0",
    () =>
      Effect.gen(function*() {
        yield* ensureBuilt
        const databaseUrl = yield* testDatabaseUrl
        const simulator = yield* Simulator.make({})
        const port = yield* freePort
        const secret = newSecret()
        const auditToken = `bin-test-token-${newSecret()}`
        const run = yield* simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
        const { child, stderr, stdout } = yield* serve({
          DATABASE_URL: Redacted.value(databaseUrl),
          STRIPE_API_KEY: simulator.apiKey,
          STRIPE_API_BASE: simulator.url,
          STRIPE_WEBHOOK_SECRET: secret,
          AUDIT_API_TOKEN: auditToken,
          PORT: String(port),
          RECONCILE_INTERVAL: "1 hour"
        }).pipe(Effect.timeout("30 seconds"))
        const url = `http://127.0.0.1:${port}`
        expect(yield* health(url)).toBe(200)

        const inFlight = yield* sigtermDuringDelivery({ simulator, url, secret, runId: run.id, child, latencyMs: 1500 })
        yield* eventually("the listener to close", Effect.map(health(url), (status) => status === "refused"), 1000)
        const pendingWhenClosed = Option.isNone(yield* Fiber.poll(inFlight))
        const answer = yield* inFlight.await.pipe(Effect.timeout("10 seconds"))
        const code = yield* exitOf(child).pipe(Effect.timeout("10 seconds"))

        expect(answer._tag).toBe("Success")
        expect(answer._tag === "Success" ? answer.value.status : 0).toBe(200)
        // The listener closed while the request was still waiting on Stripe.
        expect(pendingWhenClosed).toBe(true)
        expect(code).toBe(0)
        const types = yield* historyTypes(run.id).pipe(
          Effect.provide(
            Projector.services.pipe(Layer.provideMerge(Database.layer({ url: databaseUrl, maxConnections: 2 })))
          )
        )
        expect(types[0]).toBe("RunStarted")
        const log = stderr()
        expect(log).toContain("\"Serving\"")
        // Logs go to standard error only; standard output is for command output.
        expect(stdout()).toBe("")
        const password = new URL(Redacted.value(databaseUrl)).password
        for (const value of [secret, auditToken, simulator.apiKey, Redacted.value(databaseUrl)]) {
          expect(log).not.toContain(value)
        }
        if (password !== "") expect(log).not.toContain(password)
      }),
    120_000
  )

  it.scopedLive(
    "with --embedded finishes the in-flight request on SIGTERM and stops the server",
    () =>
      Effect.gen(function*() {
        yield* ensureBuilt
        const directory = yield* Effect.acquireRelease(
          Effect.sync(() => mkdtempSync(join(tmpdir(), "workflow-runs-serve-"))),
          (path) => Effect.sync(() => rmSync(path, { recursive: true, force: true }))
        )
        // As root, the server runs as the postgres user, which must reach .data/ inside this folder.
        chmodSync(directory, 0o755)
        const { simulator, port, secret, run, env } = yield* stackWithRun
        const { child, stderr } = yield* serve(env, { args: ["--embedded"], cwd: directory }).pipe(
          Effect.timeout("90 seconds")
        )
        const url = `http://127.0.0.1:${port}`
        const pidFile = join(directory, ".data", "pg", "postmaster.pid")
        const postgresPid = Number(readFileSync(pidFile, "utf8").split("\n")[0])
        expect(processAlive(postgresPid)).toBe(true)

        const inFlight = yield* sigtermDuringDelivery({ simulator, url, secret, runId: run.id, child, latencyMs: 1500 })
        const answer = yield* inFlight.await.pipe(Effect.timeout("10 seconds"))
        const code = yield* exitOf(child).pipe(Effect.timeout("20 seconds"))

        expect(answer._tag).toBe("Success")
        expect(answer._tag === "Success" ? answer.value.status : 0).toBe(200)
        expect(code, stderr()).toBe(0)
        expect(existsSync(pidFile)).toBe(false)
        expect(processAlive(postgresPid)).toBe(false)
        expect(existsSync(join(directory, ".data", "workflow-runs.lock"))).toBe(false)
      }),
    180_000
  )

  it.scopedLive(
    "migrate --embedded exits 0 and stops the server",
    () =>
      Effect.gen(function*() {
        yield* ensureBuilt
        const directory = yield* Effect.acquireRelease(
          Effect.sync(() => mkdtempSync(join(tmpdir(), "workflow-runs-migrate-"))),
          (path) => Effect.sync(() => rmSync(path, { recursive: true, force: true }))
        )
        // As root, the server runs as the postgres user, which must reach .data/ inside this folder.
        chmodSync(directory, 0o755)
        const result = yield* runBin(["migrate", "--embedded"], { cwd: directory }).pipe(Effect.timeout("90 seconds"))

        expect(result.code, result.stderr).toBe(0)
        expect(result.stderr).not.toContain("TypeError")
        expect(result.stdout).toMatch(/^Applied \d+ migration\(s\): 1_create_log, /)
        // The list is printed once, not logged again on standard error.
        expect(result.stderr).not.toContain("1_create_log")
        expect(existsSync(join(directory, ".data", "pg", "postmaster.pid"))).toBe(false)
      }),
    120_000
  )

  it.scopedLive("rejects an invalid LOG_FORMAT before any command runs", () =>
    Effect.gen(function*() {
      yield* ensureBuilt
      const result = yield* runBin(["migrate"], { env: { LOG_FORMAT: "xml" } }).pipe(Effect.timeout("30 seconds"))

      expect(result.code).toBe(1)
      expect(result.stderr).toContain("LOG_FORMAT is invalid")
      expect(result.stderr).toContain("\"xml\"")
      // The command's own missing variable is listed beside it.
      expect(result.stderr).toContain("DATABASE_URL is missing")

      const serve = yield* runBin(["serve"], { env: { LOG_FORMAT: "xml", STRIPE_API_KEY: "sk_test_1" } }).pipe(
        Effect.timeout("30 seconds")
      )
      expect(serve.code).toBe(1)
      for (const variable of ["LOG_FORMAT", "DATABASE_URL", "STRIPE_WEBHOOK_SECRET", "AUDIT_API_TOKEN"]) {
        expect(serve.stderr, variable).toContain(variable)
      }
      const embedded = yield* runBin(["migrate", "--embedded"], { env: { LOG_FORMAT: "xml" } }).pipe(
        Effect.timeout("30 seconds")
      )
      expect(embedded.code).toBe(1)
      expect(embedded.stderr).toContain("LOG_FORMAT is invalid")
      expect(embedded.stderr).not.toContain("DATABASE_URL")
    }), 60_000)

  it.scopedLive("prints help without ANSI colours when piped", () =>
    Effect.gen(function*() {
      yield* ensureBuilt
      const help = yield* runBin(["runs", "--help"], {}).pipe(Effect.timeout("30 seconds"))
      const usage = yield* runBin(["runs", "--status", "bogus"], {}).pipe(Effect.timeout("30 seconds"))

      expect(help.code).toBe(0)
      expect(help.stdout).toContain("USAGE")
      expect(help.stdout).not.toContain("\u001b[")
      expect(usage.code).toBe(2)
      expect(usage.stderr).toContain("--status must be one of")
      expect(usage.stderr).not.toContain("\u001b[")
    }), 60_000)

  it.scopedLive("exits 2 on bad arguments", () =>
    Effect.gen(function*() {
      yield* ensureBuilt
      const cases: ReadonlyArray<[ReadonlyArray<string>, string]> = [
        [["runs", "--from", "2026-13-01"], "--from \"2026-13-01\" is not an ISO 8601 date"],
        [["runs", "--limit", "abc"], "--limit must be an integer from 1 to 1000"],
        [["history", "not/a/run"], "\"not/a/run\" is not a run id"],
        [["invoke", "wf_1", "--input", "[1]"], "--input must be a JSON object"],
        [["invoke", "wf_1", "--input", "{bad"], "--input \"{bad\" is not valid JSON"],
        [["verify", "--expect", "junk"], "--expect \"junk\" is not a wrc1. or wra1. token"],
        [["runs", "--after", "garbage"], "--after \"garbage\" is not a page cursor; pass the one printed"],
        [["invoke", "wf_1", "--param", "a=1", "--param", "a=2"], "--param \"a\" is given twice (\"a=1\", \"a=2\")"],
        [
          ["invoke", "wf_1", "--idempotency-key", ""],
          "--idempotency-key \"\" is invalid: an idempotency key must not be empty"
        ]
      ]
      for (const [args, message] of cases) {
        const result = yield* runBin(args, {}).pipe(Effect.timeout("30 seconds"))
        expect(result.code, args.join(" ")).toBe(2)
        expect(result.stderr.trim().startsWith(message), result.stderr).toBe(true)
        expect(result.stderr, args.join(" ")).not.toContain("DATABASE_URL")
      }
      const missing = yield* runBin(["runs"], {}).pipe(Effect.timeout("30 seconds"))
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain("DATABASE_URL is missing")
    }), 60_000)

  it.scopedLive("explains an unreachable Stripe", () =>
    Effect.gen(function*() {
      yield* ensureBuilt
      const databaseUrl = yield* testDatabaseUrl
      // Nothing listens on port 1 of the loopback address, so the connection is refused.
      const result = yield* runBin(["invoke", "wf_unreachable"], {
        env: {
          DATABASE_URL: Redacted.value(databaseUrl),
          STRIPE_API_KEY: "sk_test_unreachable",
          STRIPE_API_BASE: "http://127.0.0.1:1",
          STRIPE_MAX_RETRIES: "0"
        }
      }).pipe(Effect.timeout("30 seconds"))

      expect(result.code).toBe(1)
      expect(result.stderr).toContain("StripeConnectionError: connect ECONNREFUSED 127.0.0.1:1")
      expect(result.stderr).toContain("Check the network, or the server that STRIPE_API_BASE names when it is set")
      expect(result.stderr).not.toContain("sk_test_unreachable")
    }), 60_000)

  it.scopedLive("names a database without the log", () =>
    Effect.gen(function*() {
      yield* ensureBuilt
      const databaseUrl = yield* testDatabaseUrl
      const result = yield* runBin(["verify"], { env: { DATABASE_URL: Redacted.value(databaseUrl) } }).pipe(
        Effect.timeout("30 seconds")
      )

      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/LogNotFound: no workflow-runs log found in the database at \S+\. Check/)
      expect(result.stderr).toContain("create the log there with `workflow-runs migrate`.")
      expect(result.stdout).toBe("")
    }), 60_000)

  it.scopedLive("reports a port in use without logging a stop", () =>
    Effect.gen(function*() {
      yield* ensureBuilt
      const databaseUrl = yield* testDatabaseUrl
      const { env } = yield* stackWithRun
      const occupied = yield* Effect.acquireRelease(
        Effect.async<Server>((resume) => {
          const server = createServer()
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
        }),
        (server) => Effect.sync(() => server.close())
      )
      const port = (occupied.address() as AddressInfo).port
      const result = yield* runBin(["serve"], {
        env: { ...env, DATABASE_URL: Redacted.value(databaseUrl), PORT: String(port) }
      }).pipe(Effect.timeout("30 seconds"))

      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        `ListenFailed: Could not listen on 127.0.0.1:${port}: another process uses this address; set PORT or HOST to a free address`
      )
      expect(result.stderr).not.toContain("\"Stopped\"")
      expect(result.stderr).not.toContain("\"Serving\"")
    }), 60_000)

  it.scopedLive(
    "gives up on a request that never finishes and exits 1",
    () =>
      Effect.gen(function*() {
        yield* ensureBuilt
        const databaseUrl = yield* testDatabaseUrl
        const { simulator, port, secret, run, env } = yield* stackWithRun
        const { child, stderr } = yield* serve({
          ...env,
          DATABASE_URL: Redacted.value(databaseUrl),
          SHUTDOWN_TIMEOUT: "1 second"
        }).pipe(Effect.timeout("30 seconds"))
        const url = `http://127.0.0.1:${port}`

        // Stripe returns the run after ten minutes, far past the shutdown timeout.
        const inFlight = yield* sigtermDuringDelivery({
          simulator,
          url,
          secret,
          runId: run.id,
          child,
          latencyMs: 600_000
        })
        const code = yield* exitOf(child).pipe(Effect.timeout("20 seconds"))
        const answer = yield* inFlight.await.pipe(Effect.timeout("10 seconds"))

        expect(code, stderr()).toBe(1)
        expect(stderr()).toContain("did not finish within the shutdown timeout of 1s")
        // The request was cut off, so the notification got no 2xx and Stripe delivers it again.
        expect(answer._tag === "Success" ? answer.value.status : "no response").toBe("no response")
      }),
    120_000
  )
})
