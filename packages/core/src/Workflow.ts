/**
 * A Workflow (`v2.extend.workflow`): the Encoded side is Stripe's JSON, the Type side the
 * camelCase domain object.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { WorkflowId } from "./Ids.js"
import { nullable, OpenObject } from "./internal/fields.js"
import { OpenEnum } from "./OpenEnum.js"
import { Timestamp } from "./Timestamp.js"

/**
 * The status of a Workflow. Only `active` workflows can be invoked.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WorkflowStatus = OpenEnum("WorkflowStatus", "active", "archived", "draft", "inactive")

/**
 * @since 0.1.0
 * @category models
 */
export type WorkflowStatus = typeof WorkflowStatus.Type

/**
 * The kind of a trigger, shared by Workflows and Workflow Runs.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TriggerType = OpenEnum("TriggerType", "event_trigger", "manual")

/**
 * @since 0.1.0
 * @category models
 */
export type TriggerType = typeof TriggerType.Type

/**
 * The event that launches an event-triggered Workflow.
 *
 * @since 0.1.0
 * @category models
 */
export class EventTriggerDefinition extends Schema.Class<EventTriggerDefinition>(
  "@workflow-runs/core/EventTriggerDefinition"
)({
  eventsFrom: Schema.propertySignature(Schema.Array(Schema.String)).pipe(Schema.fromKey("events_from")),
  type: Schema.String
}) {}

/**
 * One trigger of a Workflow. The branch that does not match `type` is usually left out.
 *
 * @since 0.1.0
 * @category models
 */
export class WorkflowTrigger extends Schema.Class<WorkflowTrigger>("@workflow-runs/core/WorkflowTrigger")({
  type: TriggerType,
  eventTrigger: nullable(EventTriggerDefinition).pipe(Schema.fromKey("event_trigger")),
  manual: nullable(OpenObject)
}) {}

/**
 * A Workflow as Stripe returns it from the list and retrieve endpoints.
 *
 * @since 0.1.0
 * @category models
 */
export class Workflow extends Schema.Class<Workflow>("@workflow-runs/core/Workflow")({
  id: WorkflowId,
  object: Schema.Literal("v2.extend.workflow"),
  created: Timestamp,
  livemode: Schema.Boolean,
  status: WorkflowStatus,
  title: Schema.String,
  triggers: Schema.Array(WorkflowTrigger)
}) {
  /**
   * Whether this Workflow has a trigger that can be invoked through the API or the Dashboard.
   *
   * @since 0.1.0
   */
  get hasManualTrigger(): boolean {
    return this.triggers.some((trigger) => trigger.type === "manual")
  }

  /**
   * Whether an invoke can start a run of this Workflow: it is `active` and has a manual trigger.
   *
   * @since 0.1.0
   */
  get isInvokable(): boolean {
    return this.status === "active" && this.hasManualTrigger
  }

  /**
   * The event type of the first event trigger, if the Workflow has one.
   *
   * @since 0.1.0
   */
  get eventType(): Option.Option<string> {
    return Option.fromNullable(this.triggers.find((trigger) => trigger.eventTrigger)?.eventTrigger?.type)
  }
}
