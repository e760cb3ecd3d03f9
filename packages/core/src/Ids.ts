/**
 * Branded identifiers of Stripe Workflows objects and of this project's events.
 *
 * Stripe ids are checked for shape only (non-empty, at most 255 characters, no control
 * characters, no `/` and not `.` or `..`) and never by prefix, because test-mode and live-mode
 * ids differ. The shape keeps an id one path segment of a request URL: URL parsers resolve `.` and
 * `..`, even percent-encoded, so `retrieveWorkflowRun("..")` would request `/v2/extend/`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { uuidV5 } from "./internal/uuid.js"

const maxIdLength = 255

// eslint-disable-next-line no-control-regex
const forbiddenIdCharacters = /[\u0000-\u001f\u007f/]/

const stripeId = (brand: string, description: string) =>
  Schema.String.pipe(
    Schema.filter((value) => {
      if (value.length === 0) return `${description} must not be empty`
      if (value.length > maxIdLength) return `${description} must be at most ${maxIdLength} characters long`
      if (forbiddenIdCharacters.test(value)) return `${description} must not contain "/" or control characters`
      if (value === "." || value === "..") return `${description} must not be "." or ".."`
      return true
    }, { identifier: brand, description })
  )

/**
 * The id of a Workflow, such as `wf_test_61UNwDso5RkJhsXt116TT0rUFzSQLefl99yAJBArIFXc`.
 *
 * @since 0.1.0
 * @category ids
 */
export const WorkflowId = stripeId("WorkflowId", "a workflow id").pipe(Schema.brand("WorkflowId"))

/**
 * @since 0.1.0
 * @category ids
 */
export type WorkflowId = typeof WorkflowId.Type

/**
 * The id of a Workflow Run, such as `wfrun_test_61UTL7vuMHzp5fHTd16TT0rUFzSQLefl99yAJBArITFo`.
 *
 * @since 0.1.0
 * @category ids
 */
export const WorkflowRunId = stripeId("WorkflowRunId", "a workflow run id").pipe(Schema.brand("WorkflowRunId"))

/**
 * @since 0.1.0
 * @category ids
 */
export type WorkflowRunId = typeof WorkflowRunId.Type

/**
 * The id of a Stripe event notification (`evt_...`), the key of the webhook inbox.
 *
 * @since 0.1.0
 * @category ids
 */
export const StripeEventId = stripeId("StripeEventId", "a Stripe event id").pipe(Schema.brand("StripeEventId"))

/**
 * @since 0.1.0
 * @category ids
 */
export type StripeEventId = typeof StripeEventId.Type

/**
 * The namespace of every name-based event id of this project. Changing it would give every
 * transition a new id and break deduplication against stored events, so it is fixed forever.
 *
 * @since 0.1.0
 * @category ids
 */
export const eventIdNamespace = "6f1d1c1a-3c1e-4d5b-9a57-0e6b2f9c4d21"

/**
 * The id of an event in the log: a lowercase UUID.
 *
 * @since 0.1.0
 * @category ids
 */
export const EventId = Schema.UUID.pipe(Schema.brand("EventId"))

/**
 * @since 0.1.0
 * @category ids
 */
export type EventId = typeof EventId.Type

/**
 * Derives the event id of `name` (for example `<runId>:started`): a UUID version 5 of
 * {@link eventIdNamespace}, so every path that learns of the same fact produces the same id.
 *
 * @since 0.1.0
 * @category ids
 */
export const eventIdFor = (name: string): EventId => EventId.make(uuidV5(eventIdNamespace, name))
