import { describe, expect, it } from "@effect/vitest"
import type { AppendFigure, AppendResults } from "../src/AppendScenario.js"
import { appendWorkloads } from "../src/AppendScenario.js"
import { growthKinds } from "../src/GrowthScenario.js"
import { micros } from "../src/internal/markdown.js"
import type { RoundsSummary, Summary } from "../src/Measure.js"
import { type BenchReport, render } from "../src/Report.js"
import * as ServerCpu from "../src/ServerCpu.js"

const flat = (value: number): Summary => ({ median: value, min: value, max: value })

const latency = (p50Ms: number): RoundsSummary => ({
  rounds: 1,
  callsPerSecond: flat(1000 / p50Ms),
  p50Ms: flat(p50Ms),
  p99Ms: flat(p50Ms * 2)
})

const figure = (
  contender: string,
  role: AppendFigure["role"],
  writers: number,
  callsPerSecond: number,
  cpu: { readonly server: number | undefined; readonly client: number }
): AppendFigure => ({
  contender,
  role,
  workload: "run",
  writers,
  callsPerRound: 10,
  summary: { rounds: 1, callsPerSecond: flat(callsPerSecond), p50Ms: flat(1), p99Ms: flat(2) },
  cpu: { server: cpu.server === undefined ? undefined : flat(cpu.server), client: flat(cpu.client) }
})

const contender = (name: string, role: AppendFigure["role"]) => ({
  name,
  role,
  mechanism: "one statement",
  guarantees: [`${name} guarantee`],
  staleVersionRejected: true
})

// Runs at 16 writers: the store at 300 runs/s, Emmett at 100 and the raw baseline at 400; CPU
// per append in microseconds on the server and in the benchmark process.
const append: AppendResults = {
  options: { writers: [16], poolSize: 16, rounds: 1, warmupCalls: 1, callsPerRound: { 16: 10 } },
  workloads: appendWorkloads.filter((workload) => workload.id === "run").map(({ call: _call, ...workload }) =>
    workload
  ),
  contenders: [contender("store", "subject"), contender("Emmett", "peer"), contender("raw", "baseline")],
  figures: [
    figure("store", "subject", 16, 300, { server: 200, client: 300 }),
    figure("Emmett", "peer", 16, 100, { server: 200, client: 400 }),
    figure("raw", "baseline", 16, 400, { server: 100, client: 150 })
  ]
}

const report: BenchReport = {
  mode: "test",
  notice: "Provisional figures.",
  startedAt: new Date("2026-12-04T00:00:00Z"),
  durationSeconds: 1,
  machine: {
    cpuModel: "Test CPU",
    cores: 2,
    memoryGiB: 1,
    os: "Test OS",
    node: "v20.0.0",
    postgres: "18.4",
    postgresOrigin: "embedded",
    postgresSettings: "fsync on",
    loadAverageAtStart: [0, 0, 0],
    packages: [{ name: "pg", version: "8.23.1" }]
  },
  append,
  growth: {
    options: {
      sizes: [100, 1_000],
      pageSize: 10,
      searchWindowRuns: 20,
      searchPageSize: 5,
      rounds: 1,
      callsPerRound: 1,
      rebuild: { size: 1_000, rounds: 1, batchSize: 100 }
    },
    kinds: growthKinds,
    loadSeconds: [{ size: 100, seconds: 0.1 }, { size: 1_000, seconds: 0.2 }],
    // Every measurement takes 2 ms at 100 events; at 1,000 the page takes 4 ms and the others 2.5 ms.
    figures: growthKinds.flatMap((kind) => [
      { kind: kind.id, size: 100, summary: latency(2) },
      { kind: kind.id, size: 1_000, summary: latency(kind.id === "page" ? 4 : 2.5) }
    ])
  },
  // A COPY read of 1,000 events in 0.5 s and a rebuild of them in 10 s.
  rebuild: {
    options: { size: 1_000, rounds: 1, batchSize: 100 },
    events: 1_000,
    copySeconds: flat(0.5),
    rebuildSeconds: flat(10)
  }
}

