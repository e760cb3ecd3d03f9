/**
 * A Stripe v2 event (`v2.core.event`) as `GET /v2/core/events/{id}` returns it, and the parts it
 * shares with the thin notifications that event destinations deliver.
 *
 * @since 0.1.0
 */
import { Ids, Timestamp } from "@workflow-runs/core"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

const nullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(Schema.NullOr(schema), { exact: true })

/**
 * The API request that caused an event.
 *
 * @since 0.1.0
 * @category models
 */
export class EventRequest extends Schema.Class<EventRequest>("@workflow-runs/stripe/EventRequest")({
  id: Schema.String,
  idempotencyKey: Schema.optionalWith(Schema.String, { exact: true }).pipe(Schema.fromKey("idempotency_key"))
}) {}

/**
 * Why an event happened: `type` is `request` when an API request caused it.
 *
 * @since 0.1.0
 * @category models
 */
export class EventReason extends Schema.Class<EventReason>("@workflow-runs/stripe/EventReason")({
  type: Schema.String,
  request: nullable(EventRequest)
}) {}

/**
 * The object an event is about, with the API path that retrieves it.
 *
 * @since 0.1.0
 * @category models
 */
export class RelatedObject extends Schema.Class<RelatedObject>("@workflow-runs/stripe/RelatedObject")({
  id: Schema.String,
  type: Schema.String,
  url: Schema.String
}) {}

/**
 * The fields every v2 event and thin notification carries.
 *
 * @since 0.1.0
 * @category schemas
 */
export const EventFields = {
  id: Ids.StripeEventId,
  object: Schema.Literal("v2.core.event"),
  type: Schema.String,
  created: Timestamp.Timestamp,
  livemode: Schema.Boolean,
  context: nullable(Schema.String),
  reason: nullable(EventReason),
  relatedObject: nullable(RelatedObject).pipe(Schema.fromKey("related_object"))
}

/**
 * A v2 event with its `data`, which is `null` or absent for the started and succeeded run events
 * and holds `dashboard_url` and `failure_details` for a failed run.
 *
 * @since 0.1.0
 * @category models
 */
export class Event extends Schema.Class<Event>("@workflow-runs/stripe/Event")({
  ...EventFields,
  data: nullable(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}) {
  /**
   * The account the event belongs to, sent back as `Stripe-Context` when fetching its objects.
   *
   * @since 0.1.0
   */
  get stripeContext(): Option.Option<string> {
    return Option.fromNullable(this.context)
  }

  /**
   * The idempotency key of the API request that caused the event, if one did.
   *
   * @since 0.1.0
   */
  get idempotencyKey(): Option.Option<string> {
    return Option.fromNullable(this.reason?.request?.idempotencyKey)
  }
}
