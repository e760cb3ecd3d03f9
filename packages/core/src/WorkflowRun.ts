/**
 * A Workflow Run (`v2.extend.workflow_run`): the Encoded side is Stripe's JSON, the Type side the
 * camelCase domain object. Nullable fields accept both `null` and an absent key and encode back
 * as they came; the getters expose them as `Option`.
 *
 * @since 0.1.0
 */
import type * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { WorkflowId, WorkflowRunId } from "./Ids.js"
import { nullable, OpenObject } from "./internal/fields.js"
import { OpenEnum } from "./OpenEnum.js"
import { Timestamp } from "./Timestamp.js"
import { TriggerType } from "./Workflow.js"

/**
 * The status of a Workflow Run. `started` is the only non-terminal status.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunStatus = OpenEnum("RunStatus", "started", "succeeded", "failed")

/**
 * @since 0.1.0
 * @category models
 */
export type RunStatus = typeof RunStatus.Type

/**
 * The parameters a run was launched with: any JSON object.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InputParameters = OpenObject

/**
 * @since 0.1.0
 * @category models
 */
export type InputParameters = typeof InputParameters.Type

/**
 * Details of the transition into `failed`.
 *
 * @since 0.1.0
 * @category models
 */
export class FailedDetails extends Schema.Class<FailedDetails>("@workflow-runs/core/FailedDetails")({
  errorMessage: nullable(Schema.String).pipe(Schema.fromKey("error_message"))
}) {}

/**
 * Details of each status transition, `null` for a transition that has not happened.
 *
 * @since 0.1.0
 * @category models
 */
export class StatusDetails extends Schema.Class<StatusDetails>("@workflow-runs/core/StatusDetails")({
  failed: nullable(FailedDetails),
  started: nullable(OpenObject),
  succeeded: nullable(OpenObject)
}) {}

/**
 * When the run entered each status.
 *
 * @since 0.1.0
 * @category models
 */
export class StatusTransitions extends Schema.Class<StatusTransitions>("@workflow-runs/core/StatusTransitions")({
  failedAt: nullable(Timestamp).pipe(Schema.fromKey("failed_at")),
  startedAt: nullable(Timestamp).pipe(Schema.fromKey("started_at")),
  succeededAt: nullable(Timestamp).pipe(Schema.fromKey("succeeded_at"))
}) {}

/**
 * The Stripe event that launched an event-triggered run.
 *
 * @since 0.1.0
 * @category models
 */
export class EventTrigger extends Schema.Class<EventTrigger>("@workflow-runs/core/EventTrigger")({
  id: Schema.String,
  context: Schema.String,
  type: Schema.String
}) {}

/**
 * The input of a run launched through the API or the Dashboard.
 *
 * @since 0.1.0
 * @category models
 */
export class ManualTrigger extends Schema.Class<ManualTrigger>("@workflow-runs/core/ManualTrigger")({
  inputParameters: Schema.propertySignature(InputParameters).pipe(Schema.fromKey("input_parameters"))
}) {}

/**
 * What launched a run. The branch that does not match `type` is left out or `null`.
 *
 * @since 0.1.0
 * @category models
 */
export class RunTrigger extends Schema.Class<RunTrigger>("@workflow-runs/core/RunTrigger")({
  eventTrigger: nullable(EventTrigger).pipe(Schema.fromKey("event_trigger")),
  manual: nullable(ManualTrigger),
  type: TriggerType
}) {}

/**
 * A Workflow Run as Stripe returns it from invoke, list and retrieve.
 *
 * @since 0.1.0
 * @category models
 */
export class WorkflowRun extends Schema.Class<WorkflowRun>("@workflow-runs/core/WorkflowRun")({
  id: WorkflowRunId,
  object: Schema.Literal("v2.extend.workflow_run"),
  created: Timestamp,
  status: RunStatus,
  statusDetails: nullable(StatusDetails).pipe(Schema.fromKey("status_details")),
  statusTransitions: Schema.propertySignature(StatusTransitions).pipe(Schema.fromKey("status_transitions")),
  trigger: RunTrigger,
  workflow: WorkflowId,
  livemode: Schema.Boolean
}) {
  /**
   * When the run started, if Stripe reported it.
   *
   * @since 0.1.0
   */
  get startedAt(): Option.Option<DateTime.Utc> {
    return Option.fromNullable(this.statusTransitions.startedAt)
  }

  /**
   * When the run succeeded, if it has.
   *
   * @since 0.1.0
   */
  get succeededAt(): Option.Option<DateTime.Utc> {
    return Option.fromNullable(this.statusTransitions.succeededAt)
  }

  /**
   * When the run failed, if it has.
   *
   * @since 0.1.0
   */
  get failedAt(): Option.Option<DateTime.Utc> {
    return Option.fromNullable(this.statusTransitions.failedAt)
  }

  /**
   * The failure's message, if the run failed and Stripe gave one.
   *
   * @since 0.1.0
   */
  get errorMessage(): Option.Option<string> {
    return Option.fromNullable(this.statusDetails?.failed?.errorMessage)
  }

  /**
   * The input parameters of a manually triggered run.
   *
   * @since 0.1.0
   */
  get inputParameters(): Option.Option<InputParameters> {
    return Option.fromNullable(this.trigger.manual?.inputParameters)
  }

  /**
   * The triggering event of an event-triggered run.
   *
   * @since 0.1.0
   */
  get eventTrigger(): Option.Option<EventTrigger> {
    return Option.fromNullable(this.trigger.eventTrigger)
  }

  /**
   * Whether the run has reached a known final status.
   *
   * @since 0.1.0
   */
  get isTerminal(): boolean {
    return this.status === "succeeded" || this.status === "failed"
  }
}

/**
 * Decodes a Workflow Run from Stripe's JSON (already parsed).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeUnknown = Schema.decodeUnknown(WorkflowRun)

/**
 * Encodes a Workflow Run to Stripe's JSON.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = Schema.encode(WorkflowRun)
