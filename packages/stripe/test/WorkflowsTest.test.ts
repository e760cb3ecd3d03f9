import { assert, describe, it } from "@effect/vitest"
import type { Ids } from "@workflow-runs/core"
import { WorkflowsError } from "@workflow-runs/core"
import { StripeError, Workflows, WorkflowsTest } from "@workflow-runs/stripe"
import * as Chunk from "effect/Chunk"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"

const provided = <A, E>(effect: Effect.Effect<A, E, Workflows.Workflows | WorkflowsTest.WorkflowsTest>) =>
  Effect.provide(effect, Workflows.layerTest())

describe("layerTest", () => {
  it.effect("fails the next call with a given typed error", () =>
    provided(Effect.gen(function*() {
      const test = yield* WorkflowsTest.WorkflowsTest
      const workflow = yield* test.defineWorkflow()
      const injected = new StripeError.StripeConnectionError({
        reason: "Timeout",
        method: "POST",
        path: "/v2/extend/workflows/x/invoke",
        attempts: 3,
        message: "No response within 80 seconds"
      })
      yield* test.failNextCall(injected)
      const error = yield* Effect.flip(Workflows.invokeWorkflow(workflow.id, {}))
      assert.strictEqual(error._tag, "StripeConnectionError")
      assert.strictEqual(error._tag === "StripeConnectionError" ? error.attempts : 0, 3)
      assert.strictEqual(error.message, injected.message)
      const run = yield* Workflows.invokeWorkflow(workflow.id, {})
      assert.strictEqual(run.status, "started")
    })))

  it.effect("decodes an injected response for the endpoint", () =>
    provided(Effect.gen(function*() {
      const test = yield* WorkflowsTest.WorkflowsTest
      yield* test.failNextCall({ status: 404, type: "invalid_request_error", code: "not_found", message: "gone" })
      const error = yield* Effect.flip(Workflows.retrieveWorkflowRun("wfrun_test_1" as Ids.WorkflowRunId))
      assert.instanceOf(error, WorkflowsError.WorkflowRunNotFound)
      assert.strictEqual(error.message, "gone")
      assert.isString(error._tag === "WorkflowRunNotFound" ? error.requestId : undefined)
    })))

  it.effect("dies when a test settles a run twice or an unknown run", () =>
    provided(Effect.gen(function*() {
      const test = yield* WorkflowsTest.WorkflowsTest
      const workflow = yield* test.defineWorkflow()
      const run = yield* Workflows.invokeWorkflow(workflow.id, {})
      yield* test.completeRun(run.id)
      const twice = yield* Effect.exit(test.failRun(run.id, "late"))
      assert.isTrue(Exit.isFailure(twice) && String(twice.cause).includes("already succeeded"))
      const unknown = yield* Effect.exit(test.completeRun("wfrun_test_none" as Ids.WorkflowRunId))
      assert.isTrue(Exit.isFailure(unknown) && String(unknown.cause).includes("No such workflow run"))
    })))

  it.effect("starts with the given workflows", () =>
    Effect.gen(function*() {
      const workflow = yield* Workflows.retrieveWorkflow("wf_test_seeded" as Ids.WorkflowId)
      assert.strictEqual(workflow.title, "Seeded")
      assert.deepStrictEqual(workflow.eventType, Option.some("customer.created"))
    }).pipe(
      Effect.provide(
        Workflows.layerTest({
          workflows: [{
            id: "wf_test_seeded",
            title: "Seeded",
            trigger: { type: "event_trigger", eventType: "customer.created" }
          }]
        })
      )
    ))

  it.effect("stamps transitions with the clock", () =>
    provided(Effect.gen(function*() {
      const test = yield* WorkflowsTest.WorkflowsTest
      const workflow = yield* test.defineWorkflow()
      yield* TestClock.setTime(Date.parse("2026-05-01T10:00:00.000Z"))
      const run = yield* Workflows.invokeWorkflow(workflow.id, {}, { idempotencyKey: "clock-1" })
      yield* TestClock.adjust("90 seconds")
      const done = yield* test.completeRun(run.id)
      assert.strictEqual(DateTime.formatIso(run.created), "2026-05-01T10:00:00.000Z")
      assert.deepStrictEqual(
        Option.map(done.succeededAt, DateTime.formatIso),
        Option.some("2026-05-01T10:01:30.000Z")
      )
      const [started] = yield* test.events
      assert.deepStrictEqual(started?.idempotencyKey, Option.some("clock-1"))
    })))

  it.effect("pages lists by the page size", () =>
    Effect.gen(function*() {
      const test = yield* WorkflowsTest.WorkflowsTest
      for (let i = 0; i < 5; i++) yield* test.defineWorkflow()
      const pages = yield* Stream.runCollect(
        Stream.mapChunks(Workflows.listWorkflows(), (chunk) => Chunk.of(chunk.length))
      )
      assert.deepStrictEqual(Chunk.toReadonlyArray(pages), [2, 2, 1])
    }).pipe(Effect.provide(Workflows.layerTest({ pageSize: 2 }))))
})
