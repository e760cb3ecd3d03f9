import { describe, expect, it } from "@effect/vitest"
import { DateTime } from "effect"
import { checkGrowthOptions, searchesOf } from "../src/GrowthScenario.js"
import * as StoreLog from "../src/StoreLog.js"
import * as Suite from "../src/Suite.js"

describe("GrowthScenario", () => {
  it("accepts every mode's options", () => {
    for (const config of [Suite.quick, Suite.full, Suite.smoke]) {
      expect(() => checkGrowthOptions(config.growth)).not.toThrow()
    }
  })

  it("rejects a rebuild size not loaded", () => {
    const options = { ...Suite.quick.growth, rebuild: { ...Suite.quick.growth.rebuild, size: 20_000 } }
    expect(() => checkGrowthOptions(options)).toThrow(
      "The rebuild size 20000 is not among the log sizes 10000, 100000: use one of them."
    )
  })

  it("rejects a search range larger than the log", () => {
    const options = { ...Suite.quick.growth, searchWindowRuns: 5_000 }
    expect(() => checkGrowthOptions(options)).toThrow("A search range of 5000 runs does not fit")
  })

  it("finds equal matches per search at every size", () => {
    const { sizes, searchWindowRuns } = Suite.full.growth
    const counts = sizes.map((size) => searchesOf(size / 2, searchWindowRuns, 16).map((search) => search.expected))
    // Every twentieth run is a failed run of a given workflow, so each range of 2,000 runs has 100.
    for (const perSize of counts) {
      expect(perSize).toEqual(Array.from({ length: 16 }, () => 100))
    }
  })

  it("spreads search ranges inside the log", () => {
    const runs = 5_000
    const searches = searchesOf(runs, 2_000, 16)
    const lastStart = StoreLog.fixtureRun(runs).startedAt.getTime()
    for (const search of searches) {
      expect(DateTime.toEpochMillis(search.query.from!)).toBeGreaterThanOrEqual(
        StoreLog.fixtureRun(0).startedAt.getTime()
      )
      expect(DateTime.toEpochMillis(search.query.to!)).toBeLessThanOrEqual(lastStart)
    }
    expect(new Set(searches.map((search) => search.query.workflowId)).size).toBe(StoreLog.workflowCount)
  })
})
