import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Consumer from "../../src/Consumer.js"
import * as Database from "../../src/Database.js"
import * as EventStore from "../../src/EventStore.js"
import * as PgEventStore from "../../src/PgEventStore.js"
import * as Rebuild from "../../src/Rebuild.js"
import * as RunLog from "../../src/RunLog.js"
import { failed, newRunId, started, succeeded } from "../support/fixtures.js"
import { waitFor } from "../support/wait.js"

// Its own embedded server: a rebuild replays the whole log, and consumers wait for the horizon.
const layer = Layer.mergeAll(PgEventStore.layer, RunLog.layer).pipe(
  Layer.provideMerge(Database.layerEmbedded({ maxConnections: 16 }))
)

const appendRuns = (count: number) =>
  Effect.gen(function*() {
    const store = yield* EventStore.EventStore
    yield* Effect.forEach(Array.from({ length: count }, (_, index) => index), (index) => {
      const runId = newRunId()
      const events = index % 3 === 0
        ? [started(runId, { inputParameters: { index, nul: "a\u0000b" } }), succeeded(runId)]
        : index % 3 === 1
        ? [started(runId, { inputParameters: { index } }), failed(runId)]
        : [started(runId, { inputParameters: { index } })]
      return Effect.zipRight(
        store.appendRun(runId, 0, events.slice(0, 1)),
        store.appendRun(runId, 1, events.slice(1))
      )
    }, { concurrency: 8 })
  })

const differences = (left: string, right: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql.unsafe<{ n: number }>(
      `select count(*)::int as n from ((select * from ${left} except select * from ${right})
        union all (select * from ${right} except select * from ${left})) d`
    )
    return rows[0]!.n
  })

