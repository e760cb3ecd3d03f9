import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer } from "@effect/vitest"
import { Ids, WorkflowRun } from "@workflow-runs/core"
import { Inbox, Projector, RunProjector } from "@workflow-runs/projector"
import { Database, EventStore, Invocation } from "@workflow-runs/store"
import { Effect, Layer, Option } from "effect"
import { randomUUID } from "node:crypto"
import { database, historyTypes, recordAttempt, testDatabaseUrl } from "./support/harness.js"

const services = Projector.services.pipe(Layer.provideMerge(database))

const snapshot = (runId: string, status: "started" | "succeeded" | "failed", finishedAt: string | null) =>
  WorkflowRun.decodeUnknown({
    id: runId,
    object: "v2.extend.workflow_run",
    created: "2026-04-08T14:33:27.076Z",
    status,
    status_details: {
      failed: status === "failed" ? { error_message: "boom" } : null,
      started: {},
      succeeded: status === "succeeded" ? {} : null
    },
    status_transitions: {
      failed_at: status === "failed" ? finishedAt : null,
      started_at: "2026-04-08T14:33:27.335Z",
      succeeded_at: status === "succeeded" ? finishedAt : null
    },
    trigger: { manual: { input_parameters: { customer_id: "cus_1" } }, type: "manual" },
    workflow: "wf_test_projector",
    livemode: false
  })

// A writer over a SQL client that counts the transactions it opens.
const countingTransactions = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  let transactions = 0
  const counting = new Proxy(sql, {
    get: (target, property, receiver) =>
      property === "withTransaction"
        ? <A, E, R>(effect: Effect.Effect<A, E, R>) => {
          transactions++
          return target.withTransaction(effect)
        }
        : Reflect.get(target, property, receiver)
  })
  const projector = yield* RunProjector.make.pipe(Effect.provideService(SqlClient.SqlClient, counting))
  return { projector, transactions: () => transactions }
})

const newRunId = () => `wfrun_test_${randomUUID().replaceAll("-", "")}`

