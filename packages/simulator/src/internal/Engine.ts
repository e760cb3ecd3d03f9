import { Ids, Workflow, WorkflowRun } from "@workflow-runs/core"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberMap from "effect/FiberMap"
import * as Schema from "effect/Schema"
import type { RunScript, WorkflowDefinition } from "../WorkflowDefinition.js"
import type { Delivery } from "./Delivery.js"
import * as IdempotencyKeys from "./IdempotencyKeys.js"
import type { IdGenerator } from "./IdGenerator.js"
import * as InputValidation from "./InputValidation.js"
import * as StripeError from "./StripeError.js"

/** @internal */
export interface WorkflowRecord {
  readonly seq: number
  readonly definition: WorkflowDefinition
  readonly workflow: Workflow.Workflow
  readonly json: typeof Workflow.Workflow.Encoded
  readonly nextScripts: Array<RunScript>
  script: RunScript
}

/** @internal */
export interface RunOrigin {
  readonly requestId: string
  readonly idempotencyKey: string
}

/** @internal */
export interface RunRecord {
  readonly seq: number
  readonly origin: RunOrigin | undefined
  readonly context: string | undefined
  run: WorkflowRun.WorkflowRun
  json: typeof WorkflowRun.WorkflowRun.Encoded
}

/** @internal */
export interface EventRecord {
  readonly id: string
  readonly json: Readonly<Record<string, unknown>>
}

/** @internal */
export interface EngineOptions {
  readonly ids: IdGenerator
  readonly delivery: Delivery
  readonly idempotencyKeyTtl: Duration.Duration
  readonly defaultScript: RunScript
  readonly dashboardUrl: string
}

/** @internal */
export interface InvokeRequest {
  readonly workflowId: string
  readonly body: unknown
  readonly fingerprint: string
  readonly idempotencyKey: string | undefined
  readonly scope: string
  readonly requestId: string
  readonly context: string | undefined
}

/** @internal */
export type StartTrigger =
  | { readonly type: "dashboard"; readonly inputParameters: Readonly<Record<string, unknown>> }
  | { readonly type: "event_trigger"; readonly context: string; readonly eventId: string; readonly eventType: string }

// Runs are built from values the simulator generated or already validated, so their constructors
// skip validation, which costs more than the rest of an invoke.
const trusted = { disableValidation: true }

const encodeWorkflow = Schema.encodeSync(Workflow.Workflow)
const encodeRun = Schema.encodeSync(WorkflowRun.WorkflowRun)

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * The simulator's state and the operations on it. State lives in plain maps and arrays that
 * only synchronous code touches, so every check-then-write (an idempotency key, a run's
 * transition) is atomic on the single JavaScript thread without locks.
 *
 * @internal
 */
