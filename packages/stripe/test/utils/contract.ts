/**
 * The contract every implementation of `Workflows` passes: the in-memory `layerTest`, the live
 * layer over HTTP to the scripted server, and (through {@link serverTarget}) any Stripe-like
 * server, such as the simulator.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Ids, Workflow } from "@workflow-runs/core"
import { WorkflowRun } from "@workflow-runs/core"
import { Workflows, WorkflowsTest } from "@workflow-runs/stripe"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/** An error response as one row of the API's error table. */
export interface ErrorRow {
  readonly status: number
  readonly type: string
  readonly code: string
  readonly shouldRetry?: boolean
}

/** What a contract test needs besides the service: seeding workflows and scripting outcomes. */
export interface ContractControl {
  readonly defineWorkflow: (definition?: WorkflowsTest.WorkflowDefinition) => Effect.Effect<Workflow.Workflow>
  readonly completeRun: (runId: Ids.WorkflowRunId) => Effect.Effect<void>
  readonly failRun: (runId: Ids.WorkflowRunId, errorMessage: string) => Effect.Effect<void>
  /** Makes the next call fail with this error response, on every attempt of that call. */
  readonly failNextCall: (row: ErrorRow) => Effect.Effect<void>
  /** The ids of the events a run emitted, oldest first. */
  readonly eventIdsOf: (runId: Ids.WorkflowRunId) => Effect.Effect<ReadonlyArray<Ids.StripeEventId>>
}

/** The control side of a contract target. */
export class Control extends Context.Tag("test/ContractControl")<Control, ContractControl>() {}

/** An implementation under contract: a fresh, isolated account for every test. */
export interface ContractTarget {
  readonly name: string
  readonly layer: () => Layer.Layer<Workflows.Workflows | Control>
}

/** The in-memory target. */
export const memoryTarget: ContractTarget = {
  name: "layerTest",
  layer: () =>
    Layer.effect(
      Control,
      Effect.map(WorkflowsTest.WorkflowsTest, (test) => ({
        defineWorkflow: test.defineWorkflow,
        completeRun: (runId) => Effect.asVoid(test.completeRun(runId)),
        failRun: (runId, message) => Effect.asVoid(test.failRun(runId, message)),
        failNextCall: (row) => test.failNextCall({ status: row.status, type: row.type, code: row.code }),
        eventIdsOf: (runId) =>
          Effect.map(
            test.events,
            (events) => events.filter((event) => event.relatedObject?.id === runId).map((event) => event.id)
          )
      }))
    ).pipe(Layer.provideMerge(Workflows.layerTest({ pageSize: 3 })))
}

/** How many attempts the live layer of a server target makes per call. */
export const serverMaxRetries = 2

/**
 * A target served over HTTP by the live layer: `start` brings up a server for the scope and
 * returns its URL, its API key and its controls.
 */
export const serverTarget = <E>(
  name: string,
  start: Effect.Effect<
    { readonly url: string; readonly apiKey: string; readonly control: ContractControl },
    E,
    Scope.Scope
  >
): ContractTarget => ({
  name,
  layer: () =>
    Layer.unwrapScoped(
      Effect.map(Effect.orDie(start), ({ apiKey, control, url }) =>
        Layer.merge(
          Layer.succeed(Control, control),
          Workflows.layer({
            apiKey: Redacted.make(apiKey),
            apiBase: url,
            maxRetries: serverMaxRetries,
            retryBaseDelay: "1 millis",
            timeout: "5 seconds"
          }).pipe(Layer.orDie)
        ))
    )
})

const notInvokable: ReadonlyArray<[string, WorkflowsTest.WorkflowDefinition]> = [
  ["an inactive workflow", { status: "inactive" }],
  ["a draft workflow", { status: "draft" }],
  ["an archived workflow", { status: "archived" }],
  ["an event-triggered workflow", { trigger: { type: "event_trigger", eventType: "customer.created" } }]
]

/** The error table: each error response and the typed error it decodes to. */
export const errorTable: ReadonlyArray<[string, ErrorRow, string]> = [
  [
    "a wrong API key",
    { status: 401, type: "invalid_request_error", code: "api_key_invalid" },
    "StripeAuthenticationError"
  ],
  [
    "a key without access",
    { status: 403, type: "invalid_request_error", code: "permission_denied" },
    "StripePermissionError"
  ],
  ["too many requests", { status: 429, type: "rate_limit", code: "rate_limited" }, "StripeRateLimitError"],
  ["a server error", { status: 500, type: "api_error", code: "internal_error" }, "StripeApiError"],
  [
    "a key still in flight",
    { status: 409, type: "api_error", code: "idempotency_key_in_use", shouldRetry: true },
    "StripeApiError"
  ],
  [
    "a missing API version",
    { status: 400, type: "invalid_request_error", code: "missing_api_version" },
    "StripeApiError"
  ]
]

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) =>
  Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

