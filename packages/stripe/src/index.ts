/**
 * @since 0.1.0
 */

/**
 * A Stripe v2 event, as `retrieveEvent` returns it.
 *
 * @since 0.1.0
 */
export * as Event from "./Event.js"

/**
 * Thin event notifications: verification, decoding and follow-up requests.
 *
 * @since 0.1.0
 */
export * as EventNotification from "./EventNotification.js"

/**
 * An optional observer of the live client's attempts, retries and calls, for metrics.
 *
 * @since 0.1.0
 */
export * as RequestObserver from "./RequestObserver.js"

/**
 * The infrastructure errors of the Stripe API.
 *
 * @since 0.1.0
 */
export * as StripeError from "./StripeError.js"

/**
 * Verification of the `Stripe-Signature` header.
 *
 * @since 0.1.0
 */
export * as WebhookSignature from "./WebhookSignature.js"

/**
 * The Workflows API as an Effect service, with live and test layers.
 *
 * @since 0.1.0
 */
export * as Workflows from "./Workflows.js"

/**
 * The controls of the in-memory Workflows API.
 *
 * @since 0.1.0
 */
export * as WorkflowsTest from "./WorkflowsTest.js"
