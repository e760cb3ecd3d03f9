import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Database from "../../src/Database.js"
import * as EventStore from "../../src/EventStore.js"
import * as PgEventStore from "../../src/PgEventStore.js"
import { newRunId, started } from "../support/fixtures.js"

// Its own embedded server: TRUNCATE waits for an exclusive lock, which no other test may hold.
const layer = PgEventStore.layer.pipe(Layer.provideMerge(Database.layerEmbedded({ maxConnections: 4 })))

describe("append-only log", () => {
  withLayer(layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("rejects truncate", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const runId = newRunId()
        yield* store.appendRun(runId, 0, [started(runId)])
        const truncate = yield* Effect.flip(sql.unsafe("truncate run_events"))
        expect(String((truncate.cause as Error).message)).toContain("append-only: TRUNCATE is not allowed")
        expect((yield* store.readRun(runId)).version).toBe(1)
      }))
  })
})