describe("projections", () => {
  withLayer(layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("rebuilds a projection equal to the inline one", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* appendRuns(30)
        const progress = yield* Ref.make<ReadonlyArray<Rebuild.Progress>>([])
        const result = yield* Rebuild.rebuildRuns({
          batchSize: 10,
          onProgress: (step) => Ref.update(progress, (steps) => [...steps, step])
        })
        const count = yield* sql.unsafe<{ n: number }>(`select count(*)::int as n from ${result.table}`)
        expect(count[0]!.n).toBe(30)
        expect(result.events).toBe(50)
        expect(yield* differences("workflow_runs", result.table)).toBe(0)
        const steps = yield* Ref.get(progress)
        expect(steps.length).toBeGreaterThan(3)
        expect(steps[steps.length - 1]).toMatchObject({ phase: "done", events: 50 })
        yield* sql.unsafe(`drop table ${result.table}`)
      }))

    it.effect("swaps a rebuilt projection in while appends continue", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const log = yield* RunLog.RunLog
        const sql = yield* SqlClient.SqlClient
        yield* appendRuns(20)
        const writers = yield* Effect.fork(appendRuns(40))
        const progress = yield* Ref.make<ReadonlyArray<Rebuild.Progress["phase"]>>([])
        const result = yield* Rebuild.rebuildRuns({
          swap: true,
          batchSize: 5,
          onProgress: (step) => Ref.update(progress, (phases) => [...phases, step.phase])
        })
        yield* Fiber.join(writers)
        expect(result.table).toBe("workflow_runs")
        expect(yield* Ref.get(progress)).toContain("swapped")
        const runId = newRunId()
        yield* store.appendRun(runId, 0, [started(runId), succeeded(runId)])
        const report = yield* log.verify()
        expect(report.broken).toEqual([])
        const again = yield* Rebuild.rebuildRuns()
        expect(yield* differences("workflow_runs", again.table)).toBe(0)
        yield* sql.unsafe(`drop table ${again.table}`)
      }))

    it.effect("applies each batch with its checkpoint under one lease", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql.unsafe(
          "create table if not exists seen_events (consumer text, event_id uuid, primary key (consumer, event_id))"
        )
        yield* appendRuns(12)
        const one = { name: "seen-one", owner: "instance-a", batchSize: 7 }
        const held = yield* Effect.flip(Effect.zipRight(
          Consumer.acquire(one),
          Consumer.acquire({ ...one, owner: "instance-b" })
        ))
        expect(held._tag).toBe("LeaseHeld")
        const handler: Consumer.Handler<never, SqlClient.SqlClient> = (events) =>
          Effect.orDie(Effect.forEach(events, (event) =>
            sql.unsafe("insert into seen_events (event_id, consumer) values ($1, $2)", [event.eventId, one.name])))
        const checkpoint = yield* Consumer.catchUp(one, handler)
        const seen = yield* sql.unsafe<{ n: number }>(
          "select count(*)::int as n from seen_events where consumer = $1",
          [
            one.name
          ]
        )
        const total = yield* sql.unsafe<{ n: number }>("select count(*)::int as n from run_events")
        expect(seen[0]!.n).toBe(total[0]!.n)
        const stored = yield* sql.unsafe<{ position: bigint }>(
          "select position from projection_checkpoints where name = $1",
          [one.name]
        )
        expect(BigInt(stored[0]!.position)).toBe(checkpoint.position)

        // A failing batch leaves neither its writes nor a moved checkpoint.
        yield* appendRuns(2)
        const failure = yield* Effect.flip(
          Consumer.catchUp(one, (events) =>
            Effect.zipRight(handler(events), Effect.fail("handler failed" as const)))
        )
        expect(failure).toBe("handler failed")
        const after = yield* sql.unsafe<{ position: bigint }>(
          "select position from projection_checkpoints where name = $1",
          [one.name]
        )
        expect(BigInt(after[0]!.position)).toBe(checkpoint.position)
        const seenAfter = yield* sql.unsafe<{ n: number }>(
          "select count(*)::int as n from seen_events where consumer = $1",
          [one.name]
        )
        expect(seenAfter[0]!.n).toBe(seen[0]!.n)
        yield* Consumer.release(one)
      }))

    it.effect("follows the feed with a running consumer", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql.unsafe(
          "create table if not exists seen_events (consumer text, event_id uuid, primary key (consumer, event_id))"
        )
        const options = { name: "seen-live", owner: "instance-a", batchSize: 4, pollInterval: Duration.millis(20) }
        const running = yield* Effect.fork(Consumer.run(options, (events) =>
          Effect.orDie(Effect.forEach(events, (event) =>
            sql.unsafe("insert into seen_events (consumer, event_id) values ($1, $2)", [
              options.name,
              event.eventId
            ])))))
        yield* appendRuns(5)
        const total = yield* sql.unsafe<{ n: number }>("select count(*)::int as n from run_events")
        const seen = yield* waitFor(
          "the consumer to apply every event",
          Effect.map(
            sql.unsafe<{ n: number }>("select count(*)::int as n from seen_events where consumer = $1", [options.name]),
            (rows) => (rows[0]!.n === total[0]!.n ? rows[0]!.n : undefined)
          )
        )
        yield* Fiber.interrupt(running)
        expect(seen).toBe(total[0]!.n)
      }))

    it.effect("rolls a batch back when the lease passed to another instance", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql.unsafe(
          "create table if not exists seen_events (consumer text, event_id uuid, primary key (consumer, event_id))"
        )
        yield* appendRuns(3)
        const a = { name: "seen-two", owner: "instance-a", lease: Duration.seconds(1) }
        const b = { ...a, owner: "instance-b" }
        const start = yield* Consumer.acquire(a)
        yield* Effect.sleep("1200 millis")
        yield* Consumer.acquire(b)
        const lost = yield* Effect.flip(Consumer.step(a, start, (events) =>
          Effect.orDie(Effect.forEach(events, (event) =>
            sql.unsafe("insert into seen_events (event_id, consumer) values ($1, $2)", [event.eventId, a.name])))))
        expect(lost._tag).toBe("LeaseLost")
        const seen = yield* sql.unsafe<{ n: number }>(
          "select count(*)::int as n from seen_events where consumer = $1",
          [
            a.name
          ]
        )
        expect(seen[0]!.n).toBe(0)
      }))
  })
})