/** Runs the contract against `target`. */
export const contractSuite = (target: ContractTarget) =>
  describe(`Workflows contract (${target.name})`, () => {
    const test = (name: string, body: () => Effect.Effect<void, unknown, Workflows.Workflows | Control>) =>
      it.live(name, () => Effect.provide(body(), target.layer()))

    test("invoke returns a started manual run", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const workflow = yield* control.defineWorkflow({
          inputs: {
            order_id: { type: "string", required: true },
            amount: { type: "integer" },
            notify: { type: "boolean" },
            tags: { type: "array" },
            nested: { type: "object" }
          }
        })
        const params = { order_id: "o_1", amount: 5000, notify: true, tags: ["a", "b"], nested: { k: [1, 2] } }
        const run = yield* Workflows.invokeWorkflow(workflow.id, params)
        assert.strictEqual(run.status, "started")
        assert.strictEqual(run.workflow, workflow.id)
        assert.strictEqual(run.trigger.type, "manual")
        assert.deepStrictEqual(run.trigger.manual?.inputParameters, params)
        assert.isTrue(run.startedAt._tag === "Some")
        assert.isTrue(run.succeededAt._tag === "None")
        const encoded = yield* WorkflowRun.encode(run)
        assert.deepStrictEqual(Object.keys(encoded.status_transitions).sort(), [
          "failed_at",
          "started_at",
          "succeeded_at"
        ])
      }))

    test("retrieve follows a run to success", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const workflow = yield* control.defineWorkflow()
        const run = yield* Workflows.invokeWorkflow(workflow.id, {})
        assert.strictEqual((yield* Workflows.retrieveWorkflowRun(run.id)).status, "started")
        yield* control.completeRun(run.id)
        const done = yield* Workflows.retrieveWorkflowRun(run.id)
        assert.strictEqual(done.status, "succeeded")
        assert.isTrue(done.succeededAt._tag === "Some")
      }))

    test("retrieve follows a run to failure", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const workflow = yield* control.defineWorkflow()
        const run = yield* Workflows.invokeWorkflow(workflow.id, {})
        yield* control.failRun(run.id, "Step 2 failed")
        const failed = yield* Workflows.retrieveWorkflowRun(run.id)
        assert.strictEqual(failed.status, "failed")
        assert.deepStrictEqual(failed.errorMessage._tag === "Some" ? failed.errorMessage.value : null, "Step 2 failed")
        assert.isTrue(failed.failedAt._tag === "Some")
      }))

    test("replay with the same key returns the current run", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const workflow = yield* control.defineWorkflow()
        const first = yield* Workflows.invokeWorkflow(workflow.id, { n: 1 }, { idempotencyKey: "contract-replay" })
        yield* control.completeRun(first.id)
        const replay = yield* Workflows.invokeWorkflow(workflow.id, { n: 1 }, { idempotencyKey: "contract-replay" })
        assert.strictEqual(replay.id, first.id)
        assert.strictEqual(replay.status, "succeeded")
        const runs = yield* collect(Workflows.listWorkflowRuns({ workflow: [workflow.id] }))
        assert.strictEqual(runs.length, 1)
      }))

    test("a reused key with another body is a conflict", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const workflow = yield* control.defineWorkflow()
        yield* Workflows.invokeWorkflow(workflow.id, { n: 1 }, { idempotencyKey: "contract-conflict" })
        const error = yield* Effect.flip(
          Workflows.invokeWorkflow(workflow.id, { n: 2 }, { idempotencyKey: "contract-conflict" })
        )
        assert.strictEqual(error._tag, "IdempotencyConflict")
        if (error._tag === "IdempotencyConflict") {
          assert.strictEqual(error.code, "idempotency_error")
          assert.strictEqual(error.idempotencyKey, "contract-conflict")
          assert.isString(error.requestId)
        }
      }))

    test("calls without a key start separate runs", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const workflow = yield* control.defineWorkflow()
        const first = yield* Workflows.invokeWorkflow(workflow.id, { n: 1 })
        const second = yield* Workflows.invokeWorkflow(workflow.id, { n: 1 })
        assert.notStrictEqual(first.id, second.id)
      }))

    test("an unknown workflow is not found", () =>
      Effect.gen(function*() {
        const id = "wf_test_missing" as Ids.WorkflowId
        const invoked = yield* Effect.flip(Workflows.invokeWorkflow(id, {}))
        assert.strictEqual(invoked._tag, "WorkflowNotFound")
        const retrieved = yield* Effect.flip(Workflows.retrieveWorkflow(id))
        assert.strictEqual(retrieved._tag, "WorkflowNotFound")
        assert.strictEqual(retrieved._tag === "WorkflowNotFound" ? retrieved.workflowId : "", id)
        assert.strictEqual(retrieved._tag === "WorkflowNotFound" ? retrieved.code : "", "not_found")
      }))

    for (const [label, definition] of notInvokable) {
      test(`${label} is not invokable`, () =>
        Effect.gen(function*() {
          const control = yield* Control
          const workflow = yield* control.defineWorkflow(definition)
          const error = yield* Effect.flip(Workflows.invokeWorkflow(workflow.id, {}))
          assert.strictEqual(error._tag, "WorkflowNotInvokable")
          assert.strictEqual(error._tag === "WorkflowNotInvokable" ? error.code : "", "workflow_not_invokable")
        }))
    }

    test("inputs are checked against the declaration", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const workflow = yield* control.defineWorkflow({
          inputs: { customer_id: { type: "string", required: true }, amount: { type: "integer" } }
        })
        const missing = yield* Effect.flip(Workflows.invokeWorkflow(workflow.id, { amount: 5 }))
        assert.strictEqual(missing._tag, "InvalidWorkflowInputParameters")
        assert.include(missing.message, "customer_id")
        const wrongType = yield* Effect.flip(Workflows.invokeWorkflow(workflow.id, { customer_id: "c", amount: "5" }))
        assert.strictEqual(wrongType._tag, "InvalidWorkflowInputParameters")
        assert.include(wrongType.message, "amount")
        const undeclared = yield* Effect.flip(Workflows.invokeWorkflow(workflow.id, { customer_id: "c", amuont: 5 }))
        assert.strictEqual(undeclared._tag, "InvalidWorkflowInputParameters")
        assert.include(undeclared.message, "amuont")
        const run = yield* Workflows.invokeWorkflow(workflow.id, { customer_id: "c", amount: 5 })
        assert.strictEqual(run.status, "started")
      }))

    test("a schema rejects inputs before any request", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const workflow = yield* control.defineWorkflow()
        const Inputs = Schema.Struct({ amount: Schema.Number.pipe(Schema.positive()) })
        const error = yield* Effect.flip(
          Workflows.invokeWorkflow(workflow.id, { amount: -1 }, { inputSchema: Inputs })
        )
        assert.strictEqual(error._tag, "InvalidWorkflowInputParameters")
        assert.isUndefined(error._tag === "InvalidWorkflowInputParameters" ? error.requestId : "")
        const runs = yield* collect(Workflows.listWorkflowRuns({ workflow: [workflow.id] }))
        assert.strictEqual(runs.length, 0)
        const run = yield* Workflows.invokeWorkflow(workflow.id, { amount: 3 }, { inputSchema: Inputs })
        assert.deepStrictEqual(run.trigger.manual?.inputParameters, { amount: 3 })
      }))

    test("retrieve returns a workflow", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const workflow = yield* control.defineWorkflow({ title: "Refund follow-up", status: "inactive" })
        const retrieved = yield* Workflows.retrieveWorkflow(workflow.id)
        assert.strictEqual(retrieved.title, "Refund follow-up")
        assert.strictEqual(retrieved.status, "inactive")
        assert.isTrue(retrieved.hasManualTrigger)
        assert.isFalse(retrieved.isInvokable)
      }))

    test("list workflows hides drafts unless asked", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const statuses = ["active", "inactive", "draft", "archived", "active"] as const
        const ids = new Set<string>()
        for (const status of statuses) ids.add((yield* control.defineWorkflow({ status })).id)
        const listed = (yield* collect(Workflows.listWorkflows())).filter((workflow) => ids.has(workflow.id))
        assert.deepStrictEqual(listed.map((workflow) => workflow.status).sort(), ["active", "active", "inactive"])
        const drafts = (yield* collect(Workflows.listWorkflows({ status: ["draft", "archived"] })))
          .filter((workflow) => ids.has(workflow.id))
        assert.deepStrictEqual(drafts.map((workflow) => workflow.status).sort(), ["archived", "draft"])
      }))

    test("list runs follows many pages", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const workflow = yield* control.defineWorkflow()
        const other = yield* control.defineWorkflow()
        const started: Array<string> = []
        for (let i = 0; i < 23; i++) started.push((yield* Workflows.invokeWorkflow(workflow.id, { i })).id)
        yield* Workflows.invokeWorkflow(other.id, {})
        const runs = yield* collect(Workflows.listWorkflowRuns({ workflow: [workflow.id], limit: 4 }))
        assert.deepStrictEqual(runs.map((run) => run.id), [...started].reverse())
        const both = yield* collect(Workflows.listWorkflowRuns({ workflow: [workflow.id, other.id], limit: 5 }))
        assert.strictEqual(both.length, 24)
        assert.strictEqual(new Set(both.map((run) => run.id)).size, 24)
      }))

    test("list runs filters by status", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const workflow = yield* control.defineWorkflow()
        const a = yield* Workflows.invokeWorkflow(workflow.id, { i: 1 })
        const b = yield* Workflows.invokeWorkflow(workflow.id, { i: 2 })
        yield* Workflows.invokeWorkflow(workflow.id, { i: 3 })
        yield* control.completeRun(a.id)
        yield* control.failRun(b.id, "boom")
        const settled = yield* collect(
          Workflows.listWorkflowRuns({ status: ["succeeded", "failed"], workflow: [workflow.id], limit: 1 })
        )
        assert.deepStrictEqual(settled.map((run) => run.id).sort(), [a.id, b.id].sort())
      }))

    test("an invalid page size is rejected", () =>
      Effect.gen(function*() {
        for (const limit of [0, -1, 2.5]) {
          const error = yield* Effect.flip(Stream.runDrain(Workflows.listWorkflowRuns({ limit })))
          assert.strictEqual(error._tag, "StripeApiError")
          assert.strictEqual(error._tag === "StripeApiError" ? error.status : 0, 400)
        }
      }))

    test("an unknown run or event is not found", () =>
      Effect.gen(function*() {
        const run = yield* Effect.flip(Workflows.retrieveWorkflowRun("wfrun_test_missing" as Ids.WorkflowRunId))
        assert.strictEqual(run._tag, "WorkflowRunNotFound")
        const event = yield* Effect.flip(Workflows.retrieveEvent("evt_test_missing" as Ids.StripeEventId))
        assert.strictEqual(event._tag, "EventNotFound")
      }))

    test("retrieve event returns a run transition", () =>
      Effect.gen(function*() {
        const control = yield* Control
        const workflow = yield* control.defineWorkflow()
        const run = yield* Workflows.invokeWorkflow(workflow.id, {}, { idempotencyKey: "contract-event" })
        yield* control.failRun(run.id, "Step 1 failed")
        const ids = yield* control.eventIdsOf(run.id)
        assert.strictEqual(ids.length, 2)
        const started = yield* Workflows.retrieveEvent(ids[0]!)
        assert.strictEqual(started.type, "v2.extend.workflow_run.started")
        assert.strictEqual(started.relatedObject?.id, run.id)
        const failed = yield* Workflows.retrieveEvent(ids[1]!)
        assert.strictEqual(failed.type, "v2.extend.workflow_run.failed")
        assert.deepStrictEqual(failed.data?.failure_details, { error_message: "Step 1 failed" })
      }))

    for (const [label, row, tag] of errorTable) {
      test(`${label} fails with ${tag}`, () =>
        Effect.gen(function*() {
          const control = yield* Control
          const workflow = yield* control.defineWorkflow()
          yield* control.failNextCall(row)
          const error = yield* Effect.flip(Workflows.invokeWorkflow(workflow.id, {}))
          assert.strictEqual(error._tag, tag)
          assert.strictEqual("code" in error ? error.code : undefined, row.code)
          assert.strictEqual("status" in error ? error.status : undefined, row.status)
          assert.isString("requestId" in error ? error.requestId : undefined)
          // The failure was for one call only.
          const run = yield* Workflows.invokeWorkflow(workflow.id, {})
          assert.strictEqual(run.status, "started")
        }))
    }
  })

/**
 * Counts the attempts the live layer makes for a call that always receives `row`: one plus
 * every retry when the retry policy retries that row, otherwise one.
 */
export const attemptsFor = (row: ErrorRow): number => {
  const retried = row.shouldRetry ??
    (row.status === 429 || row.status >= 500 || (row.status === 409 && row.code !== "idempotency_error"))
  return retried ? serverMaxRetries + 1 : 1
}
