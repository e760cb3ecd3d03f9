/**
 * Thin event notifications (`v2.core.event`) as an event destination delivers them: verify the
 * signature over the raw body, then decode into {@link WorkflowRunStarted},
 * {@link WorkflowRunSucceeded}, {@link WorkflowRunFailed} or an {@link UnknownEventNotification}
 * that keeps the payload. {@link fetchEvent} and {@link fetchRelatedObject} retrieve the full
 * event and the run with the notification's context.
 *
 * @since 0.1.0
 */
import { Ids, Timestamp } from "@workflow-runs/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Event from "./Event.js"
import * as WebhookSignature from "./WebhookSignature.js"
import * as Workflows from "./Workflows.js"

/**
 * The body is not a JSON object with the fields of a thin event. `path` locates the first
 * failing field, empty when the body is not JSON.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidEventNotification extends Schema.TaggedError<InvalidEventNotification>(
  "@workflow-runs/stripe/InvalidEventNotification"
)("InvalidEventNotification", { path: Schema.String, message: Schema.String }) {}

/**
 * The body is another kind of event: a v1 snapshot event (`object: "event"`) or any `object`
 * other than `v2.core.event`. Configure the event destination to send thin events.
 *
 * @since 0.1.0
 * @category errors
 */
export class WrongEventKind extends Schema.TaggedError<WrongEventKind>("@workflow-runs/stripe/WrongEventKind")(
  "WrongEventKind",
  { object: Schema.String, message: Schema.String }
) {}

/**
 * Any reason a verified body is not a usable notification.
 *
 * @since 0.1.0
 * @category errors
 */
export type EventNotificationError = InvalidEventNotification | WrongEventKind

const notificationFields = {
  id: Ids.StripeEventId,
  type: Schema.String,
  created: Timestamp.Timestamp,
  livemode: Schema.Boolean,
  context: Schema.OptionFromNullOr(Schema.String),
  reason: Schema.OptionFromNullOr(Event.EventReason)
}

const runFields = {
  ...notificationFields,
  runId: Ids.WorkflowRunId,
  relatedObject: Event.RelatedObject
}

/**
 * A run started (`v2.extend.workflow_run.started`).
 *
 * @since 0.1.0
 * @category models
 */
export class WorkflowRunStarted extends Schema.TaggedClass<WorkflowRunStarted>(
  "@workflow-runs/stripe/WorkflowRunStarted"
)("WorkflowRunStarted", runFields) {}

/**
 * A run succeeded (`v2.extend.workflow_run.succeeded`).
 *
 * @since 0.1.0
 * @category models
 */
export class WorkflowRunSucceeded extends Schema.TaggedClass<WorkflowRunSucceeded>(
  "@workflow-runs/stripe/WorkflowRunSucceeded"
)("WorkflowRunSucceeded", runFields) {}

/**
 * A run failed (`v2.extend.workflow_run.failed`). The failure's details are in the full event
 * ({@link fetchEvent}) and on the run ({@link fetchRelatedObject}).
 *
 * @since 0.1.0
 * @category models
 */
export class WorkflowRunFailed extends Schema.TaggedClass<WorkflowRunFailed>(
  "@workflow-runs/stripe/WorkflowRunFailed"
)("WorkflowRunFailed", runFields) {}

/**
 * A notification of a type this library does not model, with its parsed payload.
 *
 * @since 0.1.0
 * @category models
 */
export class UnknownEventNotification extends Schema.TaggedClass<UnknownEventNotification>(
  "@workflow-runs/stripe/UnknownEventNotification"
)("UnknownEventNotification", {
  ...notificationFields,
  relatedObject: Schema.OptionFromNullOr(Event.RelatedObject),
  payload: Schema.Unknown
}) {}

/**
 * A notification about a Workflow Run.
 *
 * @since 0.1.0
 * @category models
 */
export type WorkflowRunNotification = WorkflowRunStarted | WorkflowRunSucceeded | WorkflowRunFailed

/**
 * Any decoded notification.
 *
 * @since 0.1.0
 * @category models
 */
export type EventNotification = WorkflowRunNotification | UnknownEventNotification

/**
 * The schema of {@link EventNotification}, for storing decoded notifications.
 *
 * @since 0.1.0
 * @category schemas
 */
export const EventNotification = Schema.Union(
  WorkflowRunStarted,
  WorkflowRunSucceeded,
  WorkflowRunFailed,
  UnknownEventNotification
)

const runClasses: ReadonlyMap<
  string,
  typeof WorkflowRunStarted | typeof WorkflowRunSucceeded | typeof WorkflowRunFailed
> = new Map<string, typeof WorkflowRunStarted | typeof WorkflowRunSucceeded | typeof WorkflowRunFailed>([
  ["v2.extend.workflow_run.started", WorkflowRunStarted],
  ["v2.extend.workflow_run.succeeded", WorkflowRunSucceeded],
  ["v2.extend.workflow_run.failed", WorkflowRunFailed]
])

const ThinEvent = Schema.Struct({
  id: Ids.StripeEventId,
  object: Schema.Literal("v2.core.event"),
  type: Schema.String,
  created: Timestamp.Timestamp,
  livemode: Schema.Boolean,
  context: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  reason: Schema.optionalWith(Schema.NullOr(Event.EventReason), { exact: true }),
  related_object: Schema.optionalWith(Schema.NullOr(Event.RelatedObject), { exact: true })
})