describe("RunProjector", () => {
  layer(services, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("records a terminal snapshot without its time as far as it goes", () =>
      Effect.gen(function*() {
        const projector = yield* RunProjector.RunProjector
        const runId = newRunId()
        const eventId = `evt_test_${randomUUID()}`
        const incomplete = yield* projector.record(
          yield* snapshot(runId, "succeeded", null),
          { source: "test" },
          Option.some({ eventId, rawBody: "{}" })
        )
        expect(incomplete.outcome).toBe("incomplete")
        expect(yield* historyTypes(runId)).toEqual(["RunStarted"])
        const row = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.find(eventId))
        expect(Option.map(row, (entry) => entry.outcome)).toEqual(Option.some("incomplete"))
        const complete = yield* projector.record(
          yield* snapshot(runId, "succeeded", "2026-04-08T14:33:31.902Z"),
          { source: "test" },
          Option.none()
        )
        expect([complete.outcome, complete.appended]).toEqual(["appended", 1])
        expect(yield* historyTypes(runId)).toEqual(["RunStarted", "RunSucceeded"])
      }))

    it.effect("leaves the log unchanged when the invoke's answer arrives after the notification", () =>
      Effect.gen(function*() {
        const projector = yield* RunProjector.RunProjector
        const runId = newRunId()
        const early = yield* projector.record(
          yield* snapshot(runId, "succeeded", "2026-04-08T14:33:31.902Z"),
          { source: "webhook" },
          Option.none()
        )
        expect(early.appended).toBe(2)
        const late = yield* projector.record(
          yield* snapshot(runId, "started", null),
          { source: "invoke" },
          Option.none()
        )
        expect([late.outcome, late.appended]).toEqual(["already_recorded", 0])
        expect(yield* historyTypes(runId)).toEqual(["RunStarted", "RunSucceeded"])
      }))

    it.effect("keeps a contradicting snapshot in the inbox without appending", () =>
      Effect.gen(function*() {
        const projector = yield* RunProjector.RunProjector
        const runId = newRunId()
        yield* projector.record(yield* snapshot(runId, "succeeded", "2026-04-08T14:33:31.902Z"), {}, Option.none())
        const other = yield* snapshot(runId, "failed", "2026-04-08T14:40:00.000Z")
        const eventId = `evt_test_${randomUUID()}`
        const recorded = yield* projector.record(other, {}, Option.some({ eventId, rawBody: "{}" }))
        expect(recorded.outcome).toBe("contradiction")
        expect(yield* historyTypes(runId)).toEqual(["RunStarted", "RunSucceeded"])
        const row = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.find(eventId))
        expect(Option.map(row, (entry) => entry.outcome)).toEqual(Option.some("contradiction"))
      }))

    it.effect("settles an attempt left unknown with the run Stripe started", () =>
      Effect.gen(function*() {
        const projector = yield* RunProjector.RunProjector
        const store = yield* EventStore.EventStore
        const key = Invocation.IdempotencyKey.make(`test-settle-${randomUUID()}`)
        yield* recordAttempt(key, { workflow: Ids.WorkflowId.make("wf_test_projector"), lost: true })
        const run = yield* snapshot(newRunId(), "started", null)
        expect(yield* projector.settleInvocation(key, run)).toBe(true)
        const stream = yield* store.readInvocation(key)
        expect(stream.events.map((event) => event._tag)).toEqual([
          "InvocationRequested",
          "InvocationOutcomeUnknown",
          "InvocationSucceeded"
        ])
        expect(yield* projector.settleInvocation(key, run)).toBe(false)
      }))

    it.effect("skips an unrecorded key without a transaction", () =>
      Effect.gen(function*() {
        const { projector, transactions } = yield* countingTransactions
        const key = `test-unrecorded-${randomUUID()}`
        const run = yield* snapshot(newRunId(), "started", null)
        expect(yield* projector.settleInvocation(key, run)).toBe(false)
        expect(transactions()).toBe(0)
        const store = yield* EventStore.EventStore
        const stream = yield* store.readInvocation(Invocation.IdempotencyKey.make(key))
        expect(stream.events).toEqual([])
      }))

    it.effect("reads again when the empty-stream hint is stale", () =>
      Effect.gen(function*() {
        const projector = yield* RunProjector.RunProjector
        const inbox = yield* Inbox.Inbox
        const runId = newRunId()
        const streams = { attempt: null, run: EventStore.runStream(Ids.WorkflowRunId.make(runId)) }
        const before = yield* inbox.screen(`evt_test_${randomUUID()}`, streams)
        expect(before.runStreamEmpty).toBe(true)
        const done = yield* snapshot(runId, "succeeded", "2026-04-08T14:33:31.902Z")
        yield* projector.record(done, {}, Option.none(), { runStreamEmpty: true })
        const after = yield* inbox.screen(`evt_test_${randomUUID()}`, streams)
        expect(after.runStreamEmpty).toBe(false)
        const stale = yield* projector.record(done, {}, Option.none(), { runStreamEmpty: true })
        expect([stale.outcome, stale.appended]).toEqual(["already_recorded", 0])
        const failed = yield* snapshot(runId, "failed", "2026-04-08T14:40:00.000Z")
        const contradiction = yield* projector.record(failed, {}, Option.none(), { runStreamEmpty: true })
        expect(contradiction.outcome).toBe("contradiction")
        expect(yield* historyTypes(runId)).toEqual(["RunStarted", "RunSucceeded"])
      }))
    it.effect("records events and inbox row without a transaction", () =>
      Effect.gen(function*() {
        const { projector, transactions } = yield* countingTransactions
        const runId = newRunId()
        const eventId = `evt_test_${randomUUID()}`
        const recorded = yield* projector.record(
          yield* snapshot(runId, "succeeded", "2026-04-08T14:33:31.902Z"),
          { source: "test" },
          Option.some({ eventId, rawBody: "{\"id\":1}" }),
          { runStreamEmpty: true }
        )
        expect([recorded.outcome, recorded.appended]).toEqual(["appended", 2])
        expect(transactions()).toBe(0)
        expect(yield* historyTypes(runId)).toEqual(["RunStarted", "RunSucceeded"])
        const row = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.find(eventId))
        expect(row).toEqual(Option.some({
          eventId,
          rawBody: "{\"id\":1}",
          outcome: "appended",
          runId,
          detail: { appended: 2 }
        }))
      }))

    it.scoped("screens a notification with a prepared statement", () =>
      Effect.gen(function*() {
        const url = yield* testDatabaseUrl
        // Migrations need a connection besides the one holding their lock, so the check uses a
        // client of its own, with one connection for the screen and the query after it.
        yield* Layer.build(Database.layer({ url, maxConnections: 2 }))
        const prepared = yield* Effect.gen(function*() {
          const inbox = yield* Inbox.Inbox
          const sql = yield* SqlClient.SqlClient
          const screened = yield* inbox.screen(`evt_test_${randomUUID()}`, { attempt: null, run: "run/none" })
          const names = yield* sql.unsafe<{ name: string }>("select name from pg_prepared_statements")
          return { screened, names: names.map((row) => row.name) }
        }).pipe(
          Effect.provide(Inbox.layer.pipe(Layer.provideMerge(Database.layerClient({ url, maxConnections: 1 }))))
        )
        expect(prepared.screened).toEqual({ known: false, attemptRequested: false, runStreamEmpty: true })
        expect(prepared.names).toEqual(["projector_screen_notification"])
      }))
  })
})
