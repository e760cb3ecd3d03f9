import { describe, expect, layer as withLayer } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as EventStore from "../../src/EventStore.js"
import * as Invocation from "../../src/Invocation.js"
import { at, failed, newKey, newRunId, started, succeeded } from "./fixtures.js"

/** The behaviour every implementation of EventStore must have. */
export const eventStoreContract = (name: string, layer: Layer.Layer<EventStore.EventStore, unknown>) =>
  describe(`${name} contract`, () => {
    withLayer(layer, { timeout: 120_000, excludeTestServices: true })((it) => {
      it.effect("appends a new stream and reads it back", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          const result = yield* store.appendRun(runId, 0, [started(runId), succeeded(runId)], { actor: "test" })
          expect(result._tag).toBe("Appended")
          if (result._tag !== "Appended") return
          expect(result.version).toBe(2)
          expect(result.events.map((event) => event.version)).toEqual([1, 2])
          expect(result.events[1]!.position > result.events[0]!.position).toBe(true)
          const read = yield* store.readRun(runId)
          expect(read.version).toBe(2)
          expect(read.events.map((event) => event._tag)).toEqual(["RunStarted", "RunSucceeded"])
          expect(read.events[0]).toEqual(started(runId))
          const stored = yield* store.readStream(EventStore.runStream(runId))
          expect(stored[0]!.metadata).toEqual({ actor: "test" })
          expect(stored[0]!.hash).toMatch(/^[0-9a-f]{64}$/)
        }))

      it.effect("returns original positions for a duplicate whatever the expected version", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          const first = yield* store.appendRun(runId, 0, [started(runId)])
          const again = yield* store.appendRun(runId, 0, [started(runId)], { actor: "other" })
          const stale = yield* store.appendRun(runId, 7, [started(runId)])
          expect(again._tag).toBe("Duplicate")
          expect(stale._tag).toBe("Duplicate")
          expect(again.events).toEqual(first.events)
          expect(stale.events).toEqual(first.events)
          const stored = yield* store.readStream(EventStore.runStream(runId))
          expect(stored).toHaveLength(1)
          expect(stored[0]!.metadata).toEqual({})
        }))

      it.effect("appends the rest after leading duplicates", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          const first = yield* store.appendRun(runId, 0, [started(runId)])
          const result = yield* store.appendRun(runId, 0, [started(runId), succeeded(runId)])
          expect(result._tag).toBe("Appended")
          if (result._tag !== "Appended") return
          expect(result.duplicates).toEqual(first.events)
          expect(result.events.map((event) => event.version)).toEqual([2])
          expect((yield* store.readRun(runId)).version).toBe(2)
        }))

      it.effect("rejects a stale expected version with the actual one", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          yield* store.appendRun(runId, 0, [started(runId)])
          const error = yield* Effect.flip(
            store.appendRun(runId, 0, [started(runId, { occurredAt: "2026-04-08T14:33:27.076Z" }), succeeded(runId)])
              .pipe(
                Effect.zipRight(store.appendRun(runId, 0, [failed(runId)]))
              )
          )
          expect(error._tag).toBe("StreamVersionConflict")
          if (error._tag !== "StreamVersionConflict") return
          expect(error.expected).toBe(0)
          expect(error.actual).toBe(2)
        }))

      it.effect("rejects an event id reused with different content", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          yield* store.appendRun(runId, 0, [started(runId)])
          const error = yield* Effect.flip(
            store.appendRun(runId, 0, [started(runId, { inputParameters: { order_id: "other" } })])
          )
          expect(error._tag).toBe("EventIdConflict")
          expect(error.message).toBe(
            `Events ${
              started(runId).eventId
            } cannot be appended to stream run/${runId}: they are stored with a different type, data or occurrence time`
          )
          const timeError = yield* Effect.flip(
            store.appendRun(runId, 0, [started(runId, { occurredAt: "2026-04-08T14:33:28.000Z" })])
          )
          expect(timeError._tag).toBe("EventIdConflict")
          expect((yield* store.readRun(runId)).version).toBe(1)
        }))

      it.effect("rejects stored events that are not the batch's leading part", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          yield* store.appendRun(runId, 0, [started(runId)])
          yield* store.appendRun(runId, 1, [succeeded(runId)])
          const error = yield* Effect.flip(store.appendRun(runId, 1, [failed(runId), succeeded(runId)]))
          expect(error._tag).toBe("StreamVersionConflict")
          expect((yield* store.readRun(runId)).version).toBe(2)
        }))

      it.effect("rejects invalid append arguments", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          for (const expected of [-1, 0.5, Number.NaN]) {
            const error = yield* Effect.flip(store.appendRun(runId, expected, [started(runId)]))
            expect(error._tag).toBe("InvalidAppend")
            expect(error.message).toContain(`expected version ${expected}`)
          }
          const other = newRunId()
          const foreign = yield* Effect.flip(store.appendRun(runId, 0, [started(other)]))
          expect(foreign._tag).toBe("InvalidAppend")
          expect(foreign.message).toContain(
            `belongs to stream ${EventStore.runStream(other)}; append it to that stream`
          )
          expect((yield* store.readRun(runId)).version).toBe(0)
          expect((yield* store.readRun(other)).version).toBe(0)
        }))

      it.effect("rejects an unstorable event time", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          // Events built in code are not range-checked, so these reach the store.
          for (const time of ["0000-06-01T00:00:00.000Z", "+010000-01-01T00:00:00.000Z"]) {
            const error = yield* Effect.flip(store.appendRun(runId, 0, [succeeded(runId, time)]))
            expect(error._tag).toBe("InvalidAppend")
            expect(error.message).toContain(`occurred at ${time}, outside the years 0001 to 9999`)
          }
          const inBatch = yield* Effect.flip(
            store.appendRun(runId, 0, [started(runId), succeeded(runId, "0000-01-01T00:00:00.000Z")])
          )
          expect(inBatch._tag).toBe("InvalidAppend")
          const key = newKey()
          const attempt = Invocation.requested({
            idempotencyKey: key,
            occurredAt: at("0000-12-31T23:59:59.999Z"),
            workflow: started(runId).workflow,
            inputParameters: {},
            actor: "ops@example.com"
          })
          const invocationError = yield* Effect.flip(store.appendInvocation(key, 0, [attempt]))
          expect(invocationError._tag).toBe("InvalidAppend")
          expect((yield* store.readRun(runId)).version).toBe(0)
          expect((yield* store.readInvocation(key)).version).toBe(0)
          const boundary = yield* store.appendRun(runId, 0, [
            started(runId, { occurredAt: "0001-01-01T00:00:00.000Z" })
          ])
          expect(boundary._tag).toBe("Appended")
          const read = yield* store.readRun(runId)
          expect(DateTime.formatIso(read.events[0]!.occurredAt)).toBe("0001-01-01T00:00:00.000Z")
        }))

      it.effect("returns the current version for an empty batch", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          yield* store.appendRun(runId, 0, [started(runId)])
          const result = yield* store.appendRun(runId, 5, [])
          expect(result._tag).toBe("Appended")
          expect(result._tag === "Appended" ? result.version : -1).toBe(1)
          expect(result.events).toEqual([])
        }))

      it.effect("rejects a batch that repeats an event id", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          const event = started(runId)
          const error = yield* Effect.flip(store.appendRun(runId, 0, [event, event]))
          expect(error._tag).toBe("EventIdConflict")
          expect(error.message).toBe(
            `Events ${event.eventId} cannot be appended to stream run/${runId}: the batch contains these ids more than once`
          )
          expect((yield* store.readRun(runId)).version).toBe(0)
        }))

      it.effect("appends with any expected version", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          yield* store.appendRun(runId, "any", [started(runId)])
          const result = yield* store.appendRun(runId, "any", [succeeded(runId)])
          expect(result._tag).toBe("Appended")
          expect((yield* store.readRun(runId)).version).toBe(2)
        }))

      it.effect("chains hashes across appends", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const one = newRunId()
          const two = newRunId()
          yield* store.appendRun(one, 0, [started(one), succeeded(one)])
          yield* store.appendRun(two, 0, [started(two)])
          yield* store.appendRun(two, 1, [succeeded(two)])
          const streamOne = yield* store.readStream(EventStore.runStream(one))
          const streamTwo = yield* store.readStream(EventStore.runStream(two))
          expect(streamTwo[0]!.hash).not.toBe(streamOne[0]!.hash)
          expect(new Set(streamOne.map((event) => event.hash)).size).toBe(2)
        }))

      it.effect("stores a nul character losslessly and accepts its redelivery", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          const inputParameters = { "note\u0000key": "a\u0000b", marker: "\uffffstarts", surrogate: "x\ud800y" }
          const event = started(runId, { inputParameters })
          yield* store.appendRun(runId, 0, [event], { source: "evt\u00001" })
          const redelivered = yield* store.appendRun(runId, 0, [started(runId, { inputParameters })])
          expect(redelivered._tag).toBe("Duplicate")
          const read = yield* store.readRun(runId)
          expect(read.events[0]).toEqual(event)
          const stored = yield* store.readStream(EventStore.runStream(runId))
          expect(stored[0]!.metadata).toEqual({ source: "evt\u00001" })
        }))

      it.effect("keeps jsonb keys unchanged", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          const inputParameters = { snake_case: 1, camelCase: 2, "Mixed-Key": { inner_key: [1, { deepKey: true }] } }
          yield* store.appendRun(runId, 0, [started(runId, { inputParameters })], {
            correlation_id: "c",
            causationId: "d"
          })
          const stored = yield* store.readStream(EventStore.runStream(runId))
          const trigger = stored[0]!.data.trigger as { manual: { input_parameters: unknown } }
          expect(trigger.manual.input_parameters).toEqual(inputParameters)
          expect(stored[0]!.metadata).toEqual({ correlation_id: "c", causationId: "d" })
        }))

      it.effect("records invocation attempts including rejected ones", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const accepted = newKey()
          const refused = newKey()
          const runId = newRunId()
          const requested = (key: Invocation.IdempotencyKey) =>
            Invocation.requested({
              idempotencyKey: key,
              occurredAt: at("2026-04-08T14:33:27.000Z"),
              workflow: started(runId).workflow,
              inputParameters: { order_id: "o-1" },
              actor: "ops@example.com"
            })
          yield* store.appendInvocation(accepted, 0, [requested(accepted)])
          yield* store.appendInvocation(accepted, 1, [
            Invocation.outcomeUnknown({
              idempotencyKey: accepted,
              occurredAt: at("2026-04-08T14:33:30.000Z"),
              occurrence: 1,
              errorTag: "StripeConnectionError",
              message: "socket hang up"
            }),
            Invocation.succeeded(accepted, at("2026-04-08T14:33:31.000Z"), runId)
          ])
          yield* store.appendInvocation(refused, 0, [
            requested(refused),
            Invocation.rejected({
              idempotencyKey: refused,
              occurredAt: at("2026-04-08T14:33:28.000Z"),
              errorTag: "WorkflowNotInvokable",
              code: "workflow_not_invokable",
              message: "The workflow is not active",
              requestId: "req_123"
            })
          ])
          const acceptedEvents = yield* store.readInvocation(accepted)
          expect(acceptedEvents.events.map((event) => event._tag)).toEqual([
            "InvocationRequested",
            "InvocationOutcomeUnknown",
            "InvocationSucceeded"
          ])
          expect(acceptedEvents.events[0]!.eventId).toBe(Invocation.invocationEventId(accepted, "requested"))
          const refusedEvents = yield* store.readInvocation(refused)
          expect(refusedEvents.events[1]).toEqual(
            Invocation.rejected({
              idempotencyKey: refused,
              occurredAt: at("2026-04-08T14:33:28.000Z"),
              errorTag: "WorkflowNotInvokable",
              code: "workflow_not_invokable",
              message: "The workflow is not active",
              requestId: "req_123"
            })
          )
        }))

      it.effect("reads the global feed in order after a checkpoint", () =>
        Effect.gen(function*() {
          const store = yield* EventStore.EventStore
          const runId = newRunId()
          yield* store.appendRun(runId, 0, [started(runId)])
          const [mine] = yield* store.readStream(EventStore.runStream(runId))
          yield* store.appendRun(runId, 1, [succeeded(runId)])
          const after = { txId: mine!.txId, position: mine!.position - 1n }
          const events = yield* store.feed({ after, batchSize: 2 }).pipe(
            Stream.filter((event) => event.stream === EventStore.runStream(runId)),
            Stream.take(2),
            Stream.runCollect
          )
          expect([...events].map((event) => event.version)).toEqual([1, 2])
        }))
    })
  })
