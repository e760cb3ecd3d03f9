import { type ChildProcess, spawn } from "node:child_process"
import { readFile } from "node:fs/promises"
import { type AddressInfo, createServer as createNetServer } from "node:net"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

/** A Node process started by the harness. */
export interface NodeChild {
  readonly process: ChildProcess
  readonly pid: number
  /** Lines the process wrote to the watched stream, for an error message when it fails. */
  readonly output: () => string
  /** Sends SIGTERM, then SIGKILL after `graceMs`, and waits for the exit. */
  readonly stop: (graceMs?: number) => Promise<void>
}

/** Options of {@link startNode}. */
export interface StartOptions {
  /** The name of the process in error messages. */
  readonly name: string
  readonly script: URL
  readonly args?: ReadonlyArray<string>
  readonly env?: NodeJS.ProcessEnv
  /** The stream whose lines {@link StartOptions.ready} reads. */
  readonly stream: "stdout" | "stderr"
  /** Returns a value once a line shows the process is ready, otherwise `undefined`. */
  readonly ready: (line: string) => string | undefined
  readonly timeoutMs?: number
}

const keptLines = 40

/**
 * Starts `node script args` and resolves once `ready` returns a value for one of its output
 * lines, such as the address it listens on. Rejects with its last output lines when it exits
 * or does not get ready in time.
 */
export const startNode = (options: StartOptions): Promise<{ readonly child: NodeChild; readonly value: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(options.script), ...(options.args ?? [])], {
      env: options.env ?? process.env,
      stdio: [
        "ignore",
        options.stream === "stdout" ? "pipe" : "ignore",
        options.stream === "stderr" ? "pipe" : "inherit"
      ]
    })
    const lines: Array<string> = []
    let settled = false
    const output = () => lines.join("\n")
    const exited = new Promise<void>((done) => child.once("exit", () => done()))
    const stop = async (graceMs = 5_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
      await exited
      clearTimeout(timer)
    }
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      void stop(0)
      reject(
        new Error(`${options.name} was not ready after ${options.timeoutMs ?? 30_000} ms. Its output:\n${output()}`)
      )
    }, options.timeoutMs ?? 30_000)
    createInterface({ input: options.stream === "stdout" ? child.stdout! : child.stderr! }).on("line", (line) => {
      lines.push(line)
      if (lines.length > keptLines) lines.shift()
      if (settled) return
      const value = options.ready(line)
      if (value !== undefined) {
        settled = true
        clearTimeout(timer)
        resolve({ child: { process: child, pid: child.pid!, output, stop }, value })
      }
    })
    child.once("exit", (code, signal) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(new Error(`${options.name} exited with ${signal ?? code} before it was ready. Its output:\n${output()}`))
    })
  })

/**
 * Reads the resident set size of process `pid` in bytes from `/proc/<pid>/status`. Linux only,
 * as Node has no call for another process's memory.
 */
export const residentBytes = async (pid: number): Promise<number> => {
  let text: string
  try {
    text = await readFile(`/proc/${pid}/status`, "utf8")
  } catch (error) {
    throw new Error(
      `Cannot read the memory of process ${pid} from /proc/${pid}/status (${
        error instanceof Error ? error.message : String(error)
      }): the memory benchmark needs Linux and a running process.`
    )
  }
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text)
  if (match === null) throw new Error(`/proc/${pid}/status has no VmRSS line: the process may have exited.`)
  return Number(match[1]) * 1024
}

/** Resolves a script of this package's build, for plain Node, from `src` and `dist` alike. */
export const builtScript = (name: string): URL => new URL(`../../dist/children/${name}.js`, import.meta.url)

/** Resolves a file of the repository, such as another package's built bin. */
export const repositoryFile = (path: string): URL => new URL(`../../../../${path}`, import.meta.url)

/**
 * Finds a port of 127.0.0.1 that is free now, for a server whose configuration does not accept port 0
 * (the projector's `PORT`). Another process could take it before the server listens, so a
 * failure to listen names the port.
 */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createNetServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
