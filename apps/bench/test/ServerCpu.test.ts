import { describe, expect, it } from "@effect/vitest"
import { cpuTicks, elapsed } from "../src/ServerCpu.js"

describe("ServerCpu", () => {
  it("reads user and system ticks", () => {
    const stat = "4242 (postgres) S 1 4242 4242 0 -1 4194560 500 0 0 0 1200 340 0 0 20 0 1 0 100 0 0"
    expect(cpuTicks(stat)).toBe(1540)
  })

  it("skips a command name with spaces", () => {
    const stat = "77 (postgres: 15/main: a) b) S 1 77 77 0 -1 4194560 500 0 0 0 30 12 0 0 20 0 1 0 100"
    expect(cpuTicks(stat)).toBe(42)
  })

  it("rejects a truncated line", () => {
    expect(cpuTicks("77 (postgres) S 1 2")).toBeUndefined()
  })

  it("counts each backend's growth between snapshots", () => {
    const before = new Map([[10, 5_000], [11, 7_000], [12, 9_000]])
    // 10 grew, 11 exited (its pool closed it while idle), 12 is a new process under a reused
    // id, and 13 connected in between.
    const after = new Map([[10, 6_500], [12, 400], [13, 2_000]])
    expect(elapsed(before, after)).toBe(1_500 + 400 + 2_000)
  })

  it("gives nothing without both snapshots", () => {
    expect(elapsed(undefined, new Map([[10, 1]]))).toBeUndefined()
    expect(elapsed(new Map([[10, 1]]), undefined)).toBeUndefined()
  })
})
