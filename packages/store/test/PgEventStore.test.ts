import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import type { Ids } from "@workflow-runs/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import * as Consumer from "../src/Consumer.js"
import * as Database from "../src/Database.js"
import * as EventStore from "../src/EventStore.js"
import * as Invocation from "../src/Invocation.js"
import * as Migrations from "../src/Migrations.js"
import * as PgEventStore from "../src/PgEventStore.js"
import * as RunLog from "../src/RunLog.js"
import { pgStore } from "./support/database.js"
import { at, failed, newKey, newRunId, started, succeeded } from "./support/fixtures.js"
import { urlOf } from "./support/urls.js"

const unknownOutcome = (key: Invocation.IdempotencyKey, occurrence: number) =>
  Invocation.outcomeUnknown({
    idempotencyKey: key,
    occurredAt: at("2026-04-08T14:33:30.000Z"),
    occurrence,
    errorTag: "StripeConnectionError",
    message: `attempt ${occurrence} timed out`
  })

// Writes an inbox row for the run's notification, a write other than the append.
const recordInboxRow = (sql: SqlClient.SqlClient, runId: string) =>
  sql.unsafe<{ outcome: string }>(
    "insert into webhook_inbox (event_id, raw_body, outcome) values ($1, '{}', 'recorded') returning outcome",
    [`evt_${runId}`]
  )

