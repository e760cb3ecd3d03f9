import { describe, expect, it } from "@effect/vitest"
import { Simulator } from "@workflow-runs/simulator"
import { Database } from "@workflow-runs/store"
import { Effect, Exit, Layer, Scope } from "effect"
import { newSecret, startProjector, testDatabaseUrl } from "./support/harness.js"
import { deliver, newEventId, thinRunEvent } from "./support/notifications.js"

describe("Outage", () => {
  it.live("answers 503 while the database is down", () =>
    Effect.gen(function*() {
      const databaseScope = yield* Scope.make()
      const url = yield* Scope.extend(testDatabaseUrl, databaseScope)
      const client = yield* Layer.build(Database.layer({ url, maxConnections: 2 }))
      const simulator = yield* Simulator.make({})
      const secret = newSecret()
      const projector = yield* startProjector(simulator, [secret]).pipe(Effect.provide(client))
      const run = yield* simulator.startRun({
        workflow: "wf_test_61SimAnyInput000000000000000000000000000000",
        trigger: "dashboard"
      })
      // Dropping the test database, or stopping the embedded server, takes the database away.
      yield* Scope.close(databaseScope, Exit.void)
      const answer = yield* deliver(projector, thinRunEvent({ eventId: newEventId(), runId: run.id }), { secret })
      expect(answer.status).toBe(503)
      expect((answer.body.error as { type: string }).type).toBe("not_recorded")
    }).pipe(Effect.scoped), 60_000)
})
