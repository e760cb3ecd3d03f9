/**
 * @since 0.1.0
 */

/**
 * The anchor as a copyable token.
 *
 * @since 0.1.0
 */
export * as AnchorText from "./AnchorText.js"

/**
 * The audit HTTP API behind a bearer token.
 *
 * @since 0.1.0
 */
export * as AuditApi from "./AuditApi.js"

/**
 * The HTTP server: webhook route, audit API, health and metrics.
 *
 * @since 0.1.0
 */
export * as HttpApp from "./HttpApp.js"

/**
 * The webhook inbox.
 *
 * @since 0.1.0
 */
export * as Inbox from "./Inbox.js"

/**
 * The projector's metrics and their Prometheus rendering.
 *
 * @since 0.1.0
 */
export * as Metrics from "./Metrics.js"

/**
 * The projector assembled from its services.
 *
 * @since 0.1.0
 */
export * as Projector from "./Projector.js"

/**
 * The reconciler of runs and invocation attempts that notifications missed.
 *
 * @since 0.1.0
 */
export * as Reconciler from "./Reconciler.js"

/**
 * The writer of run transitions and inbox rows.
 *
 * @since 0.1.0
 */
export * as RunProjector from "./RunProjector.js"

/**
 * The walk-through that `workflow-runs demo` prints.
 *
 * @since 0.1.0
 */
export * as Walkthrough from "./Walkthrough.js"

/**
 * `POST /webhooks/stripe`.
 *
 * @since 0.1.0
 */
export * as Webhook from "./Webhook.js"
