/**
 * `POST /webhooks/stripe`: verify a thin event notification over its raw bytes, skip an event id
 * the inbox already has, retrieve the run from Stripe outside any transaction, then record the
 * transitions and the inbox row in one transaction. A 2xx means the notification is recorded,
 * and a 4xx that it can never be. A 5xx means it could not be recorded now, so Stripe delivers it
 * again. A run Stripe returns 404 for is stored as `run_not_found` with a 2xx, since Stripe's
 * reads may lag a new run and the reconciler records it once Stripe lists it.
 *
 * @since 0.1.0
 */
import type { WorkflowRun } from "@workflow-runs/core"
import { EventStore, Invocation } from "@workflow-runs/store"
import { EventNotification, Workflows } from "@workflow-runs/stripe"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Inbox from "./Inbox.js"
import { redactSecrets } from "./internal/redact.js"
import * as Metrics from "./Metrics.js"
import * as RunProjector from "./RunProjector.js"

/**
 * The largest notification body accepted, 1 MiB; larger ones get 413.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxBodyBytes = 1024 * 1024

/**
 * Settings of the webhook route.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The endpoint secrets; a signature under any of them is accepted (for rotation). */
  readonly secrets: readonly [Redacted.Redacted<string>, ...Array<Redacted.Redacted<string>>]
  /** How far a signature's timestamp may be from now; 5 minutes by default. */
  readonly tolerance?: Duration.DurationInput | undefined
}

/**
 * The response to a notification: an HTTP status and a JSON body.
 *
 * @since 0.1.0
 * @category models
 */
export interface Answer {
  readonly status: number
  readonly body: Readonly<Record<string, unknown>>
}

const rejected = (status: number, reason: string, message: string) =>
  Effect.as(
    Metric.increment(Metric.tagged(Metrics.notificationsRejected, "reason", reason)),
    { status, body: { error: { type: reason, message } } } satisfies Answer
  )

// Keeps a byte-order mark, so the stored text is the body as sent.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/**
 * Responds to a body that is over {@link maxBodyBytes}.
 *
 * @since 0.1.0
 * @category handling
 */
export const tooLarge: Effect.Effect<Answer> = Effect.zipRight(
  Effect.logWarning("Rejected a notification over the body limit").pipe(
    Effect.annotateLogs({ limit_bytes: maxBodyBytes })
  ),
  rejected(413, "body_too_large", `The notification body is larger than ${maxBodyBytes} bytes`)
)

const metadataOf = (notification: EventNotification.WorkflowRunNotification) => {
  const request = Option.flatMap(notification.reason, (reason) => Option.fromNullable(reason.request))
  return {
    source: "webhook",
    stripeEventId: notification.id,
    stripeEventType: notification.type,
    ...Option.match(request, {
      onNone: () => ({}),
      onSome: (request) => ({
        requestId: request.id,
        ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey })
      })
    })
  }
}

const idempotencyKeyOf = (notification: EventNotification.WorkflowRunNotification) =>
  Option.flatMap(
    notification.reason,
    (reason) => Option.fromNullable(reason.request?.idempotencyKey)
  )

// The stream of the attempt a notification's idempotency key names. A key the log could not hold
// has no attempt to settle.
const attemptStreamOf = (notification: EventNotification.EventNotification) =>
  notification._tag === "UnknownEventNotification" ? Option.none() : Option.flatMap(
    idempotencyKeyOf(notification),
    (key) => Option.map(decodeIdempotencyKey(key), EventStore.invocationStream)
  )

const decodeIdempotencyKey = Schema.decodeOption(Invocation.IdempotencyKey)

// Settling the attempt is its own transaction after the answer's work is committed; a failure
// leaves it to the reconciler. Without a recorded request there is nothing to settle. The request
// is recorded before Stripe is called, so it is committed before any notification of the run.
const settle = (
  projector: RunProjector.Service,
  notification: EventNotification.WorkflowRunNotification,
  run: WorkflowRun.WorkflowRun,
  attemptRequested: boolean
) =>
  Option.match(Option.filter(idempotencyKeyOf(notification), () => attemptRequested), {
    onNone: () => Effect.void,
    onSome: (key) =>
      projector.settleInvocation(key, run).pipe(
        Effect.tap((settled) =>
          settled ? Effect.logInfo("Settled an invocation attempt from a notification") : Effect.void
        ),
        Effect.catchAll((error) =>
          Effect.logWarning("Could not settle the invocation attempt; the reconciler will", error)
        ),
        Effect.annotateLogs({ idempotency_key: key, run_id: run.id })
      )
  })

// Keeps a notification the projector records no transitions for in the inbox, for audit.
const storeOnly = Effect.fnUntraced(function*(entry: Inbox.Entry) {
  const inbox = yield* Inbox.Inbox
  const stored = yield* inbox.insert(entry).pipe(Effect.either)
  if (stored._tag === "Left") {
    yield* Effect.logError(
      "Could not store the notification; responding with 503 so Stripe delivers it again",
      stored.left
    )
    return yield* rejected(503, "not_recorded", "The notification could not be stored now; deliver it again")
  }
  return { status: 200, body: { received: true, outcome: entry.outcome } } satisfies Answer
})

// Stripe responded but does not show the run, because v2 reads may lag a run that just started or
// the run belongs to another account. Redelivery would not help for days, so the notification is
// kept for audit with a 2xx response, and the reconciler records the run once Stripe lists it.
const runNotFound = (notification: EventNotification.WorkflowRunNotification, rawBody: string) =>
  storeOnly({
    eventId: notification.id,
    rawBody,
    outcome: "run_not_found",
    runId: notification.runId,
    detail: { type: notification.type }
  }).pipe(
    Effect.tap((answer) =>
      answer.status === 200
        ? Effect.logWarning("Stripe does not know the notification's run; stored it for the reconciler to heal")
        : Effect.void
    )
  )

