/**
 * The bodies of control requests other than workflow definitions and faults: starting a run
 * without invoke, registering a webhook destination and rolling its secret. The control API and
 * the library API decode them with these schemas, so both reject the same invalid input.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A run started from the Dashboard, with its input parameters.
 *
 * @since 0.1.0
 * @category models
 */
export const DashboardRun = Schema.Struct({
  workflow: Schema.NonEmptyString,
  trigger: Schema.Literal("dashboard"),
  input_parameters: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Unknown }), {
    default: () => ({})
  })
})

/**
 * A run started by an event trigger: the triggering event's account context (default `@self`),
 * id and type.
 *
 * @since 0.1.0
 * @category models
 */
export const EventTriggeredRun = Schema.Struct({
  workflow: Schema.NonEmptyString,
  trigger: Schema.Literal("event_trigger"),
  context: Schema.optionalWith(Schema.NonEmptyString, { default: () => "@self" }),
  event_id: Schema.NonEmptyString,
  event_type: Schema.NonEmptyString
})

/**
 * A run to start without invoke.
 *
 * @since 0.1.0
 * @category models
 */
export const StartRun = Schema.Union(DashboardRun, EventTriggeredRun)

/**
 * @since 0.1.0
 * @category models
 */
export type StartRun = typeof StartRun.Encoded

/**
 * A webhook destination to register: the receiver's http or https URL, its `whsec_` secret
 * (generated when left out) and the event types it receives (all when left out).
 *
 * @since 0.1.0
 * @category models
 */
export const DestinationRegistration = Schema.Struct({
  url: Schema.String.pipe(
    Schema.filter((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol), {
      message: () => "url must be an absolute http or https URL"
    })
  ),
  secret: Schema.optional(Schema.NonEmptyString),
  event_types: Schema.optional(Schema.Array(Schema.NonEmptyString))
})

/**
 * @since 0.1.0
 * @category models
 */
export type DestinationRegistration = typeof DestinationRegistration.Encoded

/**
 * A secret roll: the new secret (generated when left out) and how long the previous secrets
 * keep signing, in milliseconds (default 24 hours, 0 to stop at once).
 *
 * @since 0.1.0
 * @category models
 */
export const SecretRoll = Schema.Struct({
  secret: Schema.optional(Schema.NonEmptyString),
  previous_expires_in_ms: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 24 * 60 * 60 * 1000 })
})

/**
 * @since 0.1.0
 * @category models
 */
export type SecretRoll = typeof SecretRoll.Encoded
