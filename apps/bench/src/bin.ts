#!/usr/bin/env node
/**
 * `pnpm bench [--full] [--out FILE] [--notice TEXT]`: runs the benchmark suite and writes
 * docs/benchmarks.md.
 */
import { mkdir, writeFile } from "node:fs/promises"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { render } from "./Report.js"
import * as Suite from "./Suite.js"

const usage = `Usage: pnpm bench [--quick | --full] [--out FILE] [--notice TEXT]

  --quick         small sizes, about a minute on two cores (the default)
  --full          the large sizes, including reads of a 1,000,000-event log
  --out FILE      where to write the Markdown report (default: docs/benchmarks.md)
  --notice TEXT   a notice printed at the top of the report

PostgreSQL: DATABASE_URL when it is set, otherwise an embedded server started for the run.`

// The repository root, three levels above this file in `src` and in `dist` alike.
const defaultOut = resolve(dirname(fileURLToPath(import.meta.url)), "../../../docs/benchmarks.md")

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      full: { type: "boolean", default: false },
      out: { type: "string" },
      notice: { type: "string" },
      help: { type: "boolean", short: "h", default: false }
    }
  })
  if (values.help) {
    console.log(usage)
    return
  }
  if (values.quick && values.full) {
    throw new Error("Choose one of --quick and --full.")
  }
  const config = values.full ? Suite.full : Suite.quick
  const out = resolve(values.out ?? defaultOut)
  console.log(`Running the ${config.mode} benchmark suite; the report goes to ${out}`)
  const report = await Suite.run(config, { notice: values.notice, log: (line) => console.log(line) })
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, render(report))
  console.log(`Wrote ${out} after ${Math.round(report.durationSeconds)} s`)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  console.error(`\n${usage}`)
  process.exitCode = 1
})
