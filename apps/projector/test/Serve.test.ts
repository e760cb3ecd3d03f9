import { describe, expect, it } from "@effect/vitest"
import { Serve } from "@workflow-runs/projector"
import { Simulator } from "@workflow-runs/simulator"
import { ConfigProvider, Effect, Fiber, Layer, Redacted } from "effect"
import { eventually, freePort, newSecret, testDatabaseUrl } from "./support/harness.js"

const health = (url: string) =>
  Effect.promise(() => fetch(`${url}/healthz`).then((response) => response.status, () => "refused" as const))

describe("Serve", () => {
  it.live("serves until interrupted, then stops listening", () =>
    Effect.gen(function*() {
      const databaseUrl = yield* testDatabaseUrl
      const simulator = yield* Simulator.make({})
      const port = yield* freePort
      const env = new Map([
        ["DATABASE_URL", Redacted.value(databaseUrl)],
        ["STRIPE_API_KEY", simulator.apiKey],
        ["STRIPE_API_BASE", simulator.url],
        ["STRIPE_WEBHOOK_SECRET", `${newSecret()},${newSecret()}`],
        ["AUDIT_API_TOKEN", "serve-test-token-0123456789"],
        ["PORT", String(port)]
      ])
      const fiber = yield* Layer.launch(Serve.layer({ embedded: false })).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(env)),
        Effect.fork
      )
      const url = `http://127.0.0.1:${port}`
      yield* eventually("the server to answer", Effect.map(health(url), (status) => status === 200))
      yield* Fiber.interrupt(fiber)
      expect(yield* health(url)).toBe("refused")
    }).pipe(Effect.scoped), 60_000)
})
