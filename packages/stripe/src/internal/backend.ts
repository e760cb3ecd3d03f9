/**
 * The state of an in-memory Workflows API that responds in Stripe's wire format: JSON objects for
 * successes and `{ status, type, code, message }` for errors, as the error table of the API
 * defines them. `layerTest` decodes these responses the same way the live client decodes HTTP
 * responses, so both fail with the same typed errors.
 */
import type * as WorkflowsTest from "../WorkflowsTest.js"

/** @internal */
export interface WireError {
  readonly status: number
  readonly type: string
  readonly code: string
  readonly message: string
  readonly shouldRetry: boolean
}

/** @internal */
export type Answer<A> = { readonly _tag: "Ok"; readonly body: A } | {
  readonly _tag: "Error"
  readonly error: WireError
}

/** @internal */
export interface WirePage<A> {
  readonly data: ReadonlyArray<A>
  readonly next_page_url: string | null
  readonly previous_page_url: string | null
}

type Json = Record<string, unknown>

interface StoredWorkflow {
  readonly sequence: number
  readonly wire: Json
  /** The declared inputs; `undefined` when the workflow declares none and takes any input. */
  readonly inputs: Readonly<Record<string, WorkflowsTest.InputField>> | undefined
}

interface StoredRun {
  readonly sequence: number
  wire: Json
}

interface StoredKey {
  readonly workflowId: string
  readonly body: string
  readonly runId: string
}

const ok = <A>(body: A): Answer<A> => ({ _tag: "Ok", body })

const error = (status: number, type: string, code: string, message: string, shouldRetry = false): Answer<never> => ({
  _tag: "Error",
  error: { status, type, code, message, shouldRetry }
})

// NOTE: Stripe documents no bounds for `limit` on these endpoints; 1 to 100 is this fake's choice.
/** @internal */
export const maxPageSize = 100

const isJsonObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const jsonType = (value: unknown): string => {
  if (value === null) return "null"
  if (Array.isArray(value)) return "array"
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number"
  return typeof value
}

const matchesType = (value: unknown, type: WorkflowsTest.InputType): boolean => {
  const actual = jsonType(value)
  return actual === type || (type === "number" && actual === "integer")
}

/**
 * Checks input parameters against a workflow's declared inputs: every required input present,
 * every declared input of its JSON type, and no undeclared key (as the simulator checks).
 * NOTE: how Stripe itself validates inputs is not documented; these rules are this fake's choice.
 *
 * @internal
 */
export const validateInputs = (
  inputs: Readonly<Record<string, WorkflowsTest.InputField>>,
  parameters: Json
): string | undefined => {
  for (const [name, field] of Object.entries(inputs)) {
    const value = parameters[name]
    if (value === undefined) {
      if (field.required === true) return `Missing required input parameter '${name}'`
      continue
    }
    if (!matchesType(value, field.type)) {
      return `Input parameter '${name}' must be of type ${field.type}, got ${jsonType(value)}`
    }
  }
  const undeclared = Object.keys(parameters).find((name) => !Object.hasOwn(inputs, name))
  return undeclared === undefined ? undefined : `Input parameter '${undeclared}' is not declared by this workflow`
}

interface PageCursor {
  readonly before: number
  readonly limit: number
  readonly status: ReadonlyArray<string>
  readonly workflow: ReadonlyArray<string>
}

const encodeCursor = (cursor: PageCursor) => Buffer.from(JSON.stringify(cursor)).toString("base64url")

const decodeCursor = (page: string): PageCursor | undefined => {
  try {
    const parsed = JSON.parse(Buffer.from(page, "base64url").toString("utf8"))
    return isJsonObject(parsed) && typeof parsed.before === "number" && typeof parsed.limit === "number" &&
        Array.isArray(parsed.status) && Array.isArray(parsed.workflow)
      ? (parsed as unknown as PageCursor)
      : undefined
  } catch {
    return undefined
  }
}

/**
 * The filters of a list request, as read from its query string.
 *
 * @internal
 */
export interface ListRequest {
  readonly status?: ReadonlyArray<string> | undefined
  readonly workflow?: ReadonlyArray<string> | undefined
  readonly limit?: string | number | undefined
  readonly page?: string | undefined
}

/**
 * An in-memory Workflows account.
 *
 * @internal
 */
