/**
 * Text the CLI prints: the runs table, a run's timeline and the verification report, and when it
 * may carry ANSI colours.
 *
 * @since 0.1.0
 */
import { HashChain, type RunLog, type Verification } from "@workflow-runs/store"
import type * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import { stripVTControlCharacters } from "node:util"
import * as AnchorText from "./AnchorText.js"

const time = (value: DateTime.Utc | null) => (value === null ? "-" : DateTime.formatIso(value))

/**
 * Lays out rows as a table with a header and a rule, each column as wide as its widest cell.
 *
 * @since 0.1.0
 * @category formatting
 */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n")
}

/**
 * Formats runs as a table: id, workflow, status, start and finish times and the error.
 *
 * @since 0.1.0
 * @category formatting
 */
export const runsTable = (runs: ReadonlyArray<RunLog.RunSummary>): string =>
  table(
    ["RUN", "WORKFLOW", "STATUS", "STARTED", "FINISHED", "EVENTS", "ERROR"],
    runs.map((run) => [
      run.runId,
      run.workflowId ?? "-",
      run.status,
      time(run.startedAt),
      time(run.finishedAt),
      String(run.version),
      run.errorMessage ?? ""
    ])
  )

// The stored outcome is the invoke call's, not the run's: a run that later fails was still
// `succeeded` to invoke, which reads as the run's result in a table next to runs.
const invokeLabels: Readonly<Record<RunLog.InvocationSummary["outcome"], string>> = {
  pending: "pending",
  succeeded: "accepted",
  rejected: "rejected",
  unknown: "unknown"
}

/**
 * Formats invocation attempts as a table: idempotency key, workflow, what became of the invoke
 * call (`accepted`, `rejected`, `unknown` or `pending`), run and error.
 *
 * @since 0.1.0
 * @category formatting
 */
export const invocationsTable = (attempts: ReadonlyArray<RunLog.InvocationSummary>): string =>
  table(
    ["IDEMPOTENCY KEY", "WORKFLOW", "INVOKE", "RUN", "ERROR"],
    attempts.map((attempt) => [
      attempt.idempotencyKey,
      attempt.workflowId ?? "-",
      invokeLabels[attempt.outcome],
      attempt.runId ?? "-",
      errorTagOf(attempt.error)
    ])
  )

const errorTagOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "tag" in error && typeof error.tag === "string" ? error.tag : ""

/**
 * Formats a run's history as a timeline: the stream's head hash, then a table of its events with
 * their time, version, global position, source, notification, idempotency key and error.
 *
 * @since 0.1.0
 * @category formatting
 */
export const timeline = (runId: string, history: RunLog.History): string => {
  const lines = [`Run ${runId}`]
  Option.match(history.run, {
    onNone: () => lines.push("  not in the log"),
    onSome: (run) =>
      lines.push(
        `  workflow ${run.workflowId ?? "-"}, status ${run.status}, ${run.version} event(s), head ${
          run.headHash.slice(0, 16)
        }…`
      )
  })
  const rows = history.events.map((event) => {
    const source = typeof event.metadata.source === "string" ? event.metadata.source : "-"
    const details = [
      typeof event.metadata.stripeEventId === "string" ? `notification ${event.metadata.stripeEventId}` : "",
      typeof event.metadata.idempotencyKey === "string" ? `key ${event.metadata.idempotencyKey}` : "",
      typeof event.data.errorMessage === "string" ? `"${event.data.errorMessage}"` : ""
    ].filter((detail) => detail !== "")
    return [
      DateTime.formatIso(event.occurredAt),
      String(event.version),
      String(event.position),
      event.type,
      source,
      details.join("  ")
    ]
  })
  if (rows.length > 0) {
    const events = table(["TIME", "VERSION", "POSITION", "EVENT", "SOURCE", "DETAILS"], rows)
    lines.push("", ...events.split("\n").map((line) => `  ${line}`))
  }
  return lines.join("\n")
}

/**
 * Formats a verification report: counts, every broken chain and anchor mismatch, and the compact
 * anchor token to keep, with `fullAnchor` also the per-stream one.
 *
 * @since 0.1.0
 * @category formatting
 */
