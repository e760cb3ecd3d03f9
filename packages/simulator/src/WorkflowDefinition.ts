/**
 * The simulator's definition of a Workflow beyond its Stripe JSON: the declared inputs that
 * invoke validates and the scripted outcome of its runs. The control API and the library API
 * both take these definitions in their encoded, snake_case JSON form.
 *
 * @since 0.1.0
 */
import { Ids } from "@workflow-runs/core"
import * as Schema from "effect/Schema"

/**
 * The JSON type of a declared input. `integer` accepts whole numbers only; `number` any finite
 * number.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InputType = Schema.Literal("string", "integer", "number", "boolean", "array", "object")

/**
 * @since 0.1.0
 * @category models
 */
export type InputType = typeof InputType.Type

/**
 * One input of a manual trigger: its name, JSON type, whether invoke must send it, and for
 * arrays the type of every item.
 *
 * @since 0.1.0
 * @category models
 */
export class InputDeclaration extends Schema.Class<InputDeclaration>("@workflow-runs/simulator/InputDeclaration")({
  name: Schema.NonEmptyString,
  type: InputType,
  required: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  items: Schema.optional(InputType)
}) {}

/**
 * The end of a run: `succeeded`, `failed` with `errorMessage`, or `hold`, which keeps the run
 * `started` until a later run script settles it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Outcome = Schema.Literal("succeeded", "failed", "hold")

/**
 * @since 0.1.0
 * @category models
 */
export type Outcome = typeof Outcome.Type

/**
 * The scripted end of a run: its outcome, the time from start to that outcome in milliseconds,
 * and the failure's message.
 *
 * @since 0.1.0
 * @category models
 */
export class RunScript extends Schema.Class<RunScript>("@workflow-runs/simulator/RunScript")({
  outcome: Schema.optionalWith(Outcome, { default: () => "succeeded" as const }),
  delayMs: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 50 }).pipe(Schema.fromKey("delay_ms")),
  errorMessage: Schema.optionalWith(Schema.String, { default: () => "The workflow failed (scripted by the simulator)" })
    .pipe(Schema.fromKey("error_message"))
}) {}

/**
 * The trigger of a Workflow: `manual` (invoke and the Dashboard can start it) or `event_trigger`
 * (a Stripe event of `eventType` starts it).
 *
 * @since 0.1.0
 * @category schemas
 */
export const TriggerDefinition = Schema.Union(
  Schema.Struct({ type: Schema.Literal("manual") }),
  Schema.Struct({
    type: Schema.Literal("event_trigger"),
    eventType: Schema.String.pipe(Schema.propertySignature, Schema.fromKey("event_type")),
    eventsFrom: Schema.optionalWith(Schema.Array(Schema.String), { default: () => ["@self"] }).pipe(
      Schema.fromKey("events_from")
    )
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type TriggerDefinition = typeof TriggerDefinition.Type

/**
 * A Workflow to serve. Without an `id` the simulator generates one. Without `inputs` invoke
 * accepts any `input_parameters` object. Declared inputs reject missing required keys, wrong
 * types and undeclared keys.
 *
 * @since 0.1.0
 * @category models
 */
export class WorkflowDefinition
  extends Schema.Class<WorkflowDefinition>("@workflow-runs/simulator/WorkflowDefinition")({
    id: Schema.optional(Ids.WorkflowId),
    title: Schema.optionalWith(Schema.String, { default: () => "Simulated workflow" }),
    status: Schema.optionalWith(Schema.String.pipe(Schema.nonEmptyString()), { default: () => "active" }),
    trigger: Schema.optionalWith(TriggerDefinition, { default: () => ({ type: "manual" as const }) }),
    inputs: Schema.optional(Schema.Array(InputDeclaration)),
    script: Schema.optional(RunScript)
  })
{}

/**
 * The encoded (snake_case JSON) form of a {@link WorkflowDefinition}, as the control API takes it.
 *
 * @since 0.1.0
 * @category models
 */
export type WorkflowDefinitionInput = typeof WorkflowDefinition.Encoded

/**
 * Decodes a definition from its JSON form, filling in the defaults.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decode = Schema.decodeUnknown(WorkflowDefinition)

/**
 * Builds a definition from its JSON form, filling in the defaults; throws on invalid input.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: WorkflowDefinitionInput): WorkflowDefinition =>
  Schema.decodeUnknownSync(WorkflowDefinition)(input)
