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
 * `POST /webhooks/stripe`.
 *
 * @since 0.1.0
 */
export * as Webhook from "./Webhook.js"

/**
 * The app's configuration from the environment.
 *
 * @since 0.1.0
 */
export * as AppConfig from "./AppConfig.js"

/**
 * The `workflow-runs` command line.
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"

/**
 * The `demo` command: the whole path on local parts.
 *
 * @since 0.1.0
 */
export * as Demo from "./Demo.js"

/**
 * The CLI's tables, timelines and reports.
 *
 * @since 0.1.0
 */
export * as Output from "./Output.js"

/**
 * The `serve` command's layer.
 *
 * @since 0.1.0
 */
export * as Serve from "./Serve.js"
