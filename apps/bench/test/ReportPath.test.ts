import { describe, expect, it } from "@effect/vitest"
import { resolve } from "node:path"
import { partialReport, recordedReport, reportPath } from "../src/ReportPath.js"

describe("reportPath", () => {
  it("writes a run of every benchmark to the recorded report", () => {
    expect(reportPath({ out: undefined, limited: false })).toBe(recordedReport)
    expect(recordedReport.endsWith("/docs/benchmarks.md")).toBe(true)
  })

  it("keeps a run limited with --only out of the recorded report", () => {
    expect(reportPath({ out: undefined, limited: true })).toBe(partialReport)
    expect(partialReport).not.toBe(recordedReport)
    expect(partialReport.endsWith("/bench-report.md")).toBe(true)
  })

  it("writes where --out says", () => {
    expect(reportPath({ out: "some/report.md", limited: true })).toBe(resolve("some/report.md"))
  })
})