const invalid = (path: string, message: string) => new InvalidEventNotification({ path, message })

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * The maximum nesting of arrays and objects in a notification body. A thin event nests three
 * levels deep. Deeper bodies are rejected before the schema decoder, because its error formatter
 * recurses and overflowed the stack on a body nested 100,000 levels deep (effect 3.22.4).
 *
 * @since 0.1.0
 * @category constants
 */
export const maxNestingDepth = 64

// Walks the parsed value with an explicit stack, so the check itself cannot overflow.
const nestedDeeperThan = (value: unknown, limit: number): boolean => {
  const pending: Array<readonly [unknown, number]> = [[value, 1]]
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!
    if (typeof current !== "object" || current === null) continue
    if (depth > limit) return true
    for (const child of Object.values(current)) pending.push([child, depth + 1])
  }
  return false
}

const decodeUntraced = Effect.fnUntraced(function*(payload: Uint8Array | string) {
  let text: string
  try {
    text = typeof payload === "string" ? payload : utf8.decode(payload)
  } catch {
    return yield* invalid("", "The notification body is not UTF-8 text")
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return yield* invalid("", "The notification body is not JSON")
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return yield* invalid("", "The notification body is not a JSON object")
  }
  if (nestedDeeperThan(json, maxNestingDepth)) {
    return yield* invalid("", `The notification body nests arrays or objects more than ${maxNestingDepth} levels deep`)
  }
  const object = (json as Record<string, unknown>).object
  if (object === "event") {
    return yield* new WrongEventKind({
      object,
      message:
        "Received a v1 snapshot event (object \"event\"); Workflow Run events are thin events, so configure the event destination with the thin payload style"
    })
  }
  if (object !== "v2.core.event") {
    return yield* new WrongEventKind({
      object: String(object),
      message: `Expected a thin event (object "v2.core.event"), got object ${JSON.stringify(object)}`
    })
  }
  const event = yield* Schema.decodeUnknown(ThinEvent, { errors: "all" })(json).pipe(
    Effect.mapError((error) => {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
      const described = issues.map((issue) => {
        const path = issue.path.length === 0 ? "the event" : issue.path.map(String).join(".")
        return issue.message === "is missing" ? `${path} is missing` : `${path}: ${issue.message}`
      })
      return invalid(
        issues[0]?.path.map(String).join(".") ?? "",
        described.length === 0 ? error.message : `Invalid thin event: ${described.join("; ")}`
      )
    })
  )
  const common = {
    id: event.id,
    type: event.type,
    created: event.created,
    livemode: event.livemode,
    context: Option.fromNullable(event.context),
    reason: Option.fromNullable(event.reason)
  }
  // The fields were decoded above, so the constructors skip validating them again. In a profile
  // of the webhook route, that second pass cost about as much as decoding the run's snapshot.
  const RunClass = runClasses.get(event.type)
  if (RunClass === undefined) {
    return new UnknownEventNotification({
      ...common,
      relatedObject: Option.fromNullable(event.related_object),
      payload: json
    }, true) as EventNotification
  }
  const related = event.related_object
  if (related === undefined || related === null || related.type !== "v2.extend.workflow_run") {
    return yield* invalid("related_object", `A ${event.type} event must relate to a v2.extend.workflow_run`)
  }
  const runId = yield* Schema.decodeUnknown(Ids.WorkflowRunId)(related.id).pipe(
    Effect.mapError((error) => invalid("related_object.id", error.message))
  )
  return new RunClass({ ...common, runId, relatedObject: related }, true) as EventNotification
})

/**
 * Decodes a notification body that was already verified. Prefer {@link parse}, which verifies
 * the signature first.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = Effect.fn("EventNotification.decode")(function*(payload: Uint8Array | string) {
  return yield* decodeUntraced(payload)
})

/**
 * Verifies the `Stripe-Signature` header over the raw body and decodes the notification. It opens
 * one span, since a receiver calls it on every notification.
 *
 * @since 0.1.0
 * @category decoding
 */
export const parse = Effect.fn("EventNotification.parse")(function*(
  payload: Uint8Array | string,
  signatureHeader: string | null | undefined,
  options: WebhookSignature.VerifyOptions
) {
  yield* WebhookSignature.verifyUntraced(payload, signatureHeader, options)
  return yield* decodeUntraced(payload)
})

const followUp = (notification: EventNotification): Workflows.RequestOptions => ({
  stripeContext: Option.getOrUndefined(notification.context),
  triggeringEventId: notification.id
})

/**
 * Retrieves the full event of a notification, with its `data`, sending the notification's
 * context as `Stripe-Context` and `Stripe-Request-Trigger: event=<id>`.
 *
 * @since 0.1.0
 * @category fetching
 */
export const fetchEvent = (notification: EventNotification) =>
  Workflows.retrieveEvent(notification.id, followUp(notification))

/**
 * Retrieves the run a notification is about, in its current state, sending the notification's
 * context as `Stripe-Context` and `Stripe-Request-Trigger: event=<id>`.
 *
 * @since 0.1.0
 * @category fetching
 */
export const fetchRelatedObject = (notification: WorkflowRunNotification) =>
  Workflows.retrieveWorkflowRun(notification.runId, followUp(notification))
