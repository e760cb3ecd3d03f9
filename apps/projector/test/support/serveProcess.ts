import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { bin } from "./bin.js"

export { ensureBuilt } from "./bin.js"

/** A running `workflow-runs serve` child process and what it wrote so far. */
export interface ServeProcess {
  readonly child: ChildProcess
  readonly stderr: () => string
  readonly stdout: () => string
}

/**
 * Starts `workflow-runs serve` with `env` and resolves once it logs that it serves. Closing the
 * scope kills the process with SIGKILL if it still runs.
 */
export const serve = (
  env: Record<string, string>,
  options: { readonly args?: ReadonlyArray<string>; readonly cwd?: string } = {}
) =>
  Effect.acquireRelease(
    Effect.async<ServeProcess>((resume) => {
      const child = spawn(process.execPath, [bin, "serve", ...(options.args ?? [])], {
        cwd: options.cwd,
        env: { PATH: process.env.PATH ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stderr = ""
      let stdout = ""
      let ready = false
      child.stdout!.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8")
      })
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8")
        if (!ready && stderr.includes("\"Serving\"")) {
          ready = true
          resume(Effect.succeed({ child, stderr: () => stderr, stdout: () => stdout }))
        }
      })
      child.once("exit", (code) => {
        if (!ready) resume(Effect.dieMessage(`serve exited with ${code} before it served:\n${stderr}`))
      })
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

/** Waits for `child` to exit and returns its exit code (`null` when a signal ended it). */
export const exitOf = (child: ChildProcess) =>
  Effect.async<number | null>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.succeed(child.exitCode))
    child.once("exit", (code) => resume(Effect.succeed(code)))
  })
