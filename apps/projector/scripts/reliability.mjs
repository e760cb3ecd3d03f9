#!/usr/bin/env node
// Runs the reliability scenarios (apps/projector/test/reliability) and renders docs/reliability.md
// from the figures they write.
//
//   pnpm reliability            the short forms, the ones CI runs inside `pnpm test`
//   pnpm reliability --full     the long forms: a ten-minute soak and larger bursts
//   pnpm reliability --render   only render the page from the stored figures
//   pnpm reliability --help     print the usage
//
// Arguments after `--` go to vitest, such as a file name to run one scenario. Each form's
// figures are kept in docs/reliability-results/<form>/: the latest result of each scenario, and
// in machines.json the machine and load of each run whose results are still there.
import { spawnSync } from "node:child_process"
import console from "node:console"
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import { dirname, join } from "node:path"
import process from "node:process"
import { fileURLToPath } from "node:url"
import { readForm, renderPage, runsShown } from "./reliabilityPage.mjs"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..")
const resultsRoot = join(root, "docs", "reliability-results")
const page = join(root, "docs", "reliability.md")
// Scenarios 6 and 7 (hostile input, secrets) print their counts in the test output. Their
// figures are kept by hand in this file, which the render appends to the page.
const hostileInput = join(resultsRoot, "hostile-input.md")

const usage = `Usage: pnpm reliability [--full] [--render] [-- VITEST_ARGUMENTS...]

Runs the reliability scenarios of apps/projector/test/reliability, then renders docs/reliability.md.
  (none)      the short forms, the ones CI runs inside \`pnpm test\`
  --full      the long forms: a ten-minute soak and larger bursts
  --render    only render the page from the stored figures, running nothing
  --help, -h  print this help
Arguments after -- go to vitest, such as a file name to run one scenario:
  pnpm reliability -- Crash.test.ts`

const args = process.argv.slice(2)
const separator = args.indexOf("--")
const own = separator < 0 ? args : args.slice(0, separator)
const passed = separator < 0 ? [] : args.slice(separator + 1)
if (own.includes("--help") || own.includes("-h")) {
  console.log(usage)
  process.exit(0)
}
for (const arg of own) {
  if (!["--full", "--render"].includes(arg)) {
    console.error(`Unknown option ${arg}\n\n${usage}`)
    process.exit(2)
  }
}
const form = own.includes("--full") ? "full" : "short"

const run = (command, commandArgs, env = {}) => {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } })
  return result.status ?? 1
}

const osName = () => {
  try {
    const release = readFileSync("/etc/os-release", "utf8")
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] ?? os.type()
  } catch {
    return os.type()
  }
}

if (!own.includes("--render")) {
  // Child processes run the built CLI, so the build must match the sources.
  if (run("pnpm", ["-s", "--filter", "@workflow-runs/projector...", "--sort", "run", "build"]) !== 0) process.exit(1)
  // Scenarios that do not run keep their earlier figures, so one scenario can be rerun alone.
  const directory = join(resultsRoot, form)
  mkdirSync(directory, { recursive: true })
  const startedAt = new Date()
  const load = os.loadavg().map((value) => value.toFixed(2)).join(", ")
  const status = run("pnpm", ["exec", "vitest", "run", "--project", "projector-reliability", ...passed], {
    RELIABILITY_RESULTS: directory,
    RELIABILITY_FULL: form === "full" ? "1" : "0"
  })
  const machine = {
    startedAt: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    cpu: `${os.cpus()[0]?.model ?? "unknown"}, ${os.cpus().length} cores`,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os: `${osName()}, Linux ${os.release()} (${process.platform} ${process.arch})`,
    node: process.version,
    loadAtStart: load,
    loadAtEnd: os.loadavg().map((value) => value.toFixed(2)).join(", ")
  }
  // Earlier runs' records stay while figures of theirs appear on the page.
  const earlier = readForm(directory)
  const machines = [...(earlier?.machines ?? []).filter((record) => record.startedAt !== machine.startedAt), machine]
  const shownRecords = runsShown(machines, earlier?.scenarios ?? {}).flatMap((shown) => shown.machine ?? [])
  const records = shownRecords.includes(machine) ? shownRecords : [...shownRecords, machine]
  writeFileSync(join(directory, "machines.json"), `${JSON.stringify(records, null, 2)}\n`)
  rmSync(join(directory, "machine.json"), { force: true })
  if (status !== 0) {
    console.error("A scenario failed, so docs/reliability.md was not rewritten; see the failure above and rerun.")
    process.exit(status)
  }
}

const readIf = (path) => (existsSync(path) ? readFileSync(path, "utf8") : undefined)
const forms = { short: readForm(join(resultsRoot, "short")), full: readForm(join(resultsRoot, "full")) }
writeFileSync(page, renderPage(forms, readIf(hostileInput)))
run("pnpm", ["exec", "dprint", "fmt", page])
console.log(`Wrote ${page}`)
