/**
 * The benchmark suite of workflow-runs (`pnpm bench`).
 *
 * @since 0.1.0
 */

/** The interface an event store implements to be measured by the append benchmark. */
export * as AppendContender from "./AppendContender.js"

/** The append benchmark: workloads, options and results. */
export * as AppendScenario from "./AppendScenario.js"

/** The append contenders measured by default. */
export * as Contenders from "./contenders/index.js"

/** Append contenders written with Effect: a layer and an `append` effect. */
export * as EffectContender from "./EffectContender.js"

/** The PostgreSQL server a run uses. */
export * as Database from "./Database.js"

/** The machine and versions behind a run. */
export * as Machine from "./Machine.js"

/** Rounds, concurrent callers and summaries, on tinybench. */
export * as Measure from "./Measure.js"

/** The read benchmark of the growing log. */
export * as ReadScenario from "./ReadScenario.js"

/** The Markdown report. */
export * as Report from "./Report.js"

/** The stand-in run-events table, its bulk loader and its queries. */
export * as RunEventsTable from "./RunEventsTable.js"

/** The suite's modes and its entry point. */
export * as Suite from "./Suite.js"

/** The events of the append workload. */
export * as Workload from "./Workload.js"
