/**
 * The control side of `Workflows.layerTest`: define workflows, complete or fail runs, and make
 * the next call fail, so unit tests drive every path of a program without Stripe.
 *
 * @since 0.1.0
 */
import type { Ids, Workflow, WorkflowRun, WorkflowsError } from "@workflow-runs/core"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Event from "./Event.js"
import type * as StripeError from "./StripeError.js"

/**
 * The JSON type of a declared input.
 *
 * @since 0.1.0
 * @category models
 */
export type InputType = "string" | "number" | "integer" | "boolean" | "object" | "array"

/**
 * A declared input of a workflow's manual trigger.
 *
 * @since 0.1.0
 * @category models
 */
export interface InputField {
  readonly type: InputType
  readonly required?: boolean | undefined
}

/**
 * A workflow to create. Everything has a default: an `active` workflow with a manual trigger,
 * no declared inputs, a generated id and title, in test mode.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkflowDefinition {
  readonly id?: string | undefined
  readonly title?: string | undefined
  readonly status?: "active" | "archived" | "draft" | "inactive" | undefined
  readonly trigger?:
    | { readonly type: "manual" }
    | { readonly type: "event_trigger"; readonly eventType: string; readonly eventsFrom?: ReadonlyArray<string> }
    | undefined
  /**
   * The inputs an invoke must match: required ones present, each of its JSON type, no other key.
   * Without it the workflow takes any input.
   */
  readonly inputs?: Readonly<Record<string, InputField>> | undefined
  readonly livemode?: boolean | undefined
}

/**
 * An error response as Stripe would send it. The next call decodes it as the live client
 * decodes a response: by `code`, then `type`, then `status`, for that call's endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorResponse {
  readonly status: number
  readonly type?: string | undefined
  readonly code?: string | undefined
  readonly message?: string | undefined
}

/**
 * A failure for {@link Service.failNextCall}: a typed error, used as it is, or an
 * {@link ErrorResponse}.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure = WorkflowsError.WorkflowsError | StripeError.StripeError | ErrorResponse

/**
 * The controls of the in-memory Workflows API.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Creates a workflow (or replaces one with the same id) and returns it. */
  readonly defineWorkflow: (definition?: WorkflowDefinition) => Effect.Effect<Workflow.Workflow>
  /** Moves a `started` run to `succeeded`. Dies when the run does not exist or has finished. */
  readonly completeRun: (runId: Ids.WorkflowRunId) => Effect.Effect<WorkflowRun.WorkflowRun>
  /** Moves a `started` run to `failed`. Dies when the run does not exist or has finished. */
  readonly failRun: (runId: Ids.WorkflowRunId, errorMessage?: string) => Effect.Effect<WorkflowRun.WorkflowRun>
  /** Makes the next call of any `Workflows` method fail with `failure`, once. */
  readonly failNextCall: (failure: Failure) => Effect.Effect<void>
  /** Every run, newest first. */
  readonly runs: Effect.Effect<ReadonlyArray<WorkflowRun.WorkflowRun>>
  /** Every event the runs emitted (started, succeeded, failed), oldest first. */
  readonly events: Effect.Effect<ReadonlyArray<Event.Event>>
}

/**
 * The controls of `Workflows.layerTest`.
 *
 * @since 0.1.0
 * @category tags
 */
export class WorkflowsTest extends Context.Tag("@workflow-runs/stripe/WorkflowsTest")<WorkflowsTest, Service>() {}
