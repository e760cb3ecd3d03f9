import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { residentBytes } from "../src/internal/child.js"
import { slope } from "../src/MemoryScenario.js"

describe("MemoryScenario", () => {
  it("slope fits a least-squares line", () => {
    expect(slope([{ x: 0, y: 5 }, { x: 10, y: 25 }, { x: 20, y: 45 }])).toBeCloseTo(2, 10)
    expect(slope([{ x: 0, y: 100 }, { x: 1, y: 104 }, { x: 2, y: 96 }, { x: 3, y: 100 }])).toBeCloseTo(-0.8, 10)
    expect(slope([{ x: 1, y: 3 }, { x: 2, y: 3 }])).toBe(0)
  })

  it("slope rejects too few samples or a single count", () => {
    expect(() => slope([{ x: 1, y: 2 }])).toThrow(/at least two samples, got 1/)
    expect(() => slope([{ x: 1, y: 2 }, { x: 1, y: 3 }])).toThrow(/different notification counts/)
  })

  it.live("residentBytes reads a running process and names a missing one", () =>
    Effect.gen(function*() {
      const own = yield* Effect.promise(() => residentBytes(process.pid))
      expect(own).toBeGreaterThan(1024 * 1024)
      const missing = yield* Effect.promise(() =>
        residentBytes(2 ** 30).then(() => "read", (error: Error) => error.message)
      )
      expect(missing).toMatch(/Cannot read the memory of process 1073741824/)
    }))
})
