import { describe, expect, it } from "@effect/vitest"
import { resolve } from "node:path"
import { partialReport, recordedReport, reportPath } from "../src/ReportPath.js"

describe("reportPath", () => {
  it("records a full run", () => {
    expect(reportPath({ out: undefined, limited: false })).toBe(recordedReport)
    expect(recordedReport.endsWith("/docs/benchmarks.md")).toBe(true)
  })

  it("keeps a partial run apart", () => {
    expect(reportPath({ out: undefined, limited: true })).toBe(partialReport)
    expect(partialReport).not.toBe(recordedReport)
    expect(partialReport.endsWith("/bench-report.md")).toBe(true)
  })

  it("follows --out", () => {
    expect(reportPath({ out: "some/report.md", limited: true })).toBe(resolve("some/report.md"))
  })
})