export const verifyReport = (
  report: Verification.Report,
  options: {
    readonly fullAnchor?: boolean
    /** The anchor that `--expect` gave, if any, so the report of a verified log states that it matched. */
    readonly expected?: HashChain.Anchor | HashChain.CompactAnchor | undefined
  } = {}
): string => {
  const lines = [
    `${
      report.ok ? "Verified" : "FAILED"
    }: ${report.streams} stream(s), ${report.events} event(s), ${report.broken.length} broken chain(s), ${
      report.anchorMismatches.length + (report.digestMismatch === null ? 0 : 1)
    } anchor mismatch(es)`
  ]
  for (const broken of report.broken) {
    lines.push(`  broken ${broken.stream} at version ${broken.version}: ${broken.reason}`)
  }
  for (const mismatch of report.anchorMismatches) {
    lines.push(
      mismatch.actualHash === null
        ? `  missing ${mismatch.stream} at version ${mismatch.version}: expected ${mismatch.expectedHash}, found no event there`
        : `  changed ${mismatch.stream} at version ${mismatch.version}: expected ${mismatch.expectedHash}, found ${mismatch.actualHash}`
    )
  }
  if (report.digestMismatch !== null) {
    lines.push(
      `  the expected anchor does not match the log: ${report.digestMismatch.reason}`
    )
  }
  if (report.ok && options.expected !== undefined) {
    lines.push(
      options.expected instanceof HashChain.CompactAnchor
        ? `The expected anchor matches: the first ${options.expected.events} event(s) it covers are unchanged`
        : `The expected anchor matches: each of its ${options.expected.heads.length} stream(s) still has its hash at its version`
    )
  }
  // A failed log's anchor would certify the damage, so only a verified log offers one to keep.
  if (report.ok) {
    lines.push(`Anchor (keep it, then run verify --expect ANCHOR): ${AnchorText.encodeCompact(report.compactAnchor)}`)
    if (options.fullAnchor) lines.push(`Per-stream anchor: ${AnchorText.encode(report.anchor)}`)
  }
  return lines.join("\n")
}

/**
 * Whether text written to a stream may carry ANSI colours: only when the stream is a terminal and
 * `NO_COLOR` is unset or empty, as https://no-color.org defines it.
 *
 * @since 0.1.0
 * @category colours
 */
export const usesColor = (
  stream: { readonly isTTY?: boolean | undefined },
  env: Readonly<Record<string, string | undefined>>
): boolean => stream.isTTY === true && (env.NO_COLOR ?? "") === ""

/**
 * Wraps `console` so that what it writes to standard output (`log`, `info`, `debug`) or standard
 * error (`error`, `warn`) loses its ANSI escape sequences where that stream takes no colour. The
 * help of @effect/cli is coloured whatever the stream.
 *
 * @since 0.1.0
 * @category colours
 */
export const plainWhereNoColor = (
  console: Console.Console,
  color: { readonly stdout: boolean; readonly stderr: boolean }
): Console.Console => {
  const strip = (items: ReadonlyArray<unknown>) =>
    items.map((item) => (typeof item === "string" ? stripVTControlCharacters(item) : item))
  return {
    ...console,
    log: (...items) => console.log(...(color.stdout ? items : strip(items))),
    info: (...items) => console.info(...(color.stdout ? items : strip(items))),
    debug: (...items) => console.debug(...(color.stdout ? items : strip(items))),
    error: (...items) => console.error(...(color.stderr ? items : strip(items))),
    warn: (...items) => console.warn(...(color.stderr ? items : strip(items)))
  }
}

// The paragraphs @effect/cli writes above the description of every option and argument that takes
// text, and of every flag. They add nothing to the usage line.
const fillers: ReadonlySet<string> = new Set(["A user-defined piece of text.", "A true or false value."])

/**
 * Removes @effect/cli's filler paragraphs ("A user-defined piece of text." and "A true or false
 * value.") and the blank line after each from help text, coloured or not. Other text comes back
 * unchanged.
 *
 * @since 0.1.0
 * @category help
 */
export const withoutTextFiller = (text: string): string => {
  if (![...fillers].some((filler) => text.includes(filler))) return text
  const lines = text.split("\n")
  const remaining: Array<string> = []
  for (let index = 0; index < lines.length; index++) {
    if (!fillers.has(stripVTControlCharacters(lines[index]!).trim())) {
      remaining.push(lines[index]!)
    } else if (index + 1 < lines.length && stripVTControlCharacters(lines[index + 1]!).trim() === "") {
      index++
    }
  }
  return remaining.join("\n")
}

/**
 * Names the program in the usage line of a subcommand's help: @effect/cli prints `$ runs ...`,
 * which is no command a shell can run, and this makes it `$ workflow-runs runs ...`. Other lines
 * and the root command's usage stay as they are.
 *
 * @since 0.1.0
 * @category help
 */
export const withProgramInUsage = (text: string, program: string, subcommands: ReadonlySet<string>): string => {
  if (!text.includes("$ ")) return text
  return text.split("\n").map((line) => {
    const name = /^\$ (\S+)/.exec(stripVTControlCharacters(line))?.[1]
    return name !== undefined && subcommands.has(name) ? line.replace(`$ ${name}`, `$ ${program} ${name}`) : line
  }).join("\n")
}

/**
 * Wraps `console` so that the help it prints on standard output has no filler paragraph (see
 * {@link withoutTextFiller}) and names the program in a subcommand's usage line (see
 * {@link withProgramInUsage}).
 *
 * @since 0.1.0
 * @category help
 */
export const tidyHelp = (
  console: Console.Console,
  usage: { readonly program: string; readonly subcommands: ReadonlySet<string> }
): Console.Console => ({
  ...console,
  log: (...items) =>
    console.log(
      ...items.map((item) =>
        typeof item === "string"
          ? withProgramInUsage(withoutTextFiller(item), usage.program, usage.subcommands)
          : item
      )
    )
})
