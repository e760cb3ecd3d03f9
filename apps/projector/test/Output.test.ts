import { describe, expect, it } from "@effect/vitest"
import { HashChain, Verification } from "@workflow-runs/store"
import * as Output from "../src/Output.js"

const hash = (digit: string) => digit.repeat(64)

const reportWith = (mismatches: ReadonlyArray<Verification.AnchorMismatch>) =>
  new Verification.Report({
    streams: 1,
    events: 2,
    broken: [],
    anchorMismatches: mismatches,
    digestMismatch: null,
    anchor: new HashChain.Anchor({ heads: [], digest: hash("0") }),
    compactAnchor: new HashChain.CompactAnchor({ events: 2, streams: 1, digest: hash("0") })
  })

describe("verifyReport", () => {
  it("marks missing and changed events", () => {
    const text = Output.verifyReport(reportWith([
      new Verification.AnchorMismatch({ stream: "run/wfrun_a", version: 3, expectedHash: hash("a"), actualHash: null }),
      new Verification.AnchorMismatch({
        stream: "run/wfrun_b",
        version: 2,
        expectedHash: hash("b"),
        actualHash: hash("c")
      })
    ]))
    expect(text).toContain(`  missing run/wfrun_a at version 3: expected ${hash("a")}, found no event there`)
    expect(text).toContain(`  changed run/wfrun_b at version 2: expected ${hash("b")}, found ${hash("c")}`)
  })
})

describe("withoutTextFiller", () => {
  it("drops the filler, coloured or not", () => {
    const plain = "--workflow text\n\n  A user-defined piece of text.\n\n  Only runs of this workflow id\n"
    expect(Output.withoutTextFiller(plain)).toBe("--workflow text\n\n  Only runs of this workflow id\n")
    const coloured =
      "--from text\n\n\u001b[0m  A user-defined piece of text.\u001b[0m\n\n  Runs started at or after this time"
    expect(Output.withoutTextFiller(coloured)).toBe("--from text\n\n  Runs started at or after this time")
    const flag = "--embedded\n\n  A true or false value.\n\n  Use an embedded PostgreSQL\n"
    expect(Output.withoutTextFiller(flag)).toBe("--embedded\n\n  Use an embedded PostgreSQL\n")
  })

  it("leaves other text unchanged", () => {
    const table = "run_id  status\nwr_1    started\n"
    expect(Output.withoutTextFiller(table)).toBe(table)
    // A line is dropped only when it contains nothing but the filler.
    const quoted = "Stripe calls it: A user-defined piece of text."
    expect(Output.withoutTextFiller(quoted)).toBe(quoted)
  })
})

describe("withProgramInUsage", () => {
  const subcommands = new Set(["runs", "history"])

  it("names the program, coloured or not", () => {
    const plain = "USAGE\n\n$ runs [--workflow text] [--limit integer]\n\nDESCRIPTION"
    expect(Output.withProgramInUsage(plain, "workflow-runs", subcommands)).toBe(
      "USAGE\n\n$ workflow-runs runs [--workflow text] [--limit integer]\n\nDESCRIPTION"
    )
    const coloured = "\u001b[1m$ history <run>\u001b[0m"
    expect(Output.withProgramInUsage(coloured, "workflow-runs", subcommands)).toBe(
      "\u001b[1m$ workflow-runs history <run>\u001b[0m"
    )
  })

  it("leaves other lines unchanged", () => {
    const root = "$ workflow-runs\n\nAudit log of Stripe Workflow Runs"
    expect(Output.withProgramInUsage(root, "workflow-runs", subcommands)).toBe(root)
    const prose = "Costs $ runs high: $ history"
    expect(Output.withProgramInUsage(prose, "workflow-runs", subcommands)).toBe(prose)
  })
})
