import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { type ChildProcess, spawn } from "node:child_process"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..")

// Starts a pnpm script of the repository in a process group of its own, so that the release can
// end whatever it left running, and returns the URL the simulator printed.
const startScript = (command: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.async<{ readonly child: ChildProcess; readonly url: string }>((resume) => {
      const child = spawn("pnpm", command, { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"] })
      let stderr = ""
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8")
      })
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const url = /^listening on (http:\/\/\S+)$/.exec(line)?.[1]
        if (url !== undefined) resume(Effect.succeed({ child, url }))
      })
      child.once("exit", (code) =>
        resume(Effect.dieMessage(`pnpm exited with ${code} before the simulator listened:\n${stderr}`)))
    }),
    ({ child }) =>
      Effect.sync(() => {
        try {
          process.kill(-child.pid!, "SIGKILL")
        } catch {
          // The whole group has already exited.
        }
      })
  )

const exitOf = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
  })

const reachable = (url: string) =>
  Effect.promise(() => fetch(url, { headers: { connection: "close" } }).then(() => true, () => false))

describe("pnpm simulator", () => {
  it.live("stops the simulator on SIGTERM to pnpm", () =>
    Effect.gen(function*() {
      const { child, url } = yield* startScript(["-s", "simulator", "--port", "0"])
      expect(yield* reachable(url)).toBe(true)

      child.kill("SIGTERM")
      yield* exitOf(child).pipe(Effect.timeout("10 seconds"))
      // The simulator may take a moment to close its listener after pnpm exits.
      let stillServing = true
      for (let attempt = 0; attempt < 20 && stillServing; attempt++) {
        stillServing = yield* reachable(url)
        if (stillServing) yield* Effect.sleep("250 millis")
      }

      expect(stillServing).toBe(false)
    }).pipe(Effect.scoped), 120_000)
})
