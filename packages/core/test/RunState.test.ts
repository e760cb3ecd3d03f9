import { assert, describe, expect, it } from "@effect/vitest"
import { Ids, OpenEnum, RunEvent, RunState, Timestamp, WorkflowRun } from "@workflow-runs/core"
import { Arbitrary, DateTime, Either, FastCheck as fc, Option } from "effect"
import { applySnapshot, at, invokedRun, type Progress, snapshotOf, stateJson, withId } from "./support/runs.js"

const runId = invokedRun.id
const otherRunId = Ids.WorkflowRunId.make("wfrun_test_other")
const startedAt = at("2026-04-08T14:33:27.335Z")
const finishedAt = at("2026-04-08T14:33:31.902Z")

const startedEvent = RunEvent.started({
  runId,
  occurredAt: startedAt,
  workflow: invokedRun.workflow,
  trigger: invokedRun.trigger,
  livemode: invokedRun.livemode
})
const succeededEvent = RunEvent.succeeded(runId, finishedAt)
const failedEvent = RunEvent.failed(runId, finishedAt, "Step 2 failed")

const states: Record<RunState.StateStatus, RunState.RunState> = {
  not_started: RunState.initial,
  started: RunState.RunState.Started({ started: startedEvent }),
  succeeded: RunState.RunState.Succeeded({ started: startedEvent, succeeded: succeededEvent }),
  failed: RunState.RunState.Failed({ started: startedEvent, failed: failedEvent })
}
const events: Record<RunEvent.RunEvent["_tag"], RunEvent.RunEvent> = {
  RunStarted: startedEvent,
  RunSucceeded: succeededEvent,
  RunFailed: failedEvent
}

const succeededSnapshot = snapshotOf(invokedRun, { status: "succeeded", succeededAt: finishedAt })
const failedSnapshot = snapshotOf(invokedRun, { status: "failed", failedAt: finishedAt, errorMessage: "Step 2 failed" })

const expectInvalid = (
  result: Either.Either<unknown, RunState.InvalidRunTransition>,
  from: RunState.StateStatus,
  event: RunEvent.RunEvent["_tag"]
) => {
  assert.isTrue(Either.isLeft(result), "expected an InvalidRunTransition")
  if (Either.isRight(result)) return
  expect(result.left).toBeInstanceOf(RunState.InvalidRunTransition)
  expect(result.left._tag).toBe("InvalidRunTransition")
  expect(result.left.from).toBe(from)
  expect(result.left.event).toBe(event)
  return result.left
}