export const make = (options: EngineOptions) =>
  Effect.gen(function*() {
    const timers = yield* FiberMap.make<string>()
    const workflows: Array<WorkflowRecord> = []
    const workflowsById = new Map<string, WorkflowRecord>()
    const runs: Array<RunRecord> = []
    const runsById = new Map<string, RunRecord>()
    const events = new Map<string, EventRecord>()
    const idempotency = IdempotencyKeys.make(Duration.toMillis(options.idempotencyKeyTtl))
    let processingDelay = Duration.zero

    const now = Effect.map(Clock.currentTimeMillis, (millis) => DateTime.unsafeMake(millis))

    const defineWorkflow = (definition: WorkflowDefinition) =>
      Effect.gen(function*() {
        const created = yield* now
        const id = definition.id ?? options.ids.workflow()
        const trigger = definition.trigger.type === "manual"
          ? new Workflow.WorkflowTrigger({ type: "manual", manual: {} })
          : new Workflow.WorkflowTrigger({
            type: "event_trigger",
            eventTrigger: new Workflow.EventTriggerDefinition({
              eventsFrom: definition.trigger.eventsFrom,
              type: definition.trigger.eventType
            })
          })
        const workflow = new Workflow.Workflow({
          id: Ids.WorkflowId.make(id),
          object: "v2.extend.workflow",
          created,
          livemode: false,
          status: Schema.decodeSync(Workflow.WorkflowStatus)(definition.status),
          title: definition.title,
          triggers: [trigger]
        })
        const previous = workflowsById.get(id)
        const record: WorkflowRecord = {
          seq: previous?.seq ?? workflows.length,
          definition,
          workflow,
          json: encodeWorkflow(workflow),
          nextScripts: [],
          script: definition.script ?? options.defaultScript
        }
        // Redefining a workflow keeps its place in the list, so open page cursors stay valid.
        workflows[record.seq] = record
        workflowsById.set(id, record)
        return record
      })

    const publish = (record: RunRecord, type: "started" | "succeeded" | "failed") =>
      Effect.gen(function*() {
        const created = yield* now
        const id = options.ids.event()
        const run = record.run
        const thin: Record<string, unknown> = {
          id,
          object: "v2.core.event",
          type: `v2.extend.workflow_run.${type}`,
          livemode: false,
          created: DateTime.formatIso(created),
          ...(record.context === undefined ? {} : { context: record.context }),
          ...(record.origin === undefined ? {} : {
            reason: {
              type: "request",
              request: { id: record.origin.requestId, idempotency_key: record.origin.idempotencyKey }
            }
          }),
          related_object: { id: run.id, type: "v2.extend.workflow_run", url: `/v2/extend/workflow_runs/${run.id}` }
        }
        const json = type === "failed"
          ? {
            ...thin,
            data: {
              dashboard_url: `${options.dashboardUrl}/workflows/${run.workflow}/runs/${run.id}`,
              failure_details: { error_message: record.run.statusDetails?.failed?.errorMessage ?? null }
            }
          }
          : thin
        events.set(id, { id, json })
        options.delivery.publish({ id, type: thin.type as string, payload: JSON.stringify(thin) })
      })

    const settle = (record: RunRecord, script: RunScript) =>
      Effect.gen(function*() {
        if (record.run.status !== "started" || script.outcome === "hold") return
        const at = yield* now
        const run = record.run
        record.run = new WorkflowRun.WorkflowRun({
          ...run,
          status: script.outcome,
          statusDetails: new WorkflowRun.StatusDetails({
            failed: script.outcome === "failed"
              ? new WorkflowRun.FailedDetails({ errorMessage: script.errorMessage }, trusted)
              : null,
            started: {},
            succeeded: script.outcome === "succeeded" ? {} : null
          }, trusted),
          statusTransitions: new WorkflowRun.StatusTransitions({
            failedAt: script.outcome === "failed" ? at : null,
            startedAt: run.statusTransitions.startedAt ?? null,
            succeededAt: script.outcome === "succeeded" ? at : null
          }, trusted)
        }, trusted)
        record.json = encodeRun(record.run)
        yield* publish(record, script.outcome)
      })

    const schedule = (record: RunRecord, script: RunScript) => {
      if (script.outcome === "hold") return FiberMap.remove(timers, record.run.id)
      const settleLater = Effect.zipRight(Effect.sleep(Duration.millis(script.delayMs)), settle(record, script))
      // Interruptible explicitly: the timer may be forked from an uninterruptible request fiber.
      return Effect.asVoid(FiberMap.run(timers, record.run.id, Effect.interruptible(settleLater)))
    }

    const nextScript = (workflow: WorkflowRecord) => workflow.nextScripts.shift() ?? workflow.script

    const createRun = (
      workflow: WorkflowRecord,
      trigger: WorkflowRun.RunTrigger,
      origin: RunOrigin | undefined,
      context: string | undefined
    ) =>
      Effect.gen(function*() {
        const created = yield* now
        const run = new WorkflowRun.WorkflowRun({
          id: Ids.WorkflowRunId.make(options.ids.run(), trusted),
          object: "v2.extend.workflow_run",
          created,
          status: "started",
          statusDetails: new WorkflowRun.StatusDetails({ failed: null, started: {}, succeeded: null }, trusted),
          statusTransitions: new WorkflowRun.StatusTransitions({
            failedAt: null,
            startedAt: created,
            succeededAt: null
          }, trusted),
          trigger,
          workflow: workflow.workflow.id,
          livemode: false
        }, trusted)
        const record: RunRecord = { seq: runs.length, origin, context, run, json: encodeRun(run) }
        runs.push(record)
        runsById.set(run.id, record)
        yield* publish(record, "started")
        yield* schedule(record, nextScript(workflow))
        return record
      })

    const manualTrigger = (inputParameters: Readonly<Record<string, unknown>>) =>
      new WorkflowRun.RunTrigger({
        manual: new WorkflowRun.ManualTrigger({ inputParameters: { ...inputParameters } }, trusted),
        type: "manual"
      }, trusted)

    const validateInvoke = (
      workflow: WorkflowRecord,
      body: unknown
    ): Either.Either<Readonly<Record<string, unknown>>, StripeError.ApiError> => {
      const id = workflow.workflow.id
      if (workflow.workflow.status !== "active") {
        return Either.left(StripeError.workflowNotInvokable(
          `Workflow ${id} cannot be invoked because its status is ${
            Schema.encodeSync(Workflow.WorkflowStatus)(workflow.workflow.status)
          }; activate it in the Dashboard first.`
        ))
      }
      if (!workflow.workflow.hasManualTrigger) {
        return Either.left(StripeError.workflowNotInvokable(
          `Workflow ${id} cannot be invoked because it has no on-demand (manual) trigger; it runs only when its event occurs.`
        ))
      }
      if (!isObject(body) || !Object.hasOwn(body, "input_parameters")) {
        return Either.left(StripeError.invalidInputParameters(
          `input_parameters is required: send {"input_parameters": {...}} with the inputs of workflow ${id}.`
        ))
      }
      const input = body.input_parameters
      if (!isObject(input)) {
        return Either.left(StripeError.invalidInputParameters(
          `input_parameters must be a JSON object, got ${Array.isArray(input) ? "an array" : JSON.stringify(input)}.`
        ))
      }
      const extra = Object.keys(body).filter((key) => key !== "input_parameters")
      if (extra.length > 0) {
        return Either.left(StripeError.invalidRequest(
          "invalid_fields",
          `Unknown body parameters ${
            extra.map((key) => JSON.stringify(key)).join(", ")
          }; invoke takes only input_parameters.`
        ))
      }
      const declarations = workflow.definition.inputs
      if (declarations !== undefined) {
        const problems = InputValidation.problems(declarations, input)
        if (problems.length > 0) {
          return Either.left(StripeError.invalidInputParameters(
            `Invalid input_parameters for workflow ${id}: ${problems.join("; ")}.`
          ))
        }
      }
      return Either.right(input)
    }

    const claimKey = (request: InvokeRequest, scoped: string, key: string) =>
      Effect.gen(function*() {
        const claim = idempotency.claim(scoped, request.fingerprint, yield* Clock.currentTimeMillis)
        switch (claim._tag) {
          case "Claimed":
            return undefined
          case "Committed":
            return runsById.get(claim.runId)
          case "Conflict":
            return yield* Effect.fail(StripeError.idempotencyError(
              `Idempotency-Key ${JSON.stringify(key)} was already used with different parameters; ` +
                "use a new key for a new request."
            ))
          case "InFlight":
            return yield* Effect.fail(StripeError.idempotencyKeyInUse(
              `A request with Idempotency-Key ${
                JSON.stringify(key)
              } is still being processed; retry after it completes.`
            ))
        }
      })

    const process = (request: InvokeRequest, workflow: WorkflowRecord, key: string) =>
      Effect.gen(function*() {
        if (Duration.greaterThan(processingDelay, Duration.zero)) yield* Effect.sleep(processingDelay)
        const input = yield* validateInvoke(workflow, request.body)
        const origin = { requestId: request.requestId, idempotencyKey: key }
        return yield* createRun(workflow, manualTrigger(input), origin, request.context)
      })

    const invoke = (request: InvokeRequest) =>
      Effect.gen(function*() {
        const workflow = workflowsById.get(request.workflowId)
        if (workflow === undefined) {
          return yield* Effect.fail(
            StripeError.notFound(
              `No workflow has the id ${
                JSON.stringify(request.workflowId)
              }; check the id against the Dashboard or the workflow list (GET /v2/extend/workflows).`
            )
          )
        }
        // Stripe generates a key when the caller sends none, so such a request is never replayed.
        const key = request.idempotencyKey ?? `idk_${options.ids.request()}`
        const scoped = `${request.scope}\u0000${key}`
        const replayed = yield* claimKey(request, scoped, key)
        if (replayed !== undefined) return replayed
        const release = Effect.sync(() => idempotency.release(scoped))
        // Only a committed run is replayed: a rejected or interrupted attempt frees the key, as
        // Stripe re-executes a v2 request whose first attempt failed.
        return yield* process(request, workflow, key).pipe(
          Effect.tap((record) => Effect.sync(() => idempotency.commit(scoped, record.run.id))),
          Effect.tapError(() => release),
          Effect.onInterrupt(() => release)
        )
      })

    const startRun = (workflowId: string, trigger: StartTrigger) =>
      Effect.gen(function*() {
        const workflow = workflowsById.get(workflowId)
        if (workflow === undefined) {
          return yield* Effect.fail(StripeError.notFound(`No workflow has the id ${JSON.stringify(workflowId)}.`))
        }
        const runTrigger = trigger.type === "dashboard"
          ? manualTrigger(trigger.inputParameters)
          : new WorkflowRun.RunTrigger({
            eventTrigger: new WorkflowRun.EventTrigger({
              id: trigger.eventId,
              context: trigger.context,
              type: trigger.eventType
            }),
            type: "event_trigger"
          })
        return yield* createRun(workflow, runTrigger, undefined, undefined)
      })

    const scriptWorkflow = (workflowId: string, script: RunScript, nextRuns: number | undefined) =>
      Effect.sync(() => {
        const workflow = workflowsById.get(workflowId)
        if (workflow === undefined) return false
        if (nextRuns === undefined) workflow.script = script
        else for (let index = 0; index < nextRuns; index++) workflow.nextScripts.push(script)
        return true
      })

    const scriptRun = (runId: string, script: RunScript) =>
      Effect.gen(function*() {
        const record = runsById.get(runId)
        if (record === undefined) {
          return yield* Effect.fail(StripeError.notFound(`No workflow run has the id ${JSON.stringify(runId)}.`))
        }
        if (record.run.status !== "started") {
          return yield* Effect.fail(
            StripeError.invalidRequest(
              "invalid_control_request",
              `Workflow run ${runId} has already ${record.json.status}; only a started run can be scripted.`
            )
          )
        }
        yield* schedule(record, script)
        return record
      })

    return {
      defineWorkflow,
      invoke,
      startRun,
      scriptWorkflow,
      scriptRun,
      setProcessingDelay: (delay: Duration.Duration) =>
        Effect.sync(() => {
          processingDelay = delay
        }),
      workflows: (): ReadonlyArray<WorkflowRecord> => workflows,
      workflow: (id: string) => workflowsById.get(id),
      runs: (): ReadonlyArray<RunRecord> => runs,
      run: (id: string) => runsById.get(id),
      event: (id: string) => events.get(id),
      events: (): ReadonlyArray<EventRecord> => Array.from(events.values())
    }
  })

/** @internal */
export type Engine = Effect.Effect.Success<ReturnType<typeof make>>
