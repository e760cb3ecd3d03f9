import { describe, expect, it } from "@effect/vitest"
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import * as Effect from "effect/Effect"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { call, exampleInput, stripeFor } from "./support.js"

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")
const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
  readonly bin: Record<string, string>
}
const declaredBin = manifest.bin["workflow-runs-simulator"]!
const bin = join(packageDir, declaredBin)
const built = join(packageDir, "dist", "bin.js")

// The bin runs the built JavaScript with plain Node, so a checkout without a build gets one here,
// once for all tests of this file.
const ensureBuilt = Effect.runSync(Effect.cached(Effect.sync(() => {
  if (!existsSync(built)) {
    execFileSync("pnpm", ["--filter", "@workflow-runs/simulator...", "--sort", "run", "build"], {
      cwd: packageDir,
      stdio: "ignore"
    })
  }
})))

const start = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.async<{ readonly child: ChildProcess; readonly firstLine: string }>((resume) => {
      const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] })
      const lines = createInterface({ input: child.stdout! })
      lines.once("line", (firstLine) => resume(Effect.succeed({ child, firstLine })))
      child.once("exit", (code) => resume(Effect.dieMessage(`the simulator exited with ${code} before it was ready`)))
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
  )

// Starts the bin and returns its first two lines of output: the address and the API key line.
const startupLines = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.async<{ readonly child: ChildProcess; readonly lines: ReadonlyArray<string> }>((resume) => {
      const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] })
      const lines: Array<string> = []
      createInterface({ input: child.stdout! }).on("line", (line) => {
        lines.push(line)
        if (lines.length === 2) resume(Effect.succeed({ child, lines }))
      })
      child.once("exit", (code) => resume(Effect.dieMessage(`the simulator exited with ${code} before it was ready`)))
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
  )

// A TCP server on a free port of 127.0.0.1 for the test's scope, so that the port is in use.
const occupiedPort = Effect.acquireRelease(
  Effect.async<{ readonly server: Server; readonly port: number }>((resume) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resume(Effect.succeed({ server, port: typeof address === "object" && address !== null ? address.port : 0 }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.close(() => resume(Effect.void))
    })
)

const exitOf = (child: ChildProcess) =>
  Effect.async<number | null>((resume) => {
    if (child.exitCode !== null) return resume(Effect.succeed(child.exitCode))
    child.once("exit", (code) => resume(Effect.succeed(code)))
  })

describe("workflow-runs-simulator", () => {
  it("declares a bin that exists before the build", () => {
    // pnpm links bins on install, before any build, and warns about a missing target.
    expect(declaredBin.startsWith("./dist/")).toBe(false)
    expect(existsSync(bin)).toBe(true)
  })

  it.scopedLive("serves the default workflows and stops on SIGTERM", () =>
    Effect.gen(function*() {
      yield* ensureBuilt
      const { child, firstLine } = yield* start(["--port", "0"])
      const match = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(firstLine)
      const port = Number(match?.[1])
      const stripe = stripeFor({ host: "127.0.0.1", port, apiKey: Simulator.defaultApiKey } as Simulator.Service)

      const run = yield* call(() =>
        stripe.v2.extend.workflows.invoke(DefaultWorkflows.onboardCustomer, { input_parameters: exampleInput })
      )
      child.kill("SIGTERM")
      const code = yield* exitOf(child).pipe(Effect.timeout("5 seconds"))

      expect(match).not.toBeNull()
      expect(run.trigger.manual?.input_parameters).toEqual(exampleInput)
      expect(code).toBe(0)
    }), 120_000)

  it.scopedLive("stops on SIGINT", () =>
    Effect.gen(function*() {
      yield* ensureBuilt
      const { child, firstLine } = yield* start(["--host", "127.0.0.1", "--port", "0"])

      child.kill("SIGINT")
      const code = yield* exitOf(child).pipe(Effect.timeout("5 seconds"))

      expect(firstLine).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/)
      expect(code).toBe(0)
    }), 120_000)

  it.scopedLive("rejects an invalid port", () =>
    Effect.gen(function*() {
      yield* ensureBuilt
      const child = spawn(process.execPath, [bin, "--port", "http"], { stdio: ["ignore", "ignore", "pipe"] })
      let stderr = ""
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))

      const code = yield* exitOf(child).pipe(Effect.timeout("5 seconds"))

      expect(code).toBe(2)
      expect(stderr).toContain("--port must be an integer")
    }), 120_000)

  it.scopedLive("reports a port in use without a stack trace", () =>
    Effect.gen(function*() {
      yield* ensureBuilt
      const { port } = yield* occupiedPort
      const child = spawn(process.execPath, [bin, "--port", String(port)], { stdio: ["ignore", "ignore", "pipe"] })
      let stderr = ""
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))

      const code = yield* exitOf(child).pipe(Effect.timeout("5 seconds"))

      expect(code).toBe(1)
      expect(stderr).toBe(
        `workflow-runs-simulator failed to start: 127.0.0.1:${port} is already in use (EADDRINUSE); ` +
          `pass --port 0 for a free port, or --port PORT for another one\n`
      )
    }), 120_000)

  it.scopedLive("masks an API key other than the default", () =>
    Effect.gen(function*() {
      yield* ensureBuilt
      const { lines } = yield* startupLines(["--port", "0", "--api-key", "sk_test_my_secret_777"])

      expect(lines[1]).toMatch(/^api key: sk_test_\*\*\*\*_777, /)
      expect(lines.join("\n")).not.toContain("my_secret")
    }), 120_000)

  it.scopedLive("prints the default API key", () =>
    Effect.gen(function*() {
      yield* ensureBuilt
      const { lines } = yield* startupLines(["--port", "0"])

      expect(lines[1]).toContain(`api key: ${Simulator.defaultApiKey}, `)
    }), 120_000)
})
