import { describe, expect, it } from "@effect/vitest"
import type { InvokeContender } from "../src/InvokeContenders.js"
import { summarizeRounds } from "../src/Measure.js"
import { renderServiceSections, serviceSectionTitles, serviceTargetRows } from "../src/ServiceReport.js"
import type { ServiceResults } from "../src/ServiceSuite.js"

const rounds = (callsPerSecond: number, p99Ms: number) =>
  summarizeRounds([{ callsPerSecond, p50Ms: p99Ms / 2, p99Ms }, { callsPerSecond, p50Ms: p99Ms / 2, p99Ms }])

const memory = (notifications: number, slopeBytesPer1000: number): ServiceResults["memory"] => ({
  options: { notifications, batch: 10, warmupNotifications: 10, connections: 4 },
  samples: [{ notifications: 0, rssBytes: 100 * 2 ** 20 }],
  slopeBytesPer1000,
  rssAfterWarmupBytes: 100 * 2 ** 20,
  rssAtEndBytes: 101 * 2 ** 20,
  peakRssBytes: 102 * 2 ** 20,
  seconds: 12
})

const results = (memoryResults: ServiceResults["memory"]): ServiceResults => {
  const flat = (value: number) => ({ median: value, min: value, max: value })
  const invoke = (contender: InvokeContender, callers: number, rate: number, p99: number) => ({
    contender,
    callers,
    callsPerRound: 10,
    summary: rounds(rate, p99),
    peakRssBytes: { median: 2 ** 26, min: 2 ** 26, max: 2 ** 26 },
    peakHeapBytes: { median: 2 ** 24, min: 2 ** 24, max: 2 ** 24 },
    // CPU per call in microseconds: 300 for this project, 200 for the official client, 100 bare.
    cpuMicrosPerCall: flat({ "workflow-runs": 300, stripe: 200, "node:http": 100 }[contender])
  })
  return {
    invoke: {
      options: { callers: [1, 16], rounds: 2, callsPerRound: { 1: 10, 16: 10 }, warmupCalls: 1 },
      figures: [
        invoke("workflow-runs", 1, 120, 2),
        invoke("stripe", 1, 100, 2),
        invoke("node:http", 1, 150, 1),
        invoke("workflow-runs", 16, 90, 4),
        invoke("stripe", 16, 100, 3),
        invoke("node:http", 16, 150, 2)
      ]
    },
    webhooks: {
      options: { connections: [16], rounds: 2, notificationsPerRound: { 16: 10 }, warmupNotifications: 0 },
      figures: [
        {
          contender: "projector",
          connections: 16,
          notificationsPerRound: 10,
          summary: rounds(50, 9),
          cpu: { receiver: flat(2000), server: flat(900) }
        },
        {
          contender: "naive",
          connections: 16,
          notificationsPerRound: 10,
          summary: rounds(100, 5),
          cpu: { receiver: flat(500), server: flat(200) }
        }
      ],
      checkedRounds: { projector: 2, naive: 2 }
    },
    memory: memoryResults
  }
}

describe("ServiceReport", () => {
  it("renders the sections in order", () => {
    const markdown = renderServiceSections(results(memory(100_000, 0)))
    const positions = serviceSectionTitles.map((title) => markdown.indexOf(`## ${title}\n`))
    expect(positions.every((position) => position >= 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
  })

  it("judges each target from the medians", () => {
    const markdown = renderServiceSections(results(memory(100_000, 50 * 1024)))
    expect(markdown).toContain("- 1 caller: rate 1.20x of the official client's, p99 1.00x of its p99: met.\n")
    expect(markdown).toContain("- 16 callers: rate 0.90x of the official client's, p99 1.33x of its p99: missed.")
    expect(markdown).toContain("- 16 connections: 0.50x of the naive handler's rate: missed.")
    expect(markdown).toContain("This run: 4.9% per 100,000: met.")
    const growing = renderServiceSections(results(memory(100_000, 200 * 1024)))
    expect(growing).toContain("This run: 19.5% per 100,000: missed.")
  })

  it("gives the CPU cost behind a missed target", () => {
    const markdown = renderServiceSections(results(memory(100_000, 0)))
    expect(markdown).toContain(
      "p99 1.33x of its p99: missed. The caller process spent 300 µs of CPU per call, the official client's 200 µs and the bare `node:http` caller's 100 µs."
    )
    expect(markdown).toContain(
      "Each notification cost the projector 2,000 µs in the receiver and 900 µs in PostgreSQL, the naive handler 500 µs in the receiver and 200 µs in PostgreSQL."
    )
  })

  it("shows CPU per call and per notification", () => {
    const markdown = renderServiceSections(results(memory(100_000, 0)))
    const cells = (prefix: string) =>
      markdown.split("\n").find((line) => line.startsWith(prefix))?.split("|").map((cell) => cell.trim())
    expect(cells("| 16      | `stripe`")?.[8]).toBe("200 (200–200)")
    expect(cells("| 16          | projector")?.slice(6, 8)).toEqual(["2,000 (2,000–2,000)", "900 (900–900)"])
  })

  it("lists each service target's verdict", () => {
    expect(serviceTargetRows(results(memory(100_000, 50 * 1024)))).toEqual([
      ["invoking at 1 caller: at least the official client's rate, p99 no worse", "rate 1.20x, p99 1.00x", "met"],
      ["invoking at 16 callers: at least the official client's rate, p99 no worse", "rate 0.90x, p99 1.33x", "missed"],
      ["webhook ingestion at 16 connections: at least the naive handler's rate", "0.50x", "missed"],
      ["projector memory: flat, a slope under 10% of the RSS per 100,000 notifications", "4.9% per 100,000", "met"]
    ])
    const short = serviceTargetRows(results(memory(2_000, 200 * 1024)))
    expect(short.at(-1)?.[2]).toBe("not judged: only `pnpm bench --full` sends 100,000 notifications")
    expect(serviceTargetRows({})).toEqual([])
  })

  it("leaves a short memory run unjudged", () => {
    const markdown = renderServiceSections(results(memory(2_000, 200 * 1024)))
    expect(markdown).toContain("This run: 19.5% per 100,000, not judged:")
    expect(markdown).not.toContain("per 100,000: missed")
  })
})
