/**
 * The report's sections on the running service: invoking, webhook ingestion and the projector's
 * memory.
 */
import { integer, micros, milliseconds, rate, ratio, spread, table } from "./internal/markdown.js"
import type { InvokeContender } from "./InvokeContenders.js"
import type { Summary } from "./Measure.js"
import type { ServiceResults } from "./ServiceSuite.js"
import type { WebhookFigure } from "./WebhookScenario.js"

/** The titles of the sections, in order. */
export const serviceSectionTitles = ["Invoking", "Webhook ingestion", "Projector memory"] as const

/**
 * The memory counts as flat when the slope, carried over 100,000 notifications, adds less than
 * this share of the resident set size measured after the warm-up.
 */
export const flatGrowthLimit = 0.1

const mebibytes = (bytes: number): string => (bytes / 2 ** 20).toFixed(1)

const verdict = (met: boolean): string => (met ? "met" : "missed")

const invokeFigure = (results: NonNullable<ServiceResults["invoke"]>, contender: InvokeContender, callers: number) =>
  results.figures.find((entry) => entry.contender === contender && entry.callers === callers)!

// The invoke target at `callers`: this project's rate and p99 against the official client's.
const judgeInvoke = (results: NonNullable<ServiceResults["invoke"]>, callers: number) => {
  const ours = invokeFigure(results, "workflow-runs", callers).summary
  const official = invokeFigure(results, "stripe", callers).summary
  const rateRatio = ours.callsPerSecond.median / official.callsPerSecond.median
  const p99Ratio = ours.p99Ms.median / official.p99Ms.median
  return { rateRatio, p99Ratio, met: rateRatio >= 1 && p99Ratio <= 1 }
}

const naiveFigure = (results: NonNullable<ServiceResults["webhooks"]>, connections: number) =>
  results.figures.find((entry) => entry.contender === "naive" && entry.connections === connections)!

const projectorFigure = (results: NonNullable<ServiceResults["webhooks"]>, connections: number) =>
  results.figures.find((entry) => entry.contender === "projector" && entry.connections === connections)!

// The ingestion target at `connections`: the projector's rate over the naive handler's.
const webhookRatio = (results: NonNullable<ServiceResults["webhooks"]>, connections: number): number =>
  projectorFigure(results, connections).summary.callsPerSecond.median /
  naiveFigure(results, connections).summary.callsPerSecond.median

// The memory slope as a share of the RSS after the warm-up, carried over 100,000 notifications.
const memoryGrowth = (results: NonNullable<ServiceResults["memory"]>): number =>
  (results.slopeBytesPer1000 * 100) / results.rssAfterWarmupBytes

const memoryJudged = (results: NonNullable<ServiceResults["memory"]>): boolean =>
  results.options.notifications >= 100_000

