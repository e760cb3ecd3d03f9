import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const script = fileURLToPath(new URL("../scripts/reliability.mjs", import.meta.url))
const pageModule = new URL("../scripts/reliabilityPage.mjs", import.meta.url).href

const machine = (startedAt: string, seconds: number, load: string) => ({
  startedAt,
  seconds,
  cpu: "Test CPU, 2 cores",
  memory: "4.0 GiB",
  os: "Test OS",
  node: "v20.0.0",
  loadAtStart: `${load} start`,
  loadAtEnd: `${load} end`
})

const result = (scenario: string, finishedAt: string) => ({
  scenario,
  form: "short",
  finishedAt,
  database: "embedded server",
  loadAverage: 1,
  figures: {}
})

describe("reliability script", () => {
  it("prints its usage for --help", () => {
    for (const flag of ["--help", "-h"]) {
      const run = spawnSync(process.execPath, [script, flag], { encoding: "utf8" })

      expect(run.status, flag).toBe(0)
      expect(run.stdout, flag).toContain("Usage: pnpm reliability [--full] [--render]")
      expect(run.stdout, flag).toContain("--render    only render the page")
      expect(run.stderr, flag).toBe("")
    }
  })

  it("lists the machine of each run shown", async () => {
    const { renderPage, runsShown } = await import(pageModule)
    const first = machine("2026-01-01T10:00:00.000Z", 300, "1.11")
    const second = machine("2026-01-02T10:00:00.000Z", 60, "2.22")
    const replaced = machine("2026-01-03T10:00:00.000Z", 60, "3.33")
    const scenarios = {
      crash: result("crash", "2026-01-01T10:04:00.000Z"),
      soak: result("soak", "2026-01-02T10:01:00.400Z"),
      concurrency: result("concurrency", "2026-01-01T12:00:00.000Z")
    }

    const runs = runsShown([second, replaced, first], scenarios)
    const page: string = renderPage({ short: { machines: [first, second, replaced], scenarios }, full: undefined })

    expect(runs.map((run: { machine?: { startedAt: string } }) => run.machine?.startedAt)).toEqual([
      first.startedAt,
      second.startedAt,
      undefined
    ])
    expect(page).toContain("| 2026-01-01T10:00:00.000Z | 300 s | `crash` | A | 1.11 start | 1.11 end |")
    expect(page).toContain("| 2026-01-02T10:00:00.000Z | 60 s | `soak` | A | 2.22 start | 2.22 end |")
    expect(page).toContain("| record not kept | – | `concurrency` | – | – | – |")
    expect(page).not.toContain("3.33")
    expect(page).toContain("| A | Test CPU, 2 cores | 4.0 GiB | Test OS | v20.0.0 |")
    expect(page).toContain("### Long form")
    expect(page).toContain("| not run yet | | | | | |")
  })
})
