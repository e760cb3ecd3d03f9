import { describe, expect, it } from "@effect/vitest"
import { cpuTicks } from "../src/ServerCpu.js"

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
})
