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

/** The growth benchmark on the store's own schema: reads, a run search and appends. */
export * as GrowthScenario from "./GrowthScenario.js"

/** The projection rebuild benchmark against a COPY read. */
export * as RebuildScenario from "./RebuildScenario.js"

/** The Markdown report. */
export * as Report from "./Report.js"

/** The raw baseline's table, shaped like the run log. */
export * as RunEventsTable from "./RunEventsTable.js"

/** Logs on the store's own schema, loaded by COPY with valid hash chains. */
export * as StoreLog from "./StoreLog.js"

/** The store's services over one loaded log. */
export * as StoreSession from "./StoreSession.js"

/** The suite's modes and its entry point. */
export * as Suite from "./Suite.js"

/** The events of the append workload. */
export * as Workload from "./Workload.js"