export class Backend {
  private sequence = 0
  private readonly workflows = new Map<string, StoredWorkflow>()
  private readonly runs = new Map<string, StoredRun>()
  private readonly events = new Map<string, Json>()
  private readonly keys = new Map<string, StoredKey>()

  constructor(readonly pageSize: number) {}

  private next(): number {
    this.sequence += 1
    return this.sequence
  }

  private newId(prefix: string): string {
    return `${prefix}_test_${String(this.next()).padStart(8, "0")}${Math.random().toString(36).slice(2, 10)}`
  }

  defineWorkflow(definition: WorkflowsTest.WorkflowDefinition, now: string): Json {
    const id = definition.id ?? this.newId("wf")
    const trigger = definition.trigger ?? { type: "manual" }
    const wire: Json = {
      id,
      object: "v2.extend.workflow",
      created: now,
      livemode: definition.livemode ?? false,
      status: definition.status ?? "active",
      title: definition.title ?? `Workflow ${id}`,
      triggers: [
        trigger.type === "manual"
          ? { type: "manual", manual: {} }
          : {
            type: "event_trigger",
            event_trigger: { events_from: trigger.eventsFrom ?? ["@self"], type: trigger.eventType }
          }
      ]
    }
    this.workflows.set(id, { sequence: this.next(), wire, inputs: definition.inputs })
    return wire
  }

  retrieveWorkflow(id: string): Answer<Json> {
    const workflow = this.workflows.get(id)
    return workflow === undefined
      ? error(404, "invalid_request_error", "not_found", `No such workflow: '${id}'`)
      : ok(workflow.wire)
  }

