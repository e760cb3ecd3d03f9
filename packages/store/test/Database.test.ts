import * as PgClient from "@effect/sql-pg/PgClient"
import { describe, expect, it, layer as withLayer } from "@effect/vitest"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { randomUUID } from "node:crypto"
import { existsSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Database from "../src/Database.js"
import { database } from "./support/database.js"
import { urlOf } from "./support/urls.js"

const connect = (url: Redacted.Redacted<string>) =>
  Effect.flip(Effect.scoped(Layer.build(Database.layerClient({ url, maxConnections: 1 }))))

// A port on 127.0.0.1 that was free a moment ago: bound to a fresh server, then closed.
const closedPort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

describe("database connection errors", () => {
  withLayer(database, { timeout: 120_000, excludeTestServices: true })((scoped) => {
    scoped.effect("names a database that does not exist", () =>
      Effect.gen(function*() {
        const client = yield* PgClient.PgClient
        const name = `missing_${randomUUID().replaceAll("-", "")}`
        const password = client.config.password === undefined ? "" : Redacted.value(client.config.password)
        const error = yield* connect(urlOf(client, { database: name }))

        expect(error._tag).toBe("DatabaseConnectionError")
        expect(error.message).toContain(`${client.config.host ?? "127.0.0.1"}:${client.config.port ?? 5432}/${name}`)
        expect(error.message).toContain(`database "${name}" does not exist (SQLSTATE 3D000)`)
        if (password !== "") expect(error.message).not.toContain(password)
        expect(error._tag === "DatabaseConnectionError" ? error.cause : undefined).toBeInstanceOf(Error)
      }))
  })

  it.live("names a refused connection", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const error = yield* connect(Redacted.make(`postgres://app:secret-password@127.0.0.1:${port}/ledger`))

      expect(error._tag).toBe("DatabaseConnectionError")
      expect(error.message).toBe(
        `Failed to connect to PostgreSQL at 127.0.0.1:${port}/ledger: connect ECONNREFUSED 127.0.0.1:${port}`
      )
    }))

  it.effect("rejects an invalid URL without showing it", () =>
    Effect.gen(function*() {
      const error = yield* connect(Redacted.make("app:secret-password at the ledger host"))

      expect(error._tag).toBe("DatabaseConnectionError")
      expect(error.message).toContain(
        "Cannot connect to PostgreSQL: the database URL is invalid: it does not start with postgres://"
      )
      expect(error.message).not.toContain("secret-password")
    }))

  it.effect("rejects a URL without a database", () =>
    Effect.gen(function*() {
      const url = Redacted.make("postgres://app:secret-password@127.0.0.1:1")
      const direct = yield* connect(url)
      const migrating = yield* Effect.flip(Effect.scoped(Layer.build(Database.layer({ url }))))
      const reading = yield* Effect.flip(Effect.scoped(Layer.build(Database.layerExistingLog({ url }))))
      const fromEnv = yield* Effect.flip(
        Effect.scoped(Layer.build(Database.layerFromEnv())).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["DATABASE_URL", Redacted.value(url)]])))
        )
      )
      for (const error of [direct, migrating, reading, fromEnv]) {
        expect(error.message).toContain("the database URL is invalid: it names no database")
        expect(error.message).not.toContain("secret-password")
      }
      const scheme = yield* connect(Redacted.make("mysql://app:secret-password@127.0.0.1:1/runs"))
      expect(scheme.message).toContain("its scheme is \"mysql:\"")
    }))

  it.effect("rejects a non-PostgreSQL DATABASE_URL", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.scoped(Layer.build(Database.layerConfig)).pipe(
          Effect.withConfigProvider(
            ConfigProvider.fromMap(new Map([["DATABASE_URL", "mysql://app:secret-password@ledger/runs"]]))
          )
        )
      )

      expect(ConfigError.isConfigError(error)).toBe(true)
      expect(String(error)).toContain("DATABASE_URL")
      expect(String(error)).toContain("Expected a PostgreSQL URL")
      expect(String(error)).toContain("its scheme is \"mysql:\"")
      expect(String(error)).not.toContain("secret-password")
    }))

  it.effect("names the wrong part of DATABASE_URL", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<[string, string, string]> = [
        ["postgres://app:secret-password@127.0.0.1:99999/runs", "its port is not a number from 1 to 65535", "99999"],
        [
          "postgres://app:secret-password@127.0.0.1:0/runs",
          "its port is not a number from 1 to 65535",
          "secret-password"
        ],
        ["postgres://app:secret-password@127.0.0.1:abc/runs", "check its host and port", "secret-password"],
        // Without a host, the password sits where the port goes.
        ["postgres://app:987654321/runs", "its port is not a number from 1 to 65535", "987654321"],
        ["app:secret-password@ledger/runs", "does not start with postgres:// or postgresql://", "secret-password"],
        ["postgres://app:p@ss word@[::1/runs", "it is not a valid URL", "ss word"],
        // PostgreSQL would use the database named after the user.
        ["postgres://app:secret-password@127.0.0.1:5432", "it names no database", "secret-password"],
        ["postgres://app:secret-password@127.0.0.1:5432/", "it names no database", "secret-password"],
        ["", "it is empty", "secret-password"]
      ]
      for (const [url, problem, secret] of cases) {
        const error = yield* Effect.flip(
          Effect.scoped(Layer.build(Database.layerConfig)).pipe(
            Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["DATABASE_URL", url]])))
          )
        )
        expect(String(error), url).toContain(problem)
        expect(String(error), url).not.toContain(secret)
      }
    }))
})

describe("database options", () => {
  for (const size of [0, -1, 2.5, Number.NaN]) {
    it.effect(`rejects maxConnections ${size}`, () =>
      Effect.gen(function*() {
        const error = yield* Layer.build(
          Database.layer({ url: Redacted.make("postgres://app@127.0.0.1:1/ledger"), maxConnections: size })
        ).pipe(Effect.scoped, Effect.flip)

        expect(error._tag).toBe("InvalidDatabaseOptions")
        expect(error.message).toBe(`maxConnections must be a whole number of at least 1, such as 10; got ${size}`)
      }))
  }

  it.effect("rejects an embedded pool size before starting a server", () =>
    Effect.gen(function*() {
      const dataDirectory = join(tmpdir(), `wfr-embedded-${randomUUID()}`)
      const error = yield* Layer.build(Database.layerEmbedded({ dataDirectory, maxConnections: 0 })).pipe(
        Effect.scoped,
        Effect.flip
      )

      expect(error._tag).toBe("InvalidDatabaseOptions")
      expect(existsSync(dataDirectory)).toBe(false)
    }))
})