// The trimmed cells of every table row, so checks do not depend on column padding.
const tableRows = (markdown: string): ReadonlyArray<ReadonlyArray<string>> =>
  markdown.split("\n").filter((line) => line.startsWith("|")).map((line) =>
    line.split("|").slice(1, -1).map((cell) => cell.trim())
  )

const rowStartingWith = (markdown: string, ...first: ReadonlyArray<string>) =>
  tableRows(markdown).find((row) => first.every((cell, index) => row[index] === cell))

describe("Report", () => {
  const markdown = render(report)

  it("puts the notice first", () => {
    expect(markdown.split("\n").slice(0, 3)).toEqual(["# Benchmarks", "", "> **Provisional figures.**"])
  })

  it("rates appends against peer and baseline", () => {
    // Two appends per run: 300 runs/s are 600 appends/s, 3x Emmett and 0.75x the baseline.
    expect(rowStartingWith(markdown, "16", "store")).toEqual([
      "16",
      "store",
      "600 (600–600)",
      "600",
      "1.00 (1.00–1.00)",
      "2.00 (2.00–2.00)",
      "3.00x",
      "0.75x"
    ])
  })

  it("splits CPU per append by side", () => {
    expect(rowStartingWith(markdown, "run", "16", "store")).toEqual([
      "run",
      "16",
      "store",
      "200 (200–200)",
      "300 (300–300)",
      "500",
      "0.83x",
      // 500 µs per append at 300 runs of two appends per second.
      "0.30"
    ])
    expect(rowStartingWith(markdown, "run", "16", "Emmett")?.slice(5)).toEqual(["600", "1.00x", "0.12"])
  })

  it("states the server CPU resolution", () => {
    // Each round has 10 calls of two appends.
    expect(markdown).toContain(
      `Linux's \`/proc\` counts each backend's time in clock ticks of ${
        micros(ServerCpu.microsPerTick)
      } µs, so the \`server\` column moves in steps of about ${
        micros(ServerCpu.microsPerTick / 20)
      } µs in the rounds with the fewest appends (20)`
    )
  })

  it("estimates the store's ceiling from CPU", () => {
    // Emmett's 600 µs over the store's server time plus the raw client time: 600 / 350.
    expect(markdown).toContain("its rate would reach about 1.71x Emmett's")
    expect(markdown).toContain("the store's appends cost 200 µs on the server and 300 µs in the benchmark process")
  })

  it("says when the server CPU is not readable", () => {
    const unreadable = render({
      ...report,
      append: {
        ...append,
        figures: append.figures.map((entry) => ({ ...entry, cpu: { ...entry.cpu, server: undefined } }))
      }
    })
    expect(rowStartingWith(unreadable, "run", "16", "store")?.[3]).toBe("not readable")
    expect(unreadable).toContain("The server's CPU time could not be read in this run")
  })

  it("renders only the benchmarks that ran", () => {
    const limited = render({ ...report, only: ["growth"], append: undefined, services: undefined })
    expect(limited).toContain("## Growth with the log\n")
    expect(limited).toContain("## Projection rebuild\n")
    expect(limited).not.toContain("## Appending\n")
    expect(limited).not.toContain("## Guarantees of the contenders\n")
    expect(limited).not.toContain("store appends at 16 writers")
    expect(limited).toContain("test mode limited to growth,")
    expect(limited).toContain("- This run was limited to growth with `--only`")
  })

  it("explains only the targets of the benchmarks that ran", () => {
    const appendOnly = render({ ...report, only: ["append"], growth: undefined, services: undefined })
    expect(appendOnly).toContain("a ratio within a few percent of its target can fall on the other side")
    expect(appendOnly).not.toContain("The growth targets are stated")
    expect(appendOnly).not.toContain("give their own verdicts")
    const growthOnly = render({ ...report, only: ["growth"], append: undefined, services: undefined })
    expect(growthOnly).toContain("The growth targets are stated for 1,000,000 against 10,000 events")
    expect(growthOnly).not.toContain("a ratio within a few percent")
    expect(markdown).not.toContain("give their own verdicts")
  })

  it("lists service targets in the summary", () => {
    const withMemory = render({
      ...report,
      services: {
        memory: {
          options: { notifications: 100_000, batch: 10, warmupNotifications: 10, connections: 4 },
          samples: [{ notifications: 0, rssBytes: 100 * 2 ** 20 }],
          slopeBytesPer1000: 0,
          rssAfterWarmupBytes: 100 * 2 ** 20,
          rssAtEndBytes: 100 * 2 ** 20,
          peakRssBytes: 100 * 2 ** 20,
          seconds: 1
        }
      }
    })
    const targets = withMemory.slice(withMemory.indexOf("## Targets"))
    expect(rowStartingWith(targets, "projector memory: flat, a slope under 10% of the RSS per 100,000 notifications"))
      .toEqual([
        "projector memory: flat, a slope under 10% of the RSS per 100,000 notifications",
        "0.0% per 100,000",
        "met"
      ])
  })

  it("states the store targets as ratios", () => {
    const targets = tableRows(markdown).filter((row) => row[0]?.startsWith("store appends"))
    expect(targets.map((row) => row[1])).toEqual(["3.00x", "0.75x"])
    expect(targets.map((row) => row[2])).toEqual(["met", "met"])
    expect(targets[0]?.[0]).toMatch(/at least 1\.5x Emmett$/)
    expect(targets[1]?.[0]).toMatch(/at least 0\.5x raw INSERT$/)
  })

  it("states growth against the limit", () => {
    const growth = tableRows(markdown).filter((row) => row[0]?.includes("large log within"))
    expect(growth.map((row) => row[0]?.split(":")[0])).toEqual([
      "a page of the global log from its middle",
      "a run's history",
      "a filtered run search",
      "appending a run"
    ])
    expect(growth.map((row) => row[1])).toEqual([
      "2.00x at 1,000 vs 100 events (above 1.5x)",
      "1.25x at 1,000 vs 100 events (within 1.5x)",
      "1.25x at 1,000 vs 100 events (within 1.5x)",
      "1.25x at 1,000 vs 100 events (within 1.5x)"
    ])
    // A log below 1,000,000 events cannot judge a target stated at that size.
    expect(new Set(growth.map((row) => row[2]))).toEqual(
      new Set(["not judged: the target is stated at 1,000,000 events"])
    )
  })

  it("misses an append target below its ratio", () => {
    const slow = render({
      ...report,
      append: {
        ...append,
        figures: append.figures.map((entry) =>
          entry.role === "subject"
            ? { ...entry, summary: { ...entry.summary, callsPerSecond: { median: 120, min: 120, max: 120 } } }
            : entry
        )
      }
    })
    const targets = tableRows(slow).filter((row) => row[0]?.startsWith("store appends"))
    expect(targets.map((row) => row.slice(1))).toEqual([
      ["1.20x", "missed: see CPU per append"],
      ["0.30x", "missed: see CPU per append"]
    ])
  })

  it("rates the rebuild against COPY", () => {
    expect(rowStartingWith(markdown, "COPY read")).toEqual(["COPY read", "0.500 (0.500–0.500)", "2,000"])
    expect(rowStartingWith(markdown, "rebuild")).toEqual(["rebuild", "10.0 (10.0–10.0)", "100"])
    expect(markdown).toContain("The rebuild took 20.00x the time of the COPY read.")
  })

  it("lists guarantees and the stale version check", () => {
    expect(markdown).toContain("### Emmett (peer)")
    expect(markdown).toContain("- Emmett guarantee")
    expect(markdown).toContain("was rejected.")
  })

  it("pads each table's columns to one width", () => {
    const blocks = markdown.split("\n\n").filter((block) => block.startsWith("|"))
    expect(blocks.length).toBeGreaterThan(4)
    for (const block of blocks) {
      const lengths = new Set(block.split("\n").map((line) => line.length))
      expect(lengths.size).toBe(1)
    }
  })
})