  invoke(workflowId: string, body: string, idempotencyKey: string, now: string): Answer<Json> {
    const stored = this.keys.get(idempotencyKey)
    if (stored !== undefined) {
      if (stored.workflowId !== workflowId || stored.body !== body) {
        return error(
          409,
          "idempotency_error",
          "idempotency_error",
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`
        )
      }
      return ok(this.runs.get(stored.runId)!.wire)
    }
    const workflow = this.workflows.get(workflowId)
    if (workflow === undefined) {
      return error(404, "invalid_request_error", "not_found", `No such workflow: '${workflowId}'`)
    }
    const triggers = workflow.wire.triggers as ReadonlyArray<Json>
    if (workflow.wire.status !== "active" || !triggers.some((trigger) => trigger.type === "manual")) {
      return error(
        400,
        "cannot_proceed",
        "workflow_not_invokable",
        `Workflow '${workflowId}' cannot be invoked: it is ${String(workflow.wire.status)} and ${
          triggers.some((trigger) => trigger.type === "manual") ? "has" : "has no"
        } on-demand trigger`
      )
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return error(400, "invalid_request_error", "invalid_fields", "The request body is not valid JSON")
    }
    const parameters = isJsonObject(parsed) ? parsed.input_parameters : undefined
    if (!isJsonObject(parameters)) {
      return error(400, "invalid_request_error", "invalid_fields", "Missing required field input_parameters")
    }
    const invalid = workflow.inputs === undefined ? undefined : validateInputs(workflow.inputs, parameters)
    if (invalid !== undefined) {
      return error(400, "invalid_request_error", "invalid_workflow_input_parameters", invalid)
    }
    const id = this.newId("wfrun")
    const wire: Json = {
      id,
      object: "v2.extend.workflow_run",
      created: now,
      status: "started",
      status_details: { failed: null, started: {}, succeeded: null },
      status_transitions: { failed_at: null, started_at: now, succeeded_at: null },
      trigger: { manual: { input_parameters: parameters }, type: "manual" },
      workflow: workflowId,
      livemode: workflow.wire.livemode
    }
    this.runs.set(id, { sequence: this.next(), wire })
    this.keys.set(idempotencyKey, { workflowId, body, runId: id })
    this.emit("v2.extend.workflow_run.started", wire, now, idempotencyKey, null)
    return ok(wire)
  }

  retrieveRun(id: string): Answer<Json> {
    const run = this.runs.get(id)
    return run === undefined
      ? error(404, "invalid_request_error", "not_found", `No such workflow run: '${id}'`)
      : ok(run.wire)
  }

  /** Moves a started run to `succeeded` or `failed`; `undefined` when the run does not exist. */
  settleRun(id: string, outcome: "succeeded" | "failed", now: string, errorMessage?: string): Json | string {
    const run = this.runs.get(id)
    if (run === undefined) return `No such workflow run: '${id}'`
    if (run.wire.status !== "started") return `Workflow run '${id}' is already ${String(run.wire.status)}`
    const transitions = run.wire.status_transitions as Json
    run.wire = {
      ...run.wire,
      status: outcome,
      status_details: outcome === "succeeded"
        ? { failed: null, started: {}, succeeded: {} }
        : { failed: { error_message: errorMessage ?? null }, started: {}, succeeded: null },
      status_transitions: { ...transitions, [`${outcome}_at`]: now }
    }
    this.emit(
      `v2.extend.workflow_run.${outcome}`,
      run.wire,
      now,
      undefined,
      outcome === "failed"
        ? {
          dashboard_url: `https://dashboard.stripe.com/test/workflows/runs/${id}`,
          failure_details: { error_message: errorMessage ?? null }
        }
        : null
    )
    return run.wire
  }

  private emit(type: string, run: Json, now: string, idempotencyKey: string | undefined, data: Json | null): void {
    const id = this.newId("evt")
    const runId = String(run.id)
    this.events.set(id, {
      id,
      object: "v2.core.event",
      type,
      created: now,
      livemode: run.livemode,
      related_object: { id: runId, type: "v2.extend.workflow_run", url: `/v2/extend/workflow_runs/${runId}` },
      ...(idempotencyKey === undefined
        ? {}
        : { reason: { type: "request", request: { id: `req_${id}`, idempotency_key: idempotencyKey } } }),
      data
    })
  }

  retrieveEvent(id: string): Answer<Json> {
    const event = this.events.get(id)
    return event === undefined
      ? error(404, "invalid_request_error", "not_found", `No such event: '${id}'`)
      : ok(event)
  }

  /** Returns every event, oldest first. */
  allEvents(): ReadonlyArray<Json> {
    return [...this.events.values()]
  }

  /** Returns every run, newest first. */
  allRuns(): ReadonlyArray<Json> {
    return [...this.runs.values()].sort((a, b) => b.sequence - a.sequence).map((run) => run.wire)
  }

  listWorkflows(request: ListRequest): Answer<WirePage<Json>> {
    return this.page(
      "/v2/extend/workflows",
      [...this.workflows.values()],
      request,
      ["active", "inactive"],
      (wire, cursor) => cursor.status.includes(String(wire.status))
    )
  }

  listRuns(request: ListRequest): Answer<WirePage<Json>> {
    return this.page(
      "/v2/extend/workflow_runs",
      [...this.runs.values()],
      request,
      [],
      (wire, cursor) =>
        (cursor.status.length === 0 || cursor.status.includes(String(wire.status))) &&
        (cursor.workflow.length === 0 || cursor.workflow.includes(String(wire.workflow)))
    )
  }

  private page(
    path: string,
    items: ReadonlyArray<{ readonly sequence: number; readonly wire: Json }>,
    request: ListRequest,
    defaultStatus: ReadonlyArray<string>,
    matches: (wire: Json, cursor: PageCursor) => boolean
  ): Answer<WirePage<Json>> {
    let cursor: PageCursor
    if (request.page !== undefined) {
      const decoded = decodeCursor(request.page)
      if (decoded === undefined) {
        return error(400, "invalid_request_error", "invalid_fields", `Invalid page token '${request.page}'`)
      }
      cursor = decoded
    } else {
      const limit = request.limit === undefined ? this.pageSize : Number(request.limit)
      if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) {
        return error(
          400,
          "invalid_request_error",
          "invalid_fields",
          `limit must be an integer from 1 to ${maxPageSize}, got '${String(request.limit)}'`
        )
      }
      cursor = {
        before: Number.MAX_SAFE_INTEGER,
        limit,
        status: request.status === undefined || request.status.length === 0 ? defaultStatus : request.status,
        workflow: request.workflow ?? []
      }
    }
    const matching = items
      .filter((item) => item.sequence < cursor.before && matches(item.wire, cursor))
      .sort((a, b) => b.sequence - a.sequence)
    const page = matching.slice(0, cursor.limit)
    const last = page[page.length - 1]
    const next = matching.length > cursor.limit && last !== undefined
      ? `${path}?page=${encodeCursor({ ...cursor, before: last.sequence })}`
      : null
    return ok({ data: page.map((item) => item.wire), next_page_url: next, previous_page_url: null })
  }
}
