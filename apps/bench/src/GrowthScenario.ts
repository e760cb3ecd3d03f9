/**
 * The growth benchmark on the store's own schema. It measures reads, a run search and appends
 * through the store's public API on a small and a large log, with rounds interleaved between the
 * sizes. The projection rebuild is then measured on one of the same logs.
 */
import { Ids } from "@workflow-runs/core"
import { EventStore, RunLog } from "@workflow-runs/store"
import { Chunk, Data, DateTime, Effect, Option, Stream } from "effect"
import { type RoundSample, type RoundsSummary, runRound, summarizeRounds } from "./Measure.js"
import { measureRebuild, type RebuildOptions, type RebuildResults } from "./RebuildScenario.js"
import * as StoreLog from "./StoreLog.js"
import * as StoreSession from "./StoreSession.js"

/** Settings of the growth benchmark. */
export interface GrowthOptions {
  /** Log sizes in events, smallest first; the report compares each with the first. */
  readonly sizes: ReadonlyArray<number>
  /** Events per page of the global reader. */
  readonly pageSize: number
  /** Runs whose start times a search's time range covers. */
  readonly searchWindowRuns: number
  /** Runs per page of a search. */
  readonly searchPageSize: number
  /** Rounds per measurement and size. */
  readonly rounds: number
  /** Calls per round of each measurement, one at a time. */
  readonly callsPerRound: number
  readonly rebuild: RebuildOptions
}

/** A measurement of the growth benchmark. */
export interface GrowthKind {
  readonly id: "page" | "history" | "search" | "append"
  readonly title: string
  readonly description: string
}

/** The figures of one measurement at one log size. */
export interface GrowthFigure {
  readonly kind: GrowthKind["id"]
  readonly size: number
  readonly summary: RoundsSummary
}

/** The results of the growth benchmark. */
export interface GrowthResults {
  readonly options: GrowthOptions
  readonly kinds: ReadonlyArray<GrowthKind>
  /** Seconds spent loading each size, migrations included. */
  readonly loadSeconds: ReadonlyArray<{ readonly size: number; readonly seconds: number }>
  readonly figures: ReadonlyArray<GrowthFigure>
}

/** The measurements and what a call of each does. */
export const growthKinds: ReadonlyArray<GrowthKind> = [
  {
    id: "page",
    title: "A page of the global log from its middle",
    description:
      "`EventStore.feed` (the gap-safe reader `Stream`) from the `(tx_id, position)` checkpoint of the event in the middle of the log, taking one page of events with the page size as batch size."
  },
  {
    id: "history",
    title: "A run's history",
    description: "`RunLog.history` of one run (its head row and both events), for runs spread evenly over the log."
  },
  {
    id: "search",
    title: "A filtered run search",
    description:
      "`RunLog.runs` by workflow, status `failed` and a start-time range, every page by keyset cursor until the last. The ranges are spread over the log, and each contains the same number of runs at every size."
  },
  {
    id: "append",
    title: "Appending a run",
    description:
      "`EventStore.appendRun` of `RunStarted` expecting version 0, then of the terminal event expecting version 1, on a new run, one caller."
  }
]

/** A measured call returned something other than what the loaded log implies. */
export class UnexpectedResult extends Data.TaggedError("UnexpectedResult")<{ readonly message: string }> {}

// Runs whose history is read, spread evenly over the log so that reads touch all of it.
const sampledRuns = (runs: number, count: number): ReadonlyArray<Ids.WorkflowRunId> =>
  Array.from(
    { length: count },
    (_, index) => Ids.WorkflowRunId.make(StoreLog.fixtureRun(Math.floor(((index + 0.5) * runs) / count)).runId)
  )

interface Search {
  readonly query: RunLog.RunQuery
  readonly expected: number
}

/**
 * Searches for failed runs of one workflow started in a range of `windowRuns` runs, ranges
 * spread evenly over the log, each with the number of matches the generator implies.
 */