const invokeSection = (results: NonNullable<ServiceResults["invoke"]>): string => {
  const figure = (contender: InvokeContender, callers: number) => invokeFigure(results, contender, callers)
  const rows = results.figures.map((entry) => {
    const official = figure("stripe", entry.callers)
    const bare = figure("node:http", entry.callers)
    return [
      String(entry.callers),
      `\`${entry.contender}\``,
      spread(entry.summary.callsPerSecond, rate),
      spread(entry.summary.p50Ms, milliseconds),
      spread(entry.summary.p99Ms, milliseconds),
      spread(entry.peakRssBytes, mebibytes),
      spread(entry.peakHeapBytes, mebibytes),
      spread(entry.cpuMicrosPerCall, micros),
      ratio(entry.summary.callsPerSecond.median / official.summary.callsPerSecond.median),
      ratio(entry.summary.callsPerSecond.median / bare.summary.callsPerSecond.median)
    ]
  })
  const targets = results.options.callers.map((callers) => {
    const { met, p99Ratio, rateRatio } = judgeInvoke(results, callers)
    const cpu = (contender: InvokeContender) => micros(figure(contender, callers).cpuMicrosPerCall.median)
    return `- ${callers} ${callers === 1 ? "caller" : "callers"}: rate ${
      ratio(rateRatio)
    } of the official client's, p99 ${ratio(p99Ratio)} of its p99: ${verdict(met)}.${
      met ?
        "" :
        ` The caller process spent ${cpu("workflow-runs")} µs of CPU per call, the official client's ${
          cpu("stripe")
        } µs and the bare \`node:http\` caller's ${cpu("node:http")} µs.`
    }`
  })
  const calls = Object.entries(results.options.callsPerRound).map(([callers, count]) => `${count} at ${callers}`)
  return [
    `## ${serviceSectionTitles[0]}`,
    "",
    `\`Workflows.invokeWorkflow\` through the live layer of \`@workflow-runs/stripe\` (\`workflow-runs\`) against the official client's \`stripe.v2.extend.workflows.invoke\` (\`stripe\`), both with their default settings, invoking Stripe's example workflow on the simulator. The simulator runs in a process of its own on 127.0.0.1, and every round starts a new caller process that loads one contender only, so the memory columns are that contender's: peak resident set size over the process's life, and the largest V8 heap in use during the round, sampled every 5 ms. A bare \`node:http\` caller with a keep-alive agent shows the most the simulator serves at each count of callers: a contender near it is limited by the simulator, not by itself.`,
    "",
    "Each contender is called the way its users call it, with tinybench keeping the given number of calls in flight. A `workflow-runs` call runs `Workflows.invokeWorkflow` with `runPromise` of one `ManagedRuntime` built from the live layer: one fiber and one span per call, the same work per call as a fiber per caller inside one Effect program, such as `Effect.forEach` with `concurrency` set to the count of callers. A `stripe` call awaits the client's promise.",
    "",
    `Calls per round: ${
      calls.join(", ")
    } callers, after ${results.options.warmupCalls} untimed calls in the same process; ${results.options.rounds} rounds, alternating between the contenders.`,
    "",
    table(
      [
        "callers",
        "contender",
        "invokes/s",
        "p50 ms",
        "p99 ms",
        "peak RSS MiB",
        "peak heap MiB",
        "CPU µs/call",
        "vs `stripe`",
        "vs `node:http`"
      ],
      rows
    ),
    "",
    "`CPU µs/call` is the caller process's user and system time during the measured round over its calls. The caller shares the machine's cores with the simulator, so a contender that spends more CPU per call leaves less for both and reaches a lower rate.",
    "",
    "Target: at every count of callers, `workflow-runs` at least the official client's rate, with a p99 no worse.",
    "",
    ...targets
  ].join("\n")
}

const webhookSection = (results: NonNullable<ServiceResults["webhooks"]>): string => {
  const naive = (connections: number) => naiveFigure(results, connections)
  const cpuCell = (summary: Summary | undefined) => (summary === undefined ? "not readable" : spread(summary, micros))
  const rows = results.figures.map((entry) => [
    String(entry.connections),
    entry.contender,
    spread(entry.summary.callsPerSecond, rate),
    spread(entry.summary.p50Ms, milliseconds),
    spread(entry.summary.p99Ms, milliseconds),
    cpuCell(entry.cpu.receiver),
    cpuCell(entry.cpu.server),
    ratio(entry.summary.callsPerSecond.median / naive(entry.connections).summary.callsPerSecond.median)
  ])
  const targets = results.options.connections.map((connections) => {
    const projector = projectorFigure(results, connections)
    const value = webhookRatio(results, connections)
    const cpu = (figure: WebhookFigure) =>
      figure.cpu.receiver === undefined || figure.cpu.server === undefined
        ? undefined
        : `${micros(figure.cpu.receiver.median)} µs in the receiver and ${
          micros(figure.cpu.server.median)
        } µs in PostgreSQL`
    const ours = cpu(projector)
    const theirs = cpu(naive(connections))
    const cause = value >= 1 || ours === undefined || theirs === undefined
      ? ""
      : ` Each notification cost the projector ${ours}, the naive handler ${theirs}.`
    return `- ${connections} ${connections === 1 ? "connection" : "connections"}: ${
      ratio(value)
    } of the naive handler's rate: ${verdict(value >= 1)}.${cause}`
  })
  const counts = Object.entries(results.options.notificationsPerRound).map(([connections, count]) =>
    `${count} at ${connections}`
  )
  return [
    `## ${serviceSectionTitles[1]}`,
    "",
    "`projector` is `workflow-runs serve` on `POST /webhooks/stripe`: verify the signature, look the event up in the inbox, retrieve the run from the simulator, append its transitions, project them and store the inbox row. `naive` is a `node:http` server written the way most users would: the official client's `parseEventNotification`, `fetchRelatedObject()` and one `INSERT` with `pg`. Both run as child processes on 127.0.0.1 with pools of 10 connections to the same PostgreSQL server, each in its own schema, and retrieve runs from the same simulator process.",
    "",
    `autocannon sends each notification once per receiver: the real thin event of a run the simulator ran, signed with the endpoint secret at the start of the round, so no body repeats and the inbox never skips one. Notifications per round: ${
      counts.join(", ")
    } connections, after ${results.options.warmupNotifications} untimed ones; ${results.options.rounds} rounds, alternating which receiver goes first. After every round the rows are counted: ${results.checkedRounds.projector} projector rounds wrote one inbox row and two run events per notification, and ${results.checkedRounds.naive} naive rounds one row per notification.`,
    "",
    table(
      [
        "connections",
        "receiver",
        "notifications/s",
        "p50 ms",
        "p99 ms",
        "receiver CPU µs",
        "PostgreSQL CPU µs",
        "vs naive"
      ],
      rows
    ),
    "",
    "The CPU columns are per notification: the receiver process's user and system time, read from `/proc` before and after each round, and that of PostgreSQL's client backends on the benchmark's database. The simulator's time is in neither. The receivers, the simulator, PostgreSQL and autocannon share the machine's cores, so a receiver that spends more CPU per notification reaches a lower rate.",
    "",
    "Target: the projector at least the naive handler's rate while doing all the extra work.",
    "",
    ...targets
  ].join("\n")
}

