import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { runRound, summarize, summarizeRounds } from "../src/Measure.js"

describe("Measure", () => {
  it("summarize takes median, min and max", () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 })
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 })
    expect(summarize([7])).toEqual({ median: 7, min: 7, max: 7 })
  })

  it("summarize rejects an empty list", () => {
    expect(() => summarize([])).toThrow(/empty list/)
  })

  it("summarizeRounds summarizes each figure", () => {
    const summary = summarizeRounds([
      { callsPerSecond: 10, p50Ms: 1, p99Ms: 5 },
      { callsPerSecond: 30, p50Ms: 3, p99Ms: 9 },
      { callsPerSecond: 20, p50Ms: 2, p99Ms: 7 }
    ])
    expect(summary.rounds).toBe(3)
    expect(summary.callsPerSecond).toEqual({ median: 20, min: 10, max: 30 })
    expect(summary.p50Ms).toEqual({ median: 2, min: 1, max: 3 })
    expect(summary.p99Ms).toEqual({ median: 7, min: 5, max: 9 })
  })

  it.live("runRound keeps the concurrency in flight", () =>
    Effect.gen(function*() {
      let inFlight = 0
      let maxInFlight = 0
      let calls = 0
      const sample = yield* Effect.promise(() =>
        runRound("in flight", { concurrency: 4, iterations: 40 }, async () => {
          calls += 1
          inFlight += 1
          maxInFlight = Math.max(maxInFlight, inFlight)
          await new Promise((resolve) => setTimeout(resolve, 2))
          inFlight -= 1
        })
      )
      expect(calls).toBe(40)
      expect(maxInFlight).toBe(4)
      expect(sample.callsPerSecond).toBeGreaterThan(0)
      expect(sample.p50Ms).toBeLessThanOrEqual(sample.p99Ms)
    }))

  it.live("runRound rejects when a call fails", () =>
    Effect.gen(function*() {
      let calls = 0
      const error = yield* Effect.flip(Effect.tryPromise(() =>
        runRound("failing", { concurrency: 2, iterations: 10 }, async () => {
          calls += 1
          if (calls === 3) throw new Error("append conflict")
        })
      ))
      expect(String(error.cause)).toMatch(/append conflict/)
    }))

  it("runRound rejects an invalid concurrency", async () => {
    await expect(runRound("zero", { concurrency: 0, iterations: 1 }, async () => undefined)).rejects.toThrow(
      /Invalid concurrency 0/
    )
  })
})
