/**
 * @since 0.1.0
 */

/**
 * The walk-through that `workflow-runs demo` prints.
 *
 * @since 0.1.0
 */
export * as Walkthrough from "./Walkthrough.js"