const memorySection = (results: NonNullable<ServiceResults["memory"]>): string => {
  const options = results.options
  const growth = memoryGrowth(results)
  return [
    `## ${serviceSectionTitles[2]}`,
    "",
    `A new \`workflow-runs serve\` process receives ${
      integer.format(options.notifications)
    } distinct notifications in batches of ${
      integer.format(options.batch)
    } over ${options.connections} connections, and its resident set size is read from \`/proc\` after each batch. The slope is the least-squares line through the samples from ${
      integer.format(options.warmupNotifications)
    } notifications on.`,
    "",
    table(["", ""], [
      ["slope", `${integer.format(results.slopeBytesPer1000 / 1024)} KiB per 1,000 notifications`],
      ["RSS after the warm-up", `${mebibytes(results.rssAfterWarmupBytes)} MiB`],
      ["RSS at the end", `${mebibytes(results.rssAtEndBytes)} MiB`],
      ["peak RSS", `${mebibytes(results.peakRssBytes)} MiB`],
      ["samples", String(results.samples.length)],
      ["duration", `${results.seconds.toFixed(0)} s`]
    ]),
    "",
    `Target: flat, taken as a slope that adds less than ${
      flatGrowthLimit * 100
    }% of the RSS after the warm-up over 100,000 notifications. This run: ${(growth * 100).toFixed(1)}% per 100,000${
      !memoryJudged(results)
        ? ", not judged: over fewer notifications the slope follows when garbage collections happen, so only `pnpm bench --full`, with 100,000, gives the verdict."
        : `: ${verdict(growth < flatGrowthLimit)}.`
    }`
  ].join("\n")
}

/** Renders the sections of the service benchmarks that ran. */
export const renderServiceSections = (results: ServiceResults): string =>
  [
    results.invoke === undefined ? undefined : invokeSection(results.invoke),
    results.webhooks === undefined ? undefined : webhookSection(results.webhooks),
    results.memory === undefined ? undefined : memorySection(results.memory)
  ].filter((section) => section !== undefined).join("\n\n")

/**
 * Returns the target table's rows for the service benchmarks that ran: each target, this run's
 * figure and the verdict.
 */
export const serviceTargetRows = (results: ServiceResults): Array<[string, string, string]> => [
  ...(results.invoke === undefined ? [] : results.invoke.options.callers.map((callers): [string, string, string] => {
    const { met, p99Ratio, rateRatio } = judgeInvoke(results.invoke!, callers)
    return [
      `invoking at ${callers} ${
        callers === 1 ? "caller" : "callers"
      }: at least the official client's rate, p99 no worse`,
      `rate ${ratio(rateRatio)}, p99 ${ratio(p99Ratio)}`,
      verdict(met)
    ]
  })),
  ...(results.webhooks === undefined ? [] : results.webhooks.options.connections.map((connections): [
    string,
    string,
    string
  ] => {
    const value = webhookRatio(results.webhooks!, connections)
    return [
      `webhook ingestion at ${connections} ${
        connections === 1 ? "connection" : "connections"
      }: at least the naive handler's rate`,
      ratio(value),
      verdict(value >= 1)
    ]
  })),
  ...(results.memory === undefined ? [] : [
    [
      `projector memory: flat, a slope under ${flatGrowthLimit * 100}% of the RSS per 100,000 notifications`,
      `${(memoryGrowth(results.memory) * 100).toFixed(1)}% per 100,000`,
      memoryJudged(results.memory)
        ? verdict(memoryGrowth(results.memory) < flatGrowthLimit)
        : "not judged: only `pnpm bench --full` sends 100,000 notifications"
    ] as [string, string, string]
  ])
]