describe("RunState", () => {
  describe("transition", () => {
    const table: ReadonlyArray<[RunState.StateStatus, RunEvent.RunEvent["_tag"], RunState.StateStatus | "invalid"]> = [
      ["not_started", "RunStarted", "started"],
      ["not_started", "RunSucceeded", "invalid"],
      ["not_started", "RunFailed", "invalid"],
      ["started", "RunStarted", "invalid"],
      ["started", "RunSucceeded", "succeeded"],
      ["started", "RunFailed", "failed"],
      ["succeeded", "RunStarted", "invalid"],
      ["succeeded", "RunSucceeded", "invalid"],
      ["succeeded", "RunFailed", "invalid"],
      ["failed", "RunStarted", "invalid"],
      ["failed", "RunSucceeded", "invalid"],
      ["failed", "RunFailed", "invalid"]
    ]

    it.each(table)("from %s applies %s to give %s", (from, tag, expected) => {
      const result = RunState.transition(states[from], events[tag])
      if (expected === "invalid") {
        expectInvalid(result, from, tag)
      } else {
        expect(Either.map(result, RunState.statusOf)).toEqual(Either.right(expected))
      }
    })

    it("keeps the events in the state", () => {
      const result = RunState.transition(states.started, succeededEvent)
      expect(Either.map(result, RunState.eventsOf)).toEqual(Either.right([startedEvent, succeededEvent]))
      expect(Either.map(result, RunState.isTerminal)).toEqual(Either.right(true))
    })

    it("explains why a terminal state is final", () => {
      const error = expectInvalid(RunState.transition(states.succeeded, failedEvent), "succeeded", "RunFailed")
      expect(error?.reason).toBe("the run has already finished")
      expect(error?.message).toBe(
        `Run ${runId} cannot apply RunFailed in state succeeded: the run has already finished`
      )
    })

    it("rejects an event of another run", () => {
      const event = RunEvent.succeeded(otherRunId, finishedAt)
      const error = expectInvalid(RunState.transition(states.started, event), "started", "RunSucceeded")
      expect(error?.runId).toBe(otherRunId)
      expect(error?.reason).toContain(runId)
    })

    it("reports the state's accessors", () => {
      expect(RunState.runIdOf(states.not_started)).toEqual(Option.none())
      expect(RunState.runIdOf(states.failed)).toEqual(Option.some(runId))
      expect(RunState.isTerminal(states.started)).toBe(false)
      expect(RunState.isTerminal(states.failed)).toBe(true)
      expect(RunState.eventsOf(states.not_started)).toEqual([])
    })
  })

  describe("fold", () => {
    it("gives the initial state for no events", () => {
      expect(RunState.fold([])).toEqual(Either.right(RunState.initial))
    })

    it.each(
      [
        [[startedEvent], "started"],
        [[startedEvent, succeededEvent], "succeeded"],
        [[startedEvent, failedEvent], "failed"]
      ] as const
    )("replays a valid stream to %#", (stream, status) => {
      expect(Either.map(RunState.fold(stream), RunState.statusOf)).toEqual(Either.right(status))
    })

    it("stops at the first invalid event", () => {
      expectInvalid(RunState.fold([startedEvent, succeededEvent, failedEvent, startedEvent]), "succeeded", "RunFailed")
      expectInvalid(RunState.fold([failedEvent, startedEvent]), "not_started", "RunFailed")
    })

    it("rejects a stream that repeats an event", () => {
      expectInvalid(RunState.fold([startedEvent, startedEvent]), "started", "RunStarted")
    })
  })

  describe("transitionsFrom", () => {
    it("derives the start from a started snapshot", () => {
      const result = RunState.transitionsFrom(RunState.initial, invokedRun)
      expect(result).toEqual(Either.right([startedEvent]))
      const started = Either.getOrThrow(result)[0] as RunEvent.RunStarted
      expect(started.workflow).toBe(invokedRun.workflow)
      expect(started.livemode).toBe(false)
      expect(started.inputParameters).toEqual(invokedRun.inputParameters)
      expect(DateTime.formatIso(started.occurredAt)).toBe("2026-04-08T14:33:27.335Z")
    })

    it("dates the start at created when started_at is missing", () => {
      const snapshot = snapshotOf(invokedRun, { status: "started", startedAt: null })
      const [started] = Either.getOrThrow(RunState.transitionsFrom(RunState.initial, snapshot))
      assert.isDefined(started)
      expect(started._tag).toBe("RunStarted")
      expect(DateTime.formatIso(started.occurredAt)).toBe("2026-04-08T14:33:27.076Z")
    })

    it("derives the finish from a later snapshot", () => {
      expect(RunState.transitionsFrom(states.started, succeededSnapshot)).toEqual(Either.right([succeededEvent]))
      expect(RunState.transitionsFrom(states.started, failedSnapshot)).toEqual(Either.right([failedEvent]))
    })

    it("derives start and finish in order from an early terminal snapshot", () => {
      expect(RunState.transitionsFrom(RunState.initial, succeededSnapshot)).toEqual(
        Either.right([startedEvent, succeededEvent])
      )
    })

    it("derives start and failure when the failure arrives first", () => {
      const result = Either.getOrThrow(RunState.transitionsFrom(RunState.initial, failedSnapshot))
      expect(result.map((event) => event._tag)).toEqual(["RunStarted", "RunFailed"])
      expect(result[1]).toEqual(failedEvent)
      expect((result[1] as RunEvent.RunFailed).errorMessage).toBe("Step 2 failed")
    })

    it("keeps a failure without a message", () => {
      const snapshot = snapshotOf(invokedRun, { status: "failed", failedAt: finishedAt })
      const [, failed] = Either.getOrThrow(RunState.transitionsFrom(RunState.initial, snapshot))
      expect(failed).toEqual(RunEvent.failed(runId, finishedAt, null))
    })

    it.each(
      [
        ["a duplicate start", "started", invokedRun],
        ["a duplicate success", "succeeded", succeededSnapshot],
        ["a duplicate failure", "failed", failedSnapshot],
        ["a late start after success", "succeeded", invokedRun],
        ["a late start after failure", "failed", invokedRun]
      ] as const
    )("derives nothing from %s", (_, from, snapshot) => {
      expect(RunState.transitionsFrom(states[from], snapshot)).toEqual(Either.right([]))
    })

    it.each(
      [
        ["succeeded", { status: "succeeded", succeededAt: null }],
        ["failed", { status: "failed", failedAt: null, errorMessage: "Step 2 failed" }]
      ] as const
    )("implies only the start for a %s snapshot without its time", (_, progress: Progress) => {
      const snapshot = snapshotOf(invokedRun, progress)
      expect(RunState.transitionsFrom(RunState.initial, snapshot)).toEqual(Either.right([startedEvent]))
      expect(RunState.transitionsFrom(states.started, snapshot)).toEqual(Either.right([]))
    })

    it.each(
      [
        ["succeeded", failedSnapshot, "RunFailed"],
        ["failed", succeededSnapshot, "RunSucceeded"]
      ] as const
    )("rejects a snapshot that contradicts the %s state", (from, snapshot, tag) => {
      const error = expectInvalid(RunState.transitionsFrom(states[from], snapshot), from, tag)
      expect(error?.reason).toBe("the snapshot reports the other terminal status")
    })

    it.each(["started", "succeeded", "failed"] as const)(
      "rejects a snapshot of another run in the %s state",
      (from) => {
        const snapshot = withId(succeededSnapshot, otherRunId)
        const error = expectInvalid(RunState.transitionsFrom(states[from], snapshot), from, "RunStarted")
        expect(error?.runId).toBe(otherRunId)
        expect(error?.reason).toContain(otherRunId)
      }
    )

    it.each(["not_started", "started", "succeeded", "failed"] as const)(
      "derives at most the start from an unknown status in the %s state",
      (from) => {
        const snapshot = snapshotOf(invokedRun, {
          status: new OpenEnum.UnknownValue({ value: "paused" }),
          succeededAt: finishedAt
        })
        const expected = from === "not_started" ? [startedEvent] : []
        expect(RunState.transitionsFrom(states[from], snapshot)).toEqual(Either.right(expected))
      }
    )
  })

  describe("event ids", () => {
    it("derives each id from the run and the transition", () => {
      expect(startedEvent.eventId).toBe(RunEvent.runEventId(runId, "started"))
      expect(succeededEvent.eventId).toBe(Ids.eventIdFor(`${runId}:succeeded`))
      expect(failedEvent.eventId).toBe(Ids.eventIdFor(`${runId}:failed`))
      expect(new Set([startedEvent.eventId, succeededEvent.eventId, failedEvent.eventId]).size).toBe(3)
      expect(RunEvent.runEventId(otherRunId, "started")).not.toBe(startedEvent.eventId)
    })

    it("never changes for a given run and transition", () => {
      // Stored events are deduplicated by these ids, so a change of namespace or name would
      // duplicate every run in an existing log. Python's uuid.uuid5 gives the same value.
      expect(RunEvent.runEventId(runId, "started")).toBe("aba9bf5e-4fd4-5730-8c12-728b78ed21a0")
    })

    it("gives the same events whichever path learns of the run", () => {
      const viaInvoke = applySnapshot(applySnapshot(RunState.initial, invokedRun).state, succeededSnapshot)
      const viaNotification = applySnapshot(RunState.initial, succeededSnapshot)
      expect(stateJson(viaInvoke.state)).toStrictEqual(stateJson(viaNotification.state))
      expect(viaNotification.events.map((event) => event.eventId)).toEqual([
        RunEvent.runEventId(runId, "started"),
        RunEvent.runEventId(runId, "succeeded")
      ])
    })

    it("tells the transition of each event", () => {
      expect([startedEvent, succeededEvent, failedEvent].map(RunEvent.transitionOf)).toEqual([
        "started",
        "succeeded",
        "failed"
      ])
    })
  })

  describe("properties", () => {
    const instant = Arbitrary.make(Timestamp.Timestamp)

    // A run's life as Stripe reports it: every snapshot it may send in any order, and the last.
    const lifecycle = fc.record({
      run: Arbitrary.make(WorkflowRun.WorkflowRun),
      outcome: fc.constantFrom("started" as const, "succeeded" as const, "failed" as const),
      startedAt: fc.option(instant, { nil: null }),
      finishedAt: instant,
      errorMessage: fc.option(fc.string(), { nil: null })
    }).map(({ errorMessage, finishedAt, outcome, run, startedAt }) => {
      const started = snapshotOf(run, { status: "started", startedAt })
      const unknown = snapshotOf(run, { status: new OpenEnum.UnknownValue({ value: "paused" }), startedAt })
      if (outcome === "started") return { snapshots: [started, unknown], last: started }
      const pending = snapshotOf(run, { status: outcome, startedAt, errorMessage })
      const last = snapshotOf(run, {
        status: outcome,
        startedAt,
        errorMessage,
        ...(outcome === "succeeded" ? { succeededAt: finishedAt } : { failedAt: finishedAt })
      })
      return { snapshots: [started, unknown, pending, last], last }
    })

    const deliveries = lifecycle.chain(({ last, snapshots }) =>
      fc.record({
        picks: fc.array(fc.nat({ max: snapshots.length - 1 }), { maxLength: 12 }),
        position: fc.nat()
      }).map(({ picks, position }) => {
        const delivered = picks.map((index) => snapshots[index]!)
        delivered.splice(position % (delivered.length + 1), 0, last)
        return { delivered, last }
      })
    )

    it.prop(
      "any delivery order with duplicates converges on the last snapshot",
      [deliveries],
      ([{ delivered, last }]) => {
        let state = RunState.initial
        const log: Array<RunEvent.RunEvent> = []
        for (const snapshot of delivered) {
          const step = applySnapshot(state, snapshot)
          state = step.state
          log.push(...step.events)
        }
        const once = applySnapshot(RunState.initial, last).state
        expect(stateJson(state)).toStrictEqual(stateJson(once))
        // The events written along the way form a valid stream without duplicates.
        expect(new Set(log.map((event) => event.eventId)).size).toBe(log.length)
        expect(Either.map(RunState.fold(log), stateJson)).toStrictEqual(Either.right(stateJson(once)))
      },
      { fastCheck: { numRuns: 300 } }
    )

    const runIds = [runId, otherRunId] as const
    const anyState = fc.constantFrom<RunState.StateStatus>("not_started", "started", "succeeded", "failed").map(
      (status) => states[status]
    )
    const anyEvent = fc.record({
      tag: fc.constantFrom("RunStarted", "RunSucceeded", "RunFailed"),
      runId: fc.constantFrom(...runIds),
      occurredAt: instant,
      errorMessage: fc.option(fc.string(), { nil: null })
    }).map(({ errorMessage, occurredAt, runId, tag }): RunEvent.RunEvent =>
      tag === "RunStarted"
        ? RunEvent.started({ ...startedEvent, runId, occurredAt })
        : tag === "RunSucceeded"
        ? RunEvent.succeeded(runId, occurredAt)
        : RunEvent.failed(runId, occurredAt, errorMessage)
    )

    it.prop("rejects every invalid transition with InvalidRunTransition", [anyState, anyEvent], ([state, event]) => {
      const valid = state._tag === "NotStarted"
        ? event._tag === "RunStarted"
        : state._tag === "Started" && event.runId === state.started.runId && event._tag !== "RunStarted"
      const result = RunState.transition(state, event)
      if (valid) {
        assert.isTrue(Either.isRight(result))
      } else {
        const error = expectInvalid(result, RunState.statusOf(state), event._tag)
        expect(error?.runId).toBe(event.runId)
      }
    })

    const anySnapshot = fc.record({
      run: Arbitrary.make(WorkflowRun.WorkflowRun),
      id: fc.constantFrom(...runIds)
    }).map(({ id, run }) => withId(run, id))

    it.prop("never throws on any snapshot", [anyState, anySnapshot], ([state, snapshot]) => {
      const result = RunState.transitionsFrom(state, snapshot)
      if (Either.isLeft(result)) {
        expect(result.left).toBeInstanceOf(RunState.InvalidRunTransition)
      } else {
        expect(Either.isRight(RunState.fold([...RunState.eventsOf(state), ...result.right]))).toBe(true)
      }
    }, { fastCheck: { numRuns: 300 } })

    const unknownStatus = fc.string().filter((value) => !["started", "succeeded", "failed"].includes(value))

    it.prop(
      "derives at most the start from any unknown status",
      [anyState, anySnapshot, unknownStatus],
      ([state, snapshot, status]) => {
        const unknown = WorkflowRun.WorkflowRun.make({
          ...snapshot,
          status: new OpenEnum.UnknownValue({ value: status })
        })
        const result = RunState.transitionsFrom(state, unknown)
        const sameRun = state._tag === "NotStarted" || state.started.runId === unknown.id
        if (sameRun) {
          const expected = state._tag === "NotStarted" ? ["RunStarted"] : []
          expect(Either.map(result, (events) => events.map((event) => event._tag))).toEqual(Either.right(expected))
        } else {
          expectInvalid(result, RunState.statusOf(state), "RunStarted")
        }
      }
    )
  })
})