export const searchesOf = (runs: number, windowRuns: number, count: number): ReadonlyArray<Search> =>
  Array.from({ length: count }, (_, index) => {
    const first = Math.floor(((index + 0.5) * (runs - windowRuns)) / count)
    const workflowId = StoreLog.workflowIdOf(index)
    let expected = 0
    for (let run = first; run < first + windowRuns; run++) {
      if (StoreLog.workflowIdOf(run) === workflowId && StoreLog.failsAt(run)) expected++
    }
    return {
      query: {
        workflowId: Ids.WorkflowId.make(workflowId),
        status: "failed",
        from: DateTime.unsafeFromDate(StoreLog.fixtureRun(first).startedAt),
        to: DateTime.unsafeFromDate(StoreLog.fixtureRun(first + windowRuns).startedAt)
      },
      expected
    }
  })

interface Target {
  readonly log: StoreLog.StoreLog
  readonly session: StoreSession.StoreSession
  readonly runs: ReadonlyArray<Ids.WorkflowRunId>
  readonly searches: ReadonlyArray<Search>
  /** Runs appended so far, numbered after the loaded ones. */
  appended: number
}

/** Rejects options whose sizes cannot hold the page, the search range or the rebuild. */
export const checkGrowthOptions = (options: GrowthOptions): void => {
  if (options.sizes.length === 0 || options.sizes.some((size) => !Number.isInteger(size) || size % 2 !== 0)) {
    throw new Error(`Invalid log sizes ${options.sizes.join(", ")}: use even numbers of events.`)
  }
  const smallest = Math.min(...options.sizes)
  if (smallest - Math.floor(smallest / 2) < options.pageSize) {
    throw new Error(
      `Log size ${smallest} has fewer than ${options.pageSize} events after its middle: use a size of at least twice the page size.`
    )
  }
  if (options.searchWindowRuns >= smallest / 2) {
    throw new Error(
      `A search range of ${options.searchWindowRuns} runs does not fit in the ${
        smallest / 2
      } runs of the smallest log: use a smaller range.`
    )
  }
  if (!options.sizes.includes(options.rebuild.size)) {
    throw new Error(
      `The rebuild size ${options.rebuild.size} is not among the log sizes ${
        options.sizes.join(", ")
      }: use one of them.`
    )
  }
}

const pageCall = (target: Target, pageSize: number) => () =>
  target.session.run(
    Effect.gen(function*() {
      const store = yield* EventStore.EventStore
      const events = yield* store.feed({ after: target.log.middle, batchSize: pageSize }).pipe(
        Stream.take(pageSize),
        Stream.runCollect,
        // The load waited until every event was below the horizon, so the page never waits for a
        // poll. A stuck reader fails here instead of hanging the run.
        Effect.timeoutFail({
          duration: "30 seconds",
          onTimeout: () =>
            new UnexpectedResult({ message: `The feed returned fewer than ${pageSize} events within 30 s.` })
        })
      )
      const first = Chunk.unsafeHead(events)
      if (first.position !== target.log.middle.position + 1n) {
        return yield* new UnexpectedResult({
          message: `The feed resumed at position ${first.position}, not after the middle.`
        })
      }
    })
  )

const historyCall = (target: Target) => {
  let next = 0
  return () => {
    const runId = target.runs[next++ % target.runs.length]!
    return target.session.run(Effect.gen(function*() {
      const history = yield* Effect.flatMap(RunLog.RunLog, (runLog) => runLog.history(runId))
      if (Option.isNone(history.run) || history.events.length !== 2) {
        return yield* new UnexpectedResult({
          message: `The history of ${runId} has ${history.events.length} events, not 2.`
        })
      }
    }))
  }
}

const searchCall = (target: Target, pageSize: number) => {
  let next = 0
  return () => {
    const search = target.searches[next++ % target.searches.length]!
    return target.session.run(Effect.gen(function*() {
      const runLog = yield* RunLog.RunLog
      let found = 0
      let after: string | undefined = undefined
      do {
        const page: RunLog.Page<RunLog.RunSummary> = yield* runLog.runs({ ...search.query, limit: pageSize, after })
        found += page.items.length
        after = Option.getOrUndefined(page.next)
      } while (after !== undefined)
      if (found !== search.expected) {
        return yield* new UnexpectedResult({ message: `The search found ${found} runs instead of ${search.expected}.` })
      }
    }))
  }
}

