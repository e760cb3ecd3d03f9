/**
 * The report's sections on the growth and rebuild benchmarks, and their rows of the targets table.
 */
import { type GrowthKind, type GrowthResults, logDescription } from "./GrowthScenario.js"
import { integer, milliseconds, rate, ratio, spread, table } from "./internal/markdown.js"
import type { RebuildResults } from "./RebuildScenario.js"

/** The ratio of a large log's median latency to a small one's that every measurement must stay within. */
export const growthLimit = 1.5

/** The log size the growth targets are stated for, against 10,000 events. */
export const targetSize = 1_000_000

const smallestSize = (results: GrowthResults): number => results.options.sizes[0]!

const largestSize = (results: GrowthResults): number => results.options.sizes[results.options.sizes.length - 1]!

const figureAt = (results: GrowthResults, kind: GrowthKind["id"], size: number) =>
  results.figures.find((figure) => figure.kind === kind && figure.size === size)!

/** Renders the section of the growth benchmark, headed `title`. */
export const growthSection = (results: GrowthResults, title: string): string => {
  const smallest = smallestSize(results)
  const parts = results.kinds.map((kind) => {
    const base = figureAt(results, kind.id, smallest)
    const rows = results.figures.filter((figure) => figure.kind === kind.id).map((figure) => [
      integer.format(figure.size),
      spread(figure.summary.p50Ms, milliseconds),
      spread(figure.summary.p99Ms, milliseconds),
      rate(figure.summary.callsPerSecond.median),
      ratio(figure.summary.p50Ms.median / base.summary.p50Ms.median)
    ])
    return [
      `### ${kind.title}`,
      "",
      kind.description,
      "",
      table(["events loaded", "p50 ms", "p99 ms", "calls/s", `p50 vs ${integer.format(smallest)}`], rows)
    ].join("\n")
  })
  const loads = results.loadSeconds.map((entry) =>
    `${integer.format(entry.size)} events in ${entry.seconds.toFixed(1)} s`
  )
  const options = results.options
  return [
    `## ${title}`,
    "",
    `Each log is ${logDescription}.`,
    `Loading took ${loads.join(", ")}.`,
    "",
    `Searches cover ${integer.format(options.searchWindowRuns)} runs, ${
      integer.format(options.searchPageSize)
    } runs per page. Appended runs are added to the log they measure, so it grows by two events per append call.`,
    "",
    parts.join("\n\n")
  ].join("\n")
}

/** Renders the section of the rebuild benchmark, headed `title`. */
export const rebuildSection = (results: RebuildResults, title: string): string => {
  const perSecond = (seconds: number) => rate(results.events / seconds)
  const slower = results.rebuildSeconds.median / results.copySeconds.median
  return [
    `## ${title}`,
    "",
    `\`Rebuild.rebuildRuns\` replays every run event of the ${
      integer.format(results.options.size)
    }-event log through the store's feed into a new table, ${
      integer.format(results.options.batchSize)
    } events per page and transaction, without swapping it in; each rebuilt table is checked against \`workflow_runs\` and dropped. The peer reads the same ${
      integer.format(results.events)
    } rows, with the columns the feed selects and in its order, with \`COPY (SELECT ...) TO STDOUT\` through \`pg-copy-streams\`, just before each rebuild.`,
    "",
    table(["", "seconds", "events/s"], [
      ["COPY read", spread(results.copySeconds, milliseconds), perSecond(results.copySeconds.median)],
      ["rebuild", spread(results.rebuildSeconds, milliseconds), perSecond(results.rebuildSeconds.median)]
    ]),
    "",
    `The rebuild took ${ratio(slower)} the time of the COPY read. It writes each page's heads with one statement (one`,
    "insert or compare-and-set update per run, its events folded), but it reads the page through the feed and decodes",
    "and re-encodes every event in TypeScript to derive its head patch, where COPY only streams the rows."
  ].join("\n")
}

/** Renders the growth targets as rows of the targets table. */
export const growthTargetRows = (results: GrowthResults): ReadonlyArray<ReadonlyArray<string>> => {
  const smallest = smallestSize(results)
  const largest = largestSize(results)
  return results.kinds.map((kind) => {
    const value = figureAt(results, kind.id, largest).summary.p50Ms.median /
      figureAt(results, kind.id, smallest).summary.p50Ms.median
    const verdict = value <= growthLimit ? "within" : "above"
    return [
      `${kind.title.toLowerCase()}: large log within ${growthLimit}x of the small one`,
      `${ratio(value)} at ${integer.format(largest)} vs ${
        integer.format(smallest)
      } events (${verdict} ${growthLimit}x)`,
      largest < targetSize
        ? `not judged: the target is stated at ${integer.format(targetSize)} events`
        : value <= growthLimit
        ? "met"
        : "missed"
    ]
  })
}
