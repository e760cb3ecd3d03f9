/**
 * @since 0.1.0
 */

/**
 * The bodies of control requests: run starts, destination registrations and secret rolls.
 *
 * @since 0.1.0
 */
export * as ControlRequest from "./ControlRequest.js"

/**
 * The workflows a simulator serves by default.
 *
 * @since 0.1.0
 */
export * as DefaultWorkflows from "./DefaultWorkflows.js"

/**
 * Faults injected into API requests and webhook deliveries.
 *
 * @since 0.1.0
 */
export * as Fault from "./Fault.js"

/**
 * The simulator service: start it, reach it, control it.
 *
 * @since 0.1.0
 */
export * as Simulator from "./Simulator.js"

/**
 * Stripe's webhook signature scheme.
 *
 * @since 0.1.0
 */
export * as Webhook from "./Webhook.js"

/**
 * Workflow definitions: declared inputs and scripted outcomes.
 *
 * @since 0.1.0
 */
export * as WorkflowDefinition from "./WorkflowDefinition.js"
