/**
 * Number formats and tables of the Markdown report.
 */
import type { Summary } from "../Measure.js"

/** Whole numbers with thousands separators. */
export const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 })

/** A rate per second, as a whole number. */
export const rate = (value: number): string => integer.format(value)

/** A CPU time in microseconds, as a whole number. */
export const micros = (value: number): string => integer.format(value)

/** Three significant digits for latencies from microseconds to seconds. */
export const milliseconds = (value: number): string => {
  if (value >= 100) return value.toFixed(0)
  if (value >= 10) return value.toFixed(1)
  if (value >= 1) return value.toFixed(2)
  return value.toFixed(3)
}

/** The median with the min and max in brackets, each multiplied by `scale`. */
export const spread = (summary: Summary, format: (value: number) => string, scale = 1): string =>
  `${format(summary.median * scale)} (${format(summary.min * scale)}–${format(summary.max * scale)})`

/** A ratio with two decimals, as `1.25x`. */
export const ratio = (value: number): string => `${value.toFixed(2)}x`

/**
 * Renders a Markdown table. Pads every column to its widest cell, as dprint formats Markdown tables, so
 * the written page passes `dprint check` without a formatting pass.
 */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((title, column) =>
    Math.max(3, title.length, ...rows.map((row) => (row[column] ?? "").length))
  )
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n")
}
