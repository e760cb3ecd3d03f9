/**
 * @since 0.1.0
 */

/**
 * Branded identifiers of Stripe Workflows objects and of this project's events.
 *
 * @since 0.1.0
 */
export * as Ids from "./Ids.js"

/**
 * Open enums that keep values this version does not know.
 *
 * @since 0.1.0
 */
export * as OpenEnum from "./OpenEnum.js"

/**
 * Run-transition events.
 *
 * @since 0.1.0
 */
export * as RunEvent from "./RunEvent.js"

/**
 * The run status state machine.
 *
 * @since 0.1.0
 */
export * as RunState from "./RunState.js"

/**
 * Stripe's RFC 3339 timestamps as `DateTime.Utc`.
 *
 * @since 0.1.0
 */
export * as Timestamp from "./Timestamp.js"

/**
 * Workflows.
 *
 * @since 0.1.0
 */
export * as Workflow from "./Workflow.js"

/**
 * Workflow Runs.
 *
 * @since 0.1.0
 */
export * as WorkflowRun from "./WorkflowRun.js"

/**
 * The documented Workflows API errors.
 *
 * @since 0.1.0
 */
export * as WorkflowsError from "./WorkflowsError.js"
