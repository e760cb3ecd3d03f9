import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer } from "node:net"
import * as Database from "../src/Database.js"

// A loopback port this test listened on and closed again, so nothing accepts connections there.
const closedPort = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
)

describe("Database", () => {
  it.live("unreachable DATABASE_URL names the target, not the password", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const error = yield* Effect.flip(Effect.tryPromise(() =>
        Database.acquire({ DATABASE_URL: `postgres://bench:hunter2@127.0.0.1:${port}/bench_missing` })
      ))
      const message = String(error.cause)
      expect(message).toContain(`Failed to connect to DATABASE_URL (127.0.0.1:${port}/bench_missing)`)
      expect(message).toContain("unset DATABASE_URL")
      expect(message).not.toContain("hunter2")
    }))
})