const recordRun = Effect.fnUntraced(function*(
  notification: EventNotification.WorkflowRunNotification,
  rawBody: string,
  screened: Inbox.Screened
) {
  const projector = yield* RunProjector.RunProjector
  const snapshot = yield* Workflows.retrieveWorkflowRun(notification.runId, {
    stripeContext: Option.getOrUndefined(notification.context),
    triggeringEventId: notification.id
  }).pipe(Effect.either)
  if (snapshot._tag === "Left" && snapshot.left._tag === "WorkflowRunNotFound") {
    return yield* runNotFound(notification, rawBody)
  }
  if (snapshot._tag === "Left") {
    yield* Effect.logError(
      "Could not retrieve the run from Stripe; responding with 503 so Stripe delivers it again",
      snapshot.left
    )
    return yield* rejected(503, "stripe_unavailable", `Could not retrieve run ${notification.runId} from Stripe`)
  }
  const run = snapshot.right
  const recorded = yield* projector.record(
    run,
    metadataOf(notification),
    Option.some({ eventId: notification.id, rawBody }),
    { runStreamEmpty: screened.runStreamEmpty }
  ).pipe(
    Effect.either
  )
  if (recorded._tag === "Left") {
    yield* Effect.logError(
      "Could not record the notification; responding with 503 so Stripe delivers it again",
      recorded.left
    )
    return yield* rejected(503, "not_recorded", "The notification could not be recorded now; deliver it again")
  }
  yield* RunProjector.observeLag(notification.created)
  const { outcome, appended } = recorded.right
  if (outcome === "contradiction") {
    yield* Effect.logError("The run's snapshot contradicts the log; kept in the inbox for audit").pipe(
      Effect.annotateLogs({ reason: Option.getOrElse(recorded.right.reason, () => "") })
    )
  } else if (outcome === "incomplete") {
    yield* Effect.logInfo("Recorded a terminal snapshot without its time as far as it goes; the reconciler finishes it")
  } else {
    yield* Effect.logDebug("Recorded a notification").pipe(Effect.annotateLogs({ outcome, appended }))
  }
  yield* settle(projector, notification, run, screened.attemptRequested)
  return { status: 200, body: { received: true, outcome, appended } } satisfies Answer
})

const handleNotification = Effect.fnUntraced(function*(
  body: Uint8Array,
  signature: string | undefined,
  options: Options
) {
  yield* Metric.increment(Metrics.notificationsReceived)
  const parsed = yield* EventNotification.parse(body, signature, {
    secrets: options.secrets,
    tolerance: options.tolerance
  }).pipe(Effect.either)
  if (parsed._tag === "Left") {
    const error = parsed.left
    const message = redactSecrets(error.message, options.secrets)
    yield* Effect.logWarning("Rejected a notification", message).pipe(Effect.annotateLogs({ reason: error._tag }))
    switch (error._tag) {
      case "InvalidEventNotification":
        return yield* rejected(400, "malformed_body", message)
      case "WrongEventKind":
        return yield* rejected(400, "wrong_event_kind", message)
      default:
        return yield* rejected(400, "bad_signature", message)
    }
  }
  const notification = parsed.right
  yield* Effect.annotateCurrentSpan({
    stripe_event_id: notification.id,
    stripe_event_type: notification.type,
    ...(notification._tag === "UnknownEventNotification" ? {} : { run_id: notification.runId })
  })
  const rawBody = utf8.decode(body)
  return yield* Effect.gen(function*() {
    const inbox = yield* Inbox.Inbox
    const known = yield* inbox.screen(notification.id, {
      attempt: Option.getOrNull(attemptStreamOf(notification)),
      run: notification._tag === "UnknownEventNotification" ? null : EventStore.runStream(notification.runId)
    }).pipe(Effect.either)
    if (known._tag === "Left") {
      yield* Effect.logError("Could not read the inbox; responding with 503 so Stripe delivers it again", known.left)
      return yield* rejected(503, "not_recorded", "The inbox could not be read now; deliver the notification again")
    }
    if (known.right.known) {
      yield* Metric.increment(Metrics.notificationsDuplicate)
      yield* Effect.logDebug("Skipped a notification the inbox already has")
      return { status: 200, body: { received: true, duplicate: true } } satisfies Answer
    }
    if (notification._tag === "UnknownEventNotification") {
      return yield* storeOnly({
        eventId: notification.id,
        rawBody,
        outcome: "unknown_type",
        runId: null,
        detail: { type: notification.type }
      }).pipe(
        Effect.tap((answer) =>
          answer.status === 200
            ? Effect.logInfo("Stored a notification of a type the projector does not model")
            : Effect.void
        )
      )
    }
    return yield* recordRun(notification, rawBody, known.right).pipe(
      Effect.annotateLogs({ run_id: notification.runId })
    )
  }).pipe(Effect.annotateLogs({ stripe_event_id: notification.id, stripe_event_type: notification.type }))
})

/**
 * Handles one notification body and its `Stripe-Signature` header, in one span named
 * `Webhook.handle` with the event's id and type, the run id and the response status.
 *
 * @since 0.1.0
 * @category handling
 */
export const handle = (
  body: Uint8Array,
  signature: string | undefined,
  options: Options
): Effect.Effect<Answer, never, Inbox.Inbox | RunProjector.RunProjector | Workflows.Workflows> =>
  handleNotification(body, signature, options).pipe(
    Effect.tap((answer) => Effect.annotateCurrentSpan("http.response.status_code", answer.status)),
    // The span is opened on every notification, and a stack trace of its caller would only name
    // the HTTP route.
    Effect.withSpan("Webhook.handle", { captureStackTrace: false })
  )