// New runs are numbered after the loaded ones, so their ids and events are the generator's.
const appendCall = (target: Target) => () => {
  const run = StoreLog.fixtureRun(target.log.runs + target.appended++)
  const [started, ended] = StoreLog.runEventsOf(run)
  const runId = Ids.WorkflowRunId.make(run.runId)
  return target.session.run(Effect.gen(function*() {
    const store = yield* EventStore.EventStore
    yield* store.appendRun(runId, 0, [started], StoreLog.metadataOf(run, "started"))
    yield* store.appendRun(runId, 1, [ended], StoreLog.metadataOf(run, run.failed ? "failed" : "succeeded"))
  }))
}

// One round of every measurement on one log.
const measureRound = async (
  target: Target,
  options: GrowthOptions
): Promise<Record<GrowthKind["id"], RoundSample>> => {
  const load = { concurrency: 1, iterations: options.callsPerRound }
  const size = target.log.events
  return {
    page: await runRound(`page ${size}`, load, pageCall(target, options.pageSize)),
    history: await runRound(`history ${size}`, load, historyCall(target)),
    search: await runRound(`search ${size}`, load, searchCall(target, options.searchPageSize)),
    append: await runRound(`append ${size}`, load, appendCall(target))
  }
}

/** The store's tables of one log, for the report. */
export const logDescription =
  `the store's own schema, created by its migrations in a schema per log size, and filled by COPY with runs of two events (\`RunStarted\`, then \`RunSucceeded\` or, for every fourth run, \`RunFailed\`) as the projector appends them: payloads and metadata as the store encodes them, each event's SHA-256 chained hash from the store's \`HashChain\`, the run's head row in \`workflow_runs\`, ${
    StoreLog.defaultEventsPerTransaction.toLocaleString("en-US")
  } events per transaction, runs spread over ${StoreLog.workflowCount} workflows and one start per second. The store's \`verify\` accepts such a log, and a test checks that its rows equal the same runs appended one by one`

/**
 * Loads a log per size, measures every kind on each, interleaving the sizes per round, then
 * measures the projection rebuild on the log of `options.rebuild.size`.
 */
export const runGrowthBenchmark = async (
  url: string,
  options: GrowthOptions,
  log: (line: string) => void
): Promise<{ readonly growth: GrowthResults; readonly rebuild: RebuildResults }> => {
  checkGrowthOptions(options)
  const targets: Array<Target> = []
  const loaded: Array<StoreLog.StoreLog> = []
  try {
    for (const size of options.sizes) {
      const entry = await StoreLog.load(url, { events: size })
      loaded.push(entry)
      log(`growth: loaded ${size} events in ${entry.loadSeconds.toFixed(1)} s`)
      const session = await StoreSession.open(entry.url)
      targets.push({
        log: entry,
        session,
        runs: sampledRuns(entry.runs, 256),
        searches: searchesOf(entry.runs, options.searchWindowRuns, 16),
        appended: 0
      })
    }

    const samples = new Map<Target, Array<Record<GrowthKind["id"], RoundSample>>>(
      targets.map((target) => [target, []])
    )
    for (let round = 1; round <= options.rounds; round++) {
      for (const target of targets) {
        const sample = await measureRound(target, options)
        samples.get(target)!.push(sample)
        const p50s = growthKinds.map((kind) => `${kind.id} ${sample[kind.id].p50Ms.toFixed(2)}`).join(", ")
        log(`growth ${target.log.events} events, round ${round}/${options.rounds}: p50 ms ${p50s}`)
      }
    }

    const figures = growthKinds.flatMap((kind) =>
      targets.map((target) => ({
        kind: kind.id,
        size: target.log.events,
        summary: summarizeRounds(samples.get(target)!.map((sample) => sample[kind.id]))
      }))
    )
    const rebuildTarget = targets.find((target) => target.log.events === options.rebuild.size)!
    const rebuild = await measureRebuild(rebuildTarget.log, rebuildTarget.session, options.rebuild, log)
    return {
      growth: {
        options,
        kinds: growthKinds,
        loadSeconds: loaded.map((entry) => ({ size: entry.events, seconds: entry.loadSeconds })),
        figures
      },
      rebuild
    }
  } finally {
    for (const target of targets) {
      await target.session.close()
    }
    for (const entry of loaded) {
      await StoreLog.drop(url, entry)
    }
  }
}
