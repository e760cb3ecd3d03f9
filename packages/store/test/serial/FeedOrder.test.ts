import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Database from "../../src/Database.js"
import * as EventStore from "../../src/EventStore.js"
import * as Invocation from "../../src/Invocation.js"
import * as PgEventStore from "../../src/PgEventStore.js"
import { at, newKey, newRunId, started, succeeded } from "../support/fixtures.js"
import { waitFor } from "../support/wait.js"

// Its own embedded server: these tests hold write transactions open, and the feed's horizon is
// server-wide.
const layer = PgEventStore.layer.pipe(Layer.provideMerge(Database.layerEmbedded({ maxConnections: 24 })))

const endOfFeed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql.unsafe<{ tx_id: bigint; position: bigint }>(
    "select tx_id, position from run_events order by tx_id desc, position desc limit 1"
  )
  const row = rows[0]
  return row === undefined ? EventStore.start : { txId: BigInt(row.tx_id), position: BigInt(row.position) }
})

describe("global feed", () => {
  withLayer(layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("returns a late commit with a lower position before a later one", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const after = yield* endOfFeed
        const early = newRunId()
        const late = newRunId()
        const appended = yield* Deferred.make<EventStore.AppendResult>()
        const commit = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(sql.withTransaction(
          Effect.gen(function*() {
            yield* Deferred.succeed(appended, yield* store.appendRun(early, 0, [started(early)]))
            yield* Deferred.await(commit)
          })
        ))
        const lower = yield* Deferred.await(appended)
        const higher = yield* store.appendRun(late, 0, [started(late)])
        expect(higher.events[0]!.position > lower.events[0]!.position).toBe(true)

        // While the lower position's transaction is open, the later commit is not readable.
        const whileOpen = yield* store.readFeed(after, 100)
        expect(whileOpen.map((event) => event.stream)).not.toContain(EventStore.runStream(late))

        yield* Deferred.succeed(commit, undefined)
        yield* Fiber.join(holder)
        const events = yield* waitFor(
          "both events",
          Effect.map(store.readFeed(after, 100), (events) => {
            const mine = events.filter((event) =>
              event.stream === EventStore.runStream(early) || event.stream === EventStore.runStream(late)
            )
            return mine.length === 2 ? mine : undefined
          })
        )
        expect(events.map((event) => event.stream)).toEqual([EventStore.runStream(early), EventStore.runStream(late)])
      }))

    it.effect("never stalls on a rolled-back position", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const after = yield* endOfFeed
        const rolledBack = newRunId()
        const kept = newRunId()
        const failure = yield* Effect.flip(sql.withTransaction(
          Effect.zipRight(store.appendRun(rolledBack, 0, [started(rolledBack)]), Effect.fail("roll back" as const))
        ))
        expect(failure).toBe("roll back")
        yield* store.appendRun(kept, 0, [started(kept), succeeded(kept)])
        const events = yield* waitFor(
          "the committed events",
          Effect.map(store.readFeed(after, 100), (events) => (events.length >= 2 ? events : undefined)),
          "5 seconds"
        )
        expect(events.map((event) => event.stream)).toEqual([EventStore.runStream(kept), EventStore.runStream(kept)])
        expect(events[1]!.position - events[0]!.position).toBe(1n)
      }))

    it.effect("keeps each stream's order under many writers on a few hot streams", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const after = yield* endOfFeed
        const keys = [newKey(), newKey(), newKey()]
        yield* Effect.forEach(keys, (key) =>
          store.appendInvocation(key, 0, [
            Invocation.requested({
              idempotencyKey: key,
              occurredAt: at("2026-04-08T14:33:27.000Z"),
              workflow: started(newRunId()).workflow,
              inputParameters: {},
              actor: null
            })
          ]))
        const perWriter = 12
        // Half of the writers also write an inbox row after the append, in the same transaction.
        const write = (writer: number, index: number): Effect.Effect<void, unknown> => {
          const key = keys[(writer + index) % keys.length]!
          const attempt = Effect.gen(function*() {
            const { version } = yield* store.readInvocation(key)
            const event = Invocation.outcomeUnknown({
              idempotencyKey: key,
              occurredAt: at("2026-04-08T14:33:30.000Z"),
              occurrence: writer * 1000 + index + 1,
              errorTag: "StripeConnectionError",
              message: "timed out"
            })
            if (writer % 2 === 0) {
              yield* store.appendInvocation(key, version, [event])
            } else {
              yield* sql.withTransaction(Effect.zipRight(
                store.appendInvocation(key, version, [event]),
                sql.unsafe("insert into webhook_inbox (event_id, raw_body, outcome) values ($1, '{}', 'recorded')", [
                  `evt_${event.eventId}`
                ])
              ))
            }
          })
          return attempt.pipe(Effect.catchTag("StreamVersionConflict", () => write(writer, index)))
        }
        yield* Effect.forEach(
          Array.from({ length: 16 }, (_, writer) => writer),
          (writer) =>
            Effect.forEach(Array.from({ length: perWriter }, (_, index) => index), (index) => write(writer, index)),
          { concurrency: "unbounded" }
        )
        const total = keys.length * (1 + 0) + 16 * perWriter
        const events = yield* waitFor(
          "every event in the feed",
          Effect.map(store.readFeed(after, 10_000), (events) => (events.length >= total ? events : undefined))
        )
        for (const key of keys) {
          const versions = events
            .filter((event) => event.stream === EventStore.invocationStream(key))
            .map((event) => event.version)
          expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1))
        }
        expect(events).toHaveLength(total)
      }))
  })
})