describe("postgres store", () => {
  withLayer(pgStore, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("gives exactly one winner per version among 20 concurrent writers", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const key = newKey()
        yield* store.appendInvocation(key, 0, [
          Invocation.requested({
            idempotencyKey: key,
            occurredAt: at("2026-04-08T14:33:27.000Z"),
            workflow: started(newRunId()).workflow,
            inputParameters: {},
            actor: null
          })
        ])
        // Each writer reads the version, appends with it, and retries a lost compare-and-set.
        const write = (occurrence: number): Effect.Effect<EventStore.AppendResult, unknown> =>
          Effect.gen(function*() {
            const { version } = yield* store.readInvocation(key)
            return yield* store.appendInvocation(key, version, [unknownOutcome(key, occurrence)])
          }).pipe(Effect.catchTag("StreamVersionConflict", () => write(occurrence)))
        const results = yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i + 1), write, {
          concurrency: "unbounded"
        })
        const versions = results.map((result) => {
          expect(result._tag).toBe("Appended")
          return result._tag === "Appended" ? result.events[0]!.version : -1
        })
        expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2))
        const stored = yield* store.readInvocation(key)
        expect(stored.version).toBe(21)
        results.forEach((result, index) => {
          const mine = stored.events.find((event) => event.eventId === unknownOutcome(key, index + 1).eventId)
          expect(mine).toBeDefined()
          expect(stored.events.indexOf(mine!) + 1).toBe(result.events[0]!.version)
        })
      }))

    it.effect("tells both racers of the same event about one row", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        for (let round = 0; round < 10; round++) {
          const runId = newRunId()
          const [first, second] = yield* Effect.all([
            store.appendRun(runId, 0, [started(runId)]),
            store.appendRun(runId, 0, [started(runId)])
          ], { concurrency: 2 })
          const rows = yield* sql.unsafe<{ n: number }>(
            "select count(*)::int as n from run_events where stream_id = $1",
            [EventStore.runStream(runId)]
          )
          expect(rows[0]!.n).toBe(1)
          expect([first._tag, second._tag].sort()).toEqual(["Appended", "Duplicate"])
          expect(first.events[0]!.position).toBe(second.events[0]!.position)
        }
      }))

    it.effect("rejects update and delete on the log", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const runId = newRunId()
        yield* store.appendRun(runId, 0, [started(runId)])
        const stream = EventStore.runStream(runId)
        const update = yield* Effect.flip(sql.unsafe("update run_events set type = 'X' where stream_id = $1", [stream]))
        expect(String((update.cause as Error).message)).toContain("append-only")
        const remove = yield* Effect.flip(sql.unsafe("delete from run_events where stream_id = $1", [stream]))
        expect(String((remove.cause as Error).message)).toContain("append-only")
        expect((yield* store.readRun(runId)).version).toBe(1)
      }))

    it.effect("refuses an append that is not its transaction's first write", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const runId = newRunId()
        const other = newRunId()
        const afterInbox = yield* Effect.flip(sql.withTransaction(
          Effect.zipRight(
            recordInboxRow(sql, runId),
            store.appendRun(runId, 0, [started(runId)])
          )
        ))
        expect(afterInbox._tag).toBe("AppendNotFirstWrite")
        const secondStream = yield* Effect.flip(sql.withTransaction(
          Effect.zipRight(store.appendRun(runId, 0, [started(runId)]), store.appendRun(other, 0, [started(other)]))
        ))
        expect(secondStream._tag).toBe("AppendNotFirstWrite")
        yield* sql.withTransaction(
          Effect.zipRight(
            store.appendRun(runId, 0, [started(runId)]),
            recordInboxRow(sql, runId)
          )
        )
        expect((yield* store.readRun(runId)).version).toBe(1)
        expect((yield* store.readRun(other)).version).toBe(0)
      }))

    it.effect("detects a redelivery inside a transaction", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const runId = newRunId()
        const first = yield* store.appendRun(runId, 0, [started(runId)])
        // The stream is at version 1, so the compare-and-set would pass. The function must find the
        // stored event first, because a unique violation would abort the transaction.
        const [again, changed, recorded] = yield* sql.withTransaction(
          Effect.all([
            store.appendRun(runId, 1, [started(runId)]),
            Effect.flip(store.appendRun(runId, 1, [started(runId, { inputParameters: { order_id: "other" } })])),
            recordInboxRow(sql, runId)
          ])
        )
        expect(again._tag).toBe("Duplicate")
        expect(again.events).toEqual(first.events)
        expect(changed._tag).toBe("EventIdConflict")
        expect(recorded).toEqual([{ outcome: "recorded" }])
        expect((yield* store.readRun(runId)).version).toBe(1)
      }))

    it.effect("resolves appends after a head row is deleted", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const runId = newRunId()
        const first = yield* store.appendRun(runId, 0, [started(runId)])
        yield* sql.unsafe("delete from workflow_runs where run_id = $1", [runId])
        // Expecting version 0 creates the head again, so only the log's unique keys stop the event.
        const again = yield* store.appendRun(runId, 0, [started(runId)])
        expect(again._tag).toBe("Duplicate")
        expect(again.events).toEqual(first.events)
        const changed = yield* Effect.flip(
          store.appendRun(runId, 0, [started(runId, { inputParameters: { order_id: "other" } })])
        )
        expect(changed._tag).toBe("EventIdConflict")
        const other = yield* Effect.flip(store.appendRun(runId, 0, [failed(runId)]))
        expect(other._tag).toBe("StreamVersionConflict")
        const heads = yield* sql.unsafe<{ count: number }>(
          "select count(*)::int as count from workflow_runs where run_id = $1",
          [runId]
        )
        expect(heads).toEqual([{ count: 0 }])
        expect((yield* store.readRun(runId)).version).toBe(1)
      }))

    it.effect("settles heads with heap-only updates", () =>
      Effect.gen(function*() {
        // A schema of its own, because other test files fill the shared tables' pages, which can
        // leave the settling update no room on its page. Copying a new database would hold a
        // transaction open and stall the other tests' feeds.
        const admin = yield* SqlClient.SqlClient
        const client = yield* PgClient.PgClient
        const schema = `wr_hot_heads_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`
        yield* admin.unsafe(`create schema ${schema}`)
        const url = urlOf(client, { options: `-c search_path=${schema}` })
        const drop = Effect.orDie(admin.unsafe(`drop schema ${schema} cascade`))
        const settle = Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const sql = yield* SqlClient.SqlClient
          const runId = newRunId()
          const key = newKey()
          yield* store.appendRun(runId, 0, [started(runId)])
          yield* store.appendInvocation(key, 0, [
            Invocation.requested({
              idempotencyKey: key,
              occurredAt: at("2026-04-08T14:33:27.000Z"),
              workflow: started(runId).workflow,
              inputParameters: { order_id: "o-1" },
              actor: null
            })
          ])
          // The connection's pending update counters include this transaction's, so their growth
          // across the append shows whether the head's update was heap-only. Reading them writes
          // nothing, so the append stays the transaction's first write.
          const counters = (table: string) =>
            sql.unsafe<{ updated: number; hot: number }>(
              `select pg_stat_get_xact_tuples_updated('${table}'::regclass)::int as updated,
                      pg_stat_get_xact_tuples_hot_updated('${table}'::regclass)::int as hot`
            ).pipe(Effect.map((rows) => rows[0]!))
          const updatesOf = <A, E, R>(table: string, append: Effect.Effect<A, E, R>) =>
            sql.withTransaction(Effect.gen(function*() {
              const before = yield* counters(table)
              yield* append
              const after = yield* counters(table)
              return { updated: after.updated - before.updated, hot: after.hot - before.hot }
            }))
          const run = yield* updatesOf("workflow_runs", store.appendRun(runId, 1, [succeeded(runId)]))
          const attempt = yield* updatesOf(
            "invocations",
            store.appendInvocation(key, 1, [Invocation.succeeded(key, at("2026-04-08T14:33:28.000Z"), runId)])
          )
          const status = yield* sql.unsafe<{ status: string }>(
            "select status from workflow_runs where run_id = $1",
            [runId]
          )
          return { attempt, run, status }
        }).pipe(
          Effect.provide(PgEventStore.layer.pipe(Layer.provideMerge(Database.layer({ url, maxConnections: 2 })))),
          Effect.ensuring(drop)
        )
        const { attempt, run, status } = yield* settle
        expect(run).toEqual({ updated: 1, hot: 1 })
        expect(attempt).toEqual({ updated: 1, hot: 1 })
        expect(status).toEqual([{ status: "succeeded" }])
      }))

    it.effect("settles heads as batches do", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        // Each pair goes to one stream as two one-event appends, and to another as one batch. The
        // second one-event append updates the head through an update shape, or for the last run
        // pair through the update that tests every column. The batch function merges the patches.
        const runPairs = [
          (runId: Ids.WorkflowRunId) => [started(runId), succeeded(runId)],
          (runId: Ids.WorkflowRunId) => [started(runId), failed(runId)],
          (runId: Ids.WorkflowRunId) => [succeeded(runId), started(runId, { inputParameters: { n: 2 } })]
        ]
        const runHead = (runId: string) =>
          sql.unsafe(
            `select version, status, workflow_id, livemode, trigger_type, input_parameters, error_message,
                    started_at, finished_at
             from workflow_runs where run_id = $1`,
            [runId]
          )
        for (const pair of runPairs) {
          const single = newRunId()
          const batched = newRunId()
          const [first, second] = pair(single)
          yield* store.appendRun(single, 0, [first!])
          yield* store.appendRun(single, 1, [second!])
          yield* store.appendRun(batched, 0, pair(batched))
          const heads = [yield* runHead(single), yield* runHead(batched)]
          expect(heads[0]).toHaveLength(1)
          expect(heads[0]).toEqual(heads[1])
        }
        const runId = newRunId()
        const attemptPairs = [
          (key: Invocation.IdempotencyKey) => Invocation.succeeded(key, at("2026-04-08T14:33:28.000Z"), runId),
          (key: Invocation.IdempotencyKey) =>
            Invocation.rejected({
              idempotencyKey: key,
              occurredAt: at("2026-04-08T14:33:28.000Z"),
              errorTag: "StripeInvalidRequestError",
              code: "workflow_inactive",
              message: "The workflow is not active.",
              requestId: "req_1"
            }),
          (key: Invocation.IdempotencyKey) => unknownOutcome(key, 1)
        ]
        const attemptHead = (key: string) =>
          sql.unsafe(
            `select version, outcome, workflow_id, input_parameters, actor, run_id, error, requested_at, settled_at
             from invocations where idempotency_key = $1`,
            [key]
          )
        for (const settle of attemptPairs) {
          const single = newKey()
          const batched = newKey()
          const request = (key: Invocation.IdempotencyKey) =>
            Invocation.requested({
              idempotencyKey: key,
              occurredAt: at("2026-04-08T14:33:27.000Z"),
              workflow: started(newRunId()).workflow,
              inputParameters: { order_id: "o-1" },
              actor: "ops@example.com"
            })
          yield* store.appendInvocation(single, 0, [request(single)])
          yield* store.appendInvocation(single, 1, [settle(single)])
          yield* store.appendInvocation(batched, 0, [request(batched), settle(batched)])
          const heads = [yield* attemptHead(single), yield* attemptHead(batched)]
          expect(heads[0]).toHaveLength(1)
          expect(heads[0]).toEqual(heads[1])
        }
      }))

    it.effect("sets no plan_cache_mode on append functions", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const functions = yield* sql.unsafe<{ name: string; config: ReadonlyArray<string> | null }>(
          `select proname as name, proconfig as config from pg_proc
           where proname in ('append_event_to_workflow_runs', 'append_event_to_invocations')
             and pronamespace = to_regnamespace(current_schema())
           order by proname`
        )
        expect(functions).toEqual([
          { name: "append_event_to_invocations", config: null },
          { name: "append_event_to_workflow_runs", config: null }
        ])
      }))

    it.effect("keeps positions above 2^53 exact", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const current = yield* sql.unsafe<{ position: bigint | null }>(
          "select max(position) as position from run_events"
        )
        const next = (current[0]!.position ?? 0n) > 2n ** 53n ? current[0]!.position! + 10n : 2n ** 53n + 1n
        yield* sql.unsafe(`alter table run_events alter column position restart with ${next}`)
        const runId = newRunId()
        const result = yield* store.appendRun(runId, 0, [started(runId), succeeded(runId)])
        expect(result.events[0]!.position >= next).toBe(true)
        const stored = yield* store.readStream(EventStore.runStream(runId))
        expect(stored.map((event) => event.position)).toEqual(result.events.map((event) => event.position))
        expect(stored[1]!.position - stored[0]!.position).toBe(1n)
        expect(stored[0]!.position > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true)
      }))

    it.effect("round-trips timestamps under a non-UTC session time zone", () =>
      Effect.gen(function*() {
        const client = yield* PgClient.PgClient
        const url = urlOf(client, { options: "-c TimeZone=America/St_Johns" })
        const runId = newRunId()
        const occurredAt = "2026-04-08T23:59:59.987Z"
        const read = yield* Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const zone = yield* sql.unsafe<{ TimeZone: string }>("show timezone")
          expect(zone[0]!.TimeZone).toBe("America/St_Johns")
          const store = yield* EventStore.EventStore
          yield* store.appendRun(runId, 0, [started(runId, { occurredAt })])
          return yield* store.readRun(runId)
        }).pipe(
          Effect.provide(PgEventStore.layer.pipe(Layer.provideMerge(Database.layerClient({ url, maxConnections: 2 }))))
        )
        expect(read.events[0]).toEqual(started(runId, { occurredAt }))
      }))

    it.effect("prepares appends outside transactions", () =>
      Effect.gen(function*() {
        const client = yield* PgClient.PgClient
        const runId = newRunId()
        const batch = newRunId()
        const inTransaction = newRunId()
        // One connection, so the query of the prepared statements runs where the appends ran.
        const prepared = yield* Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const sql = yield* SqlClient.SqlClient
          yield* sql.withTransaction(store.appendRun(inTransaction, 0, [started(inTransaction)]))
          const beforeAppends = yield* sql.unsafe<{ name: string }>("select name from pg_prepared_statements")
          yield* store.appendRun(runId, 0, [started(runId)])
          yield* store.appendRun(batch, 0, [started(batch), succeeded(batch)])
          const inbox = (eventId: string) => ({
            eventId,
            rawBody: "{}",
            outcome: "appended",
            runId: null,
            detail: null
          })
          const withInbox = newRunId()
          const batchWithInbox = newRunId()
          yield* store.appendRun(withInbox, 0, [started(withInbox)], {}, { inbox: inbox(`evt_${withInbox}`) })
          yield* store.appendRun(batchWithInbox, 0, [started(batchWithInbox), succeeded(batchWithInbox)], {}, {
            inbox: inbox(`evt_${batchWithInbox}`)
          })
          const afterAppends = yield* sql.unsafe<{ name: string }>("select name from pg_prepared_statements")
          return { before: beforeAppends.map((row) => row.name), after: afterAppends.map((row) => row.name) }
        }).pipe(
          Effect.provide(
            PgEventStore.layer.pipe(
              Layer.provideMerge(Database.layerClient({ url: urlOf(client, {}), maxConnections: 1 }))
            )
          )
        )
        expect(prepared.before).toEqual([])
        expect([...prepared.after].sort()).toEqual([
          "append_event_to_workflow_runs",
          "append_event_to_workflow_runs_with_inbox",
          "append_to_workflow_runs",
          "append_to_workflow_runs_with_inbox"
        ])
      }))

    it.effect("traces each append in one span", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const runId = newRunId()
        const inTransaction = newRunId()
        const key = newKey()
        const spans: Array<Tracer.Span> = []
        const inner = yield* Effect.tracer
        const recording = Tracer.make({
          span: (...args) => {
            const span = inner.span(...args)
            spans.push(span)
            return span
          },
          context: (f, fiber) => inner.context(f, fiber)
        })
        yield* Effect.withTracer(
          Effect.all([
            store.appendRun(runId, 0, [started(runId), succeeded(runId)]).pipe(Effect.withSpan("caller")),
            store.appendInvocation(key, 0, [
              Invocation.requested({
                idempotencyKey: key,
                occurredAt: at("2026-04-08T14:33:27.000Z"),
                workflow: started(runId).workflow,
                inputParameters: {},
                actor: null
              })
            ]),
            sql.withTransaction(store.appendRun(inTransaction, 0, [started(inTransaction)]))
          ]),
          recording
        )
        const appends = spans.filter((span) => span.name.startsWith("EventStore.append"))
        expect(appends.map((span) => span.name)).toEqual([
          "EventStore.appendRun",
          "EventStore.appendInvocation",
          "EventStore.appendRun"
        ])
        expect(Object.fromEntries(appends[0]!.attributes)).toEqual({ run_id: runId, events: 2 })
        expect(Object.fromEntries(appends[1]!.attributes)).toEqual({ idempotency_key: key, events: 1 })
        expect(appends.map((span) => span.status._tag)).toEqual(["Ended", "Ended", "Ended"])
        const caller = spans.find((span) => span.name === "caller")!
        expect(Option.map(appends[0]!.parent, (parent) => parent.spanId)).toEqual(Option.some(caller.spanId))
        // In a transaction the statement goes through the SqlClient, whose span nests in the append's.
        const statements = spans.filter((span) =>
          span.name === "sql.execute" && Option.exists(span.parent, (parent) => parent.spanId === appends[2]!.spanId)
        )
        expect(statements).toHaveLength(1)
      }))

    it.effect("appends over a client without its pool", () =>
      Effect.gen(function*() {
        const client = yield* PgClient.PgClient
        const single = newRunId()
        const batch = newRunId()
        const read = yield* Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          yield* store.appendRun(single, 0, [started(single)])
          yield* store.appendRun(single, 1, [succeeded(single)])
          yield* store.appendRun(batch, 0, [started(batch), succeeded(batch)])
          return [yield* store.readRun(single), yield* store.readRun(batch)]
        }).pipe(
          Effect.provide(
            PgEventStore.layer.pipe(
              Layer.provide(PgClient.layer({ url: urlOf(client, {}), maxConnections: 1, types: Database.pgTypes }))
            )
          )
        )
        expect(read.map((stream) => stream.version)).toEqual([2, 2])
        expect(read[0]!.events).toEqual([started(single), succeeded(single)])
      }))

    it.effect("serves everything with a role that cannot change the log", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const client = yield* PgClient.PgClient
        const role = `wr_serve_${Math.random().toString(36).slice(2, 10)}`
        const password = `pw-${Math.random().toString(36).slice(2)}`
        yield* sql.unsafe(`create role ${role} login password '${password}'`)
        yield* sql.unsafe(`grant select, insert on run_events to ${role}`)
        yield* sql.unsafe(
          `grant select, insert, update on workflow_runs, invocations, webhook_inbox, projection_checkpoints, ${Migrations.table} to ${role}`
        )
        const runId = newRunId()
        const key = newKey()
        const outcome = yield* Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const serveSql = yield* SqlClient.SqlClient
          yield* store.appendRun(runId, 0, [started(runId)])
          yield* store.appendRun(runId, "any", [succeeded(runId)])
          yield* store.appendInvocation(key, 0, [
            Invocation.requested({
              idempotencyKey: key,
              occurredAt: at("2026-04-08T14:33:27.000Z"),
              workflow: started(runId).workflow,
              inputParameters: {},
              actor: null
            })
          ])
          const feed = yield* store.readFeed(EventStore.start, 10)
          const consumer = { name: `serve-${role}`, owner: "serve-1", batchSize: 5 }
          const step = yield* Consumer.step(consumer, yield* Consumer.acquire(consumer), () => Effect.void)
          const log = yield* RunLog.RunLog
          const history = yield* log.history(runId)
          const runs = yield* log.runs({ limit: 1 })
          const report = yield* log.verify()
          const update = yield* Effect.flip(serveSql.unsafe("update run_events set type = 'X' where false"))
          const remove = yield* Effect.flip(serveSql.unsafe("delete from run_events where false"))
          return { feed, step, history, runs, report, update, remove, run: yield* store.readRun(runId) }
        }).pipe(
          Effect.provide(
            Layer.mergeAll(PgEventStore.layer, RunLog.layer).pipe(
              Layer.provideMerge(
                // The layer that `serve` builds, which checks the migrations at start-up.
                Database.layer({ url: urlOf(client, { user: role, password }), maxConnections: 2 })
              )
            )
          ),
          Effect.ensuring(
            Effect.orDie(
              // Revoking what was granted works for a table owner without superuser rights,
              // where `drop owned by` would need membership in the role.
              Effect.zipRight(
                sql.unsafe(
                  `revoke all on run_events, workflow_runs, invocations, webhook_inbox, projection_checkpoints, ${Migrations.table} from ${role}`
                ),
                sql.unsafe(`drop role ${role}`)
              )
            )
          )
        )
        expect(outcome.run.version).toBe(2)
        expect(outcome.feed.length).toBeGreaterThan(0)
        expect(outcome.step.applied).toBe(5)
        expect(outcome.history.events).toHaveLength(2)
        expect(outcome.runs.items).toHaveLength(1)
        expect(outcome.report.events).toBeGreaterThan(0)
        expect(String((outcome.update.cause as Error).message)).toContain("permission denied")
        expect(String((outcome.remove.cause as Error).message)).toContain("permission denied")
      }))
    it.effect("writes the inbox row with a whole append", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const inboxRow = (runId: string) => ({
          eventId: `evt_${runId}`,
          rawBody: `{"id":"evt_${runId}"}`,
          outcome: "appended",
          runId,
          detail: { reason: "test" }
        })
        const rowOf = (runId: string) =>
          sql.unsafe<{ raw_body: string; outcome: string; run_id: string; detail: unknown }>(
            "select raw_body, outcome, run_id, detail from webhook_inbox where event_id = $1",
            [`evt_${runId}`]
          )
        const batch = newRunId()
        const appended = yield* store.appendRun(batch, 0, [started(batch), succeeded(batch)], {}, {
          inbox: inboxRow(batch)
        })
        expect(appended._tag).toBe("Appended")
        expect(yield* rowOf(batch)).toEqual([{
          raw_body: `{"id":"evt_${batch}"}`,
          outcome: "appended",
          run_id: batch,
          detail: { reason: "test", appended: 2 }
        }])
        const single = newRunId()
        yield* store.appendRun(single, 0, [started(single)], {}, { inbox: inboxRow(single) })
        expect(yield* rowOf(single)).toHaveLength(1)
        const inTransaction = newRunId()
        yield* sql.withTransaction(store.appendRun(inTransaction, 0, [started(inTransaction)], {}, {
          inbox: inboxRow(inTransaction)
        }))
        expect(yield* rowOf(inTransaction)).toHaveLength(1)
      }))

    it.effect("writes the inbox row only with appended events", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        const runId = newRunId()
        yield* store.appendRun(runId, 0, [started(runId)])
        const row = (eventId: string) => ({ eventId, rawBody: "{}", outcome: "appended", runId, detail: null })
        const count = (eventId: string) =>
          Effect.map(
            sql.unsafe<{ n: number }>("select count(*)::int as n from webhook_inbox where event_id = $1", [eventId]),
            (rows) => rows[0]!.n
          )
        const duplicate = yield* store.appendRun(runId, 0, [started(runId)], {}, { inbox: row(`evt_dup_${runId}`) })
        expect(duplicate._tag).toBe("Duplicate")
        expect(yield* count(`evt_dup_${runId}`)).toBe(0)
        const stale = yield* Effect.flip(
          store.appendRun(runId, 0, [failed(runId)], {}, { inbox: row(`evt_stale_${runId}`) })
        )
        expect(stale._tag).toBe("StreamVersionConflict")
        expect(yield* count(`evt_stale_${runId}`)).toBe(0)
        const different = yield* Effect.flip(
          store.appendRun(runId, 0, [started(runId, { occurredAt: "2026-04-08T14:33:28.000Z" }), failed(runId)], {}, {
            inbox: row(`evt_different_${runId}`)
          })
        )
        expect(different._tag).toBe("EventIdConflict")
        expect(yield* count(`evt_different_${runId}`)).toBe(0)
        const leading = yield* store.appendRun(runId, 0, [started(runId), succeeded(runId)], {}, {
          inbox: row(`evt_leading_${runId}`)
        })
        expect(leading._tag).toBe("Appended")
        if (leading._tag === "Appended") expect(leading.duplicates).toHaveLength(1)
        const written = yield* sql.unsafe<{ detail: unknown }>("select detail from webhook_inbox where event_id = $1", [
          `evt_leading_${runId}`
        ])
        expect(written).toEqual([{ detail: { appended: 1 } }])
      }))
  })
})
