import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import type { Ids } from "@workflow-runs/core"
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

    it.effect("rebuilds runs across batch boundaries", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const batchSize = 7
        // Every run starts before any finishes, so most runs' events fall into two batches.
        const runIds = Array.from({ length: 40 }, () => newRunId())
        yield* Effect.forEach(
          runIds,
          (runId, index) => store.appendRun(runId, 0, [started(runId, { inputParameters: { index } })]),
          { concurrency: 4 }
        )
        yield* Effect.forEach(runIds, (runId, index) =>
          index % 3 === 0
            ? store.appendRun(runId, 1, [failed(runId, `2026-04-08T15:${String(index).padStart(2, "0")}:00.000Z`)])
            : index % 3 === 1
            ? store.appendRun(runId, 1, [succeeded(runId)])
            : Effect.void, { concurrency: 4 })
        // Whole runs in one append, so a batch contains several events of one run.
        const whole = Array.from({ length: 6 }, () => newRunId())
        yield* Effect.forEach(whole, (runId) => store.appendRun(runId, 0, [started(runId), failed(runId)]))
        // The store does not check transitions, and neither head rejects a finish after a finish.
        const refinished = newRunId()
        yield* store.appendRun(refinished, 0, [started(refinished)])
        yield* store.appendRun(refinished, 1, [failed(refinished)])
        yield* store.appendRun(refinished, 2, [succeeded(refinished, "2026-04-08T16:00:00.000Z")])

        // The batches the rebuild reads, to check that the log has both cases.
        const batches = new Map<string, Set<number>>()
        let checkpoint = EventStore.start
        for (let batch = 0;; batch++) {
          const events = yield* store.readFeed(checkpoint, batchSize)
          for (const event of events) {
            batches.set(event.stream, (batches.get(event.stream) ?? new Set()).add(batch))
          }
          if (events.length < batchSize) break
          checkpoint = EventStore.checkpointOf(events[events.length - 1]!)
        }
        const batchesOf = (runId: Ids.WorkflowRunId) => batches.get(EventStore.runStream(runId))?.size
        expect(runIds.filter((runId, index) => index % 3 !== 2 && batchesOf(runId) === 2).length).toBeGreaterThan(20)
        expect(whole.some((runId) => batchesOf(runId) === 1)).toBe(true)
        expect(batchesOf(refinished)).toBeGreaterThanOrEqual(1)

        const result = yield* Rebuild.rebuildRuns({ batchSize })
        expect(yield* differences("workflow_runs", result.table)).toBe(0)
        const heads = yield* sql.unsafe<{ run_id: string; version: number; status: string; error_message: string }>(
          `select run_id, version::int as version, status, error_message from ${result.table}
           where run_id = any($1::text[])`,
          [[runIds[0]!, runIds[1]!, runIds[2]!, refinished]]
        )
        const byRun = new Map(heads.map((head) => [head.run_id, head]))
        expect(byRun.get(runIds[0]!)).toMatchObject({ version: 2, status: "failed", error_message: "card_declined" })
        expect(byRun.get(runIds[1]!)).toMatchObject({ version: 2, status: "succeeded", error_message: null })
        expect(byRun.get(runIds[2]!)).toMatchObject({ version: 1, status: "started" })
        expect(byRun.get(refinished)).toMatchObject({ version: 3, status: "succeeded", error_message: "card_declined" })
        yield* sql.unsafe(`drop table ${result.table}`)
      }))

    it.effect("rejects a run event that skips its head", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const gapped = newRunId()
        const headless = newRunId()
        yield* store.appendRun(gapped, 0, [started(gapped)])
        yield* store.appendRun(gapped, 1, [failed(gapped)])
        yield* store.appendRun(gapped, 2, [succeeded(gapped)])
        yield* store.appendRun(headless, 0, [started(headless), succeeded(headless)])
        // A feed that lost one event of a run, which the append-only log cannot produce.
        const feedWithout = (stream: string, version: number) =>
          EventStore.EventStore.of({
            ...store,
            readFeed: (after, limit) =>
              Effect.map(
                store.readFeed(after, limit),
                (events) => events.filter((event) => event.stream !== stream || event.version !== version)
              )
          })
        const rebuildWithout = (stream: string, version: number) =>
          Effect.flip(
            Rebuild.rebuildRuns().pipe(
              Effect.provideService(EventStore.EventStore, feedWithout(stream, version))
            )
          )

        // The versions around the gap are in one page, so the fold itself rejects the gap.
        const gap = yield* rebuildWithout(EventStore.runStream(gapped), 2)
        expect(gap._tag).toBe("StoreError")
        expect(gap.message).toContain(`event 3 of run/${gapped} does not follow the rebuilt head`)
        // Without its first event the run has no head to update.
        const missing = yield* rebuildWithout(EventStore.runStream(headless), 1)
        expect(missing.message).toContain(`event 2 of run/${headless} does not follow the rebuilt head`)

        const leftovers = yield* sql.unsafe<{ name: string }>(
          "select tablename as name from pg_tables where tablename like 'workflow_runs_rebuild_%'"
        )
        yield* Effect.forEach(leftovers, ({ name }) => sql.unsafe(`drop table ${name}`), { discard: true })
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
