import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { randomUUID } from "node:crypto"
import * as EventStore from "../src/EventStore.js"
import * as HashChain from "../src/HashChain.js"
import * as Invocation from "../src/Invocation.js"
import * as RunLog from "../src/RunLog.js"
import { pgStore } from "./support/database.js"
import { at, failed, newKey, newRunId, started, succeeded } from "./support/fixtures.js"
import { rewriteFirstEvent, tamper } from "./support/tamper.js"

const layer = RunLog.layer.pipe(Layer.provideMerge(pgStore))

const newWorkflow = () => Ids.WorkflowId.make(`wf_test_${randomUUID()}`)

const minute = (n: number) => `2026-04-08T10:${String(n).padStart(2, "0")}:00.000Z`

const brokenAt = (report: { broken: ReadonlyArray<{ stream: string; version: number }> }, stream: string) =>
  report.broken.filter((broken) => broken.stream === stream).map((broken) => broken.version)

describe("run log", () => {
  withLayer(layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("returns a run's history with raw metadata", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const log = yield* RunLog.RunLog
        const runId = newRunId()
        yield* store.appendRun(runId, 0, [started(runId)], { source: { notification: "evt_1" }, actor: "webhook" })
        yield* store.appendRun(runId, 1, [failed(runId)], { idempotency_key: "k-1" })
        const history = yield* log.history(runId)
        expect(history.events.map((event) => event.type)).toEqual(["RunStarted", "RunFailed"])
        expect(history.events[0]!.metadata).toEqual({ source: { notification: "evt_1" }, actor: "webhook" })
        expect(history.events[1]!.metadata).toEqual({ idempotency_key: "k-1" })
        const run = Option.getOrThrow(history.run)
        expect(run.status).toBe("failed")
        expect(run.errorMessage).toBe("card_declined")
        expect(run.version).toBe(2)
        expect(run.headHash).toBe(history.events[1]!.hash)
        expect(run.inputParameters).toEqual({ order_id: "o-1" })
        expect(run.triggerType).toBe("manual")
        expect((history.events[0]!.data as { trigger: unknown }).trigger).toEqual({
          type: "manual",
          manual: { input_parameters: { order_id: "o-1" } }
        })
      }))

    it.effect("pages runs by workflow, status and time", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const log = yield* RunLog.RunLog
        const workflow = newWorkflow()
        const runIds = Array.from({ length: 7 }, () => newRunId())
        yield* Effect.forEach(runIds, (runId, index) =>
          Effect.gen(function*() {
            yield* store.appendRun(runId, 0, [started(runId, { workflow, occurredAt: minute(index) })])
            if (index % 2 === 0) yield* store.appendRun(runId, 1, [succeeded(runId, minute(index + 30))])
          }), { concurrency: 4 })
        const pages: Array<ReadonlyArray<string>> = []
        let after: string | undefined = undefined
        do {
          const page: RunLog.Page<RunLog.RunSummary> = yield* log.runs({ workflowId: workflow, limit: 3, after })
          pages.push(page.items.map((run) => run.runId))
          after = Option.getOrUndefined(page.next)
          if (after !== undefined) yield* RunLog.checkCursor(after)
        } while (after !== undefined)
        expect(pages.map((page) => page.length)).toEqual([3, 3, 1])
        const forged = yield* Effect.flip(RunLog.checkCursor("garbage"))
        expect(forged._tag).toBe("InvalidCursor")
        expect(pages.flat()).toEqual(runIds)
        const succeededRuns = yield* log.runs({ workflowId: workflow, status: "succeeded" })
        expect(succeededRuns.items.map((run) => run.runId)).toEqual(runIds.filter((_, index) => index % 2 === 0))
        const window = yield* log.runs({ workflowId: workflow, from: at(minute(2)), to: at(minute(5)) })
        expect(window.items.map((run) => run.runId)).toEqual(runIds.slice(2, 5))
        const invalid = yield* Effect.flip(log.runs({ after: "not-a-cursor" }))
        expect(invalid._tag).toBe("InvalidCursor")
      }))

    it.effect("counts runs by workflow and status over a window", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const log = yield* RunLog.RunLog
        const workflow = newWorkflow()
        const outcomes = ["succeeded", "succeeded", "failed", "started"] as const
        yield* Effect.forEach(outcomes, (outcome, index) => {
          const runId = newRunId()
          const events = outcome === "succeeded"
            ? [started(runId, { workflow, occurredAt: minute(index) }), succeeded(runId)]
            : outcome === "failed"
            ? [started(runId, { workflow, occurredAt: minute(index) }), failed(runId)]
            : [started(runId, { workflow, occurredAt: minute(index) })]
          return store.appendRun(runId, 0, events)
        })
        const totals = yield* log.totals({ from: at(minute(0)), to: at(minute(59)) })
        const mine = totals.filter((total) => total.workflowId === workflow)
        expect(mine).toEqual([
          { workflowId: workflow, status: "failed", runs: 1 },
          { workflowId: workflow, status: "started", runs: 1 },
          { workflowId: workflow, status: "succeeded", runs: 2 }
        ])
        const narrow = yield* log.totals({ from: at(minute(3)), to: at(minute(4)) })
        expect(narrow.filter((total) => total.workflowId === workflow)).toEqual([
          { workflowId: workflow, status: "started", runs: 1 }
        ])
      }))

    it.effect("lists invocation attempts including rejected ones", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const log = yield* RunLog.RunLog
        const workflow = newWorkflow()
        const keys = [newKey(), newKey(), newKey()]
        yield* Effect.forEach(keys, (key, index) =>
          store.appendInvocation(key, 0, [
            Invocation.requested({
              idempotencyKey: key,
              occurredAt: at(minute(index)),
              workflow,
              inputParameters: { index },
              actor: "ops"
            }),
            index === 0
              ? Invocation.succeeded(key, at(minute(index)), newRunId())
              : Invocation.rejected({
                idempotencyKey: key,
                occurredAt: at(minute(index)),
                errorTag: "InvalidWorkflowInputParameters",
                code: "invalid_workflow_input_parameters",
                message: "order_id is required",
                requestId: `req_${index}`
              })
          ]))
        const all = yield* log.invocations({ workflowId: workflow })
        expect(all.items.map((attempt) => attempt.outcome)).toEqual(["succeeded", "rejected", "rejected"])
        expect(all.items[1]!.error).toEqual({
          tag: "InvalidWorkflowInputParameters",
          code: "invalid_workflow_input_parameters",
          message: "order_id is required",
          request_id: "req_1"
        })
        const rejected = yield* log.invocations({ workflowId: workflow, outcome: "rejected", limit: 1 })
        expect(rejected.items.map((attempt) => attempt.idempotencyKey)).toEqual([keys[1]])
        const next = yield* log.invocations({
          workflowId: workflow,
          outcome: "rejected",
          limit: 1,
          after: Option.getOrThrow(rejected.next)
        })
        expect(next.items.map((attempt) => attempt.idempotencyKey)).toEqual([keys[2]])
        expect(Option.isNone(next.next)).toBe(true)
      }))

    it.effect("verifies intact chains", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const log = yield* RunLog.RunLog
        const runId = newRunId()
        yield* store.appendRun(runId, 0, [started(runId, { inputParameters: { nul: "a\u0000b" } })])
        yield* store.appendRun(runId, 1, [succeeded(runId)])
        const report = yield* log.verify()
        expect(brokenAt(report, EventStore.runStream(runId))).toEqual([])
        const head = report.anchor.heads.find((head) => head.stream === EventStore.runStream(runId))
        expect(head?.version).toBe(2)
        expect(report.anchor.digest).toBe(HashChain.anchorDigest(report.anchor.heads))
      }))

    it.effect("detects an edited payload, a removed event and a reordered pair", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const log = yield* RunLog.RunLog
        const sql = yield* SqlClient.SqlClient
        const edited = newRunId()
        const removed = newRunId()
        const reordered = newRunId()
        const removedLast = newRunId()
        for (const runId of [edited, removed, reordered, removedLast]) {
          yield* store.appendRun(runId, 0, [started(runId), succeeded(runId)])
        }
        yield* tamper(Effect.gen(function*() {
          yield* sql.unsafe(
            `update run_events set data = jsonb_set(data, '{livemode}', 'true') where stream_id = $1 and version = 1`,
            [EventStore.runStream(edited)]
          )
          yield* sql.unsafe("delete from run_events where stream_id = $1 and version = 1", [
            EventStore.runStream(removed)
          ])
          yield* sql.unsafe("delete from run_events where stream_id = $1 and version = 2", [
            EventStore.runStream(removedLast)
          ])
          const stream = EventStore.runStream(reordered)
          yield* sql.unsafe("update run_events set version = 100 where stream_id = $1 and version = 1", [stream])
          yield* sql.unsafe("update run_events set version = 1 where stream_id = $1 and version = 2", [stream])
          yield* sql.unsafe("update run_events set version = 2 where stream_id = $1 and version = 100", [stream])
        }))
        const report = yield* log.verify()
        expect(brokenAt(report, EventStore.runStream(edited))).toEqual([1])
        expect(brokenAt(report, EventStore.runStream(removed))).toEqual([1])
        expect(brokenAt(report, EventStore.runStream(reordered))).toEqual([1])
        expect(brokenAt(report, EventStore.runStream(removedLast))).toEqual([2])
        expect(report.ok).toBe(false)
      }))

    it.effect("detects a rewrite with recomputed hashes against an anchor", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const log = yield* RunLog.RunLog
        const runId = newRunId()
        const stream = EventStore.runStream(runId)
        yield* store.appendRun(runId, 0, [started(runId), succeeded(runId)])
        // The auditor keeps the anchor as JSON text and passes it back later.
        const kept = Schema.encodeSync(HashChain.AnchorFromJson)((yield* log.verify()).anchor)
        const anchor = Schema.decodeUnknownSync(HashChain.AnchorFromJson)(kept)
        const writers = yield* Effect.fork(Effect.forEach(
          Array.from({ length: 20 }, () => newRunId()),
          (other) => store.appendRun(other, 0, [started(other), succeeded(other)]),
          { concurrency: 2 }
        ))
        yield* rewriteFirstEvent(runId)
        yield* Fiber.join(writers)
        const plain = yield* log.verify()
        expect(brokenAt(plain, stream)).toEqual([])
        const checked = yield* log.verify({ expect: anchor })
        expect(checked.anchorMismatches.filter((mismatch) => mismatch.stream === stream)).toEqual([
          expect.objectContaining({ stream, version: 2 })
        ])
        expect(checked.ok).toBe(false)
        const anchoredElsewhere = checked.anchor.heads.length
        expect(anchoredElsewhere).toBeGreaterThan(anchor.heads.length)
      }))

    it.effect("reads timestamps of the window exactly", () =>
      Effect.gen(function*() {
        const log = yield* RunLog.RunLog
        const store = yield* EventStore.EventStore
        const workflow = newWorkflow()
        const runId = newRunId()
        yield* store.appendRun(runId, 0, [started(runId, { workflow, occurredAt: "2026-04-08T10:00:00.001Z" })])
        const before = yield* log.runs({ workflowId: workflow, to: DateTime.unsafeMake("2026-04-08T10:00:00.001Z") })
        const from = yield* log.runs({ workflowId: workflow, from: DateTime.unsafeMake("2026-04-08T10:00:00.001Z") })
        expect(before.items).toEqual([])
        expect(from.items.map((run) => run.runId)).toEqual([runId])
      }))
  })
})
