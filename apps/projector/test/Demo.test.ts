import { describe, expect, it } from "@effect/vitest"
import { Demo } from "@workflow-runs/projector"
import { ConfigProvider, Effect, Redacted } from "effect"
import { testDatabaseUrl } from "./support/harness.js"

// Runs the demo with a console that records each line instead of printing it.
const captureOutput = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const record = (...args: ReadonlyArray<unknown>) =>
      Effect.sync(() => {
        lines.push(...args.map(String).join(" ").split("\n"))
      })
    const console = yield* Effect.console
    yield* effect.pipe(Effect.withConsole({ ...console, log: record, info: record }))
    return lines
  })

describe("Demo", () => {
  it.live("invokes the mix, waits for every notification and verifies the log", () =>
    Effect.gen(function*() {
      const url = yield* testDatabaseUrl
      const env = new Map([["DATABASE_URL", Redacted.value(url)]])
      const started = Date.now()
      const lines = yield* captureOutput(Demo.run.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(env))))
      expect(Date.now() - started).toBeLessThan(30_000)
      const text = lines.join("\n")
      expect(text).toContain("the retry returned the same run")
      expect(text).toContain("3/3 runs finished in the log")
      expect(text).toMatch(/paused workflow: rejected, WorkflowNotInvokable/)
      expect(text).toMatch(/invalid parameters: rejected, InvalidWorkflowInputParameters/)
      const table = lines.slice(lines.indexOf("Runs") + 3, lines.indexOf("Runs") + 6)
      expect(table.map((line) => line.split(/\s+/)[2]).sort()).toEqual(["failed", "succeeded", "succeeded"])
      expect(text).toMatch(/^ {2}TIME\s+VERSION\s+POSITION\s+EVENT\s+SOURCE\s+DETAILS$/m)
      expect(text).toMatch(/RunStarted\s+invoke\s+key demo-/)
      // The retry of the example can record the success before its notification does.
      expect(text).toMatch(/RunSucceeded\s+(webhook\s+notification evt_|invoke\s+key demo-)/)
      expect(lines[lines.indexOf("Invocation attempts") + 1]).toMatch(/^IDEMPOTENCY KEY\s+WORKFLOW\s+INVOKE\s+RUN/)
      const attempts = lines.slice(lines.indexOf("Invocation attempts") + 3, lines.indexOf("Invocation attempts") + 8)
      expect(attempts.map((line) => line.split(/\s+/)[2]).sort()).toEqual([
        "accepted",
        "accepted",
        "accepted",
        "rejected",
        "rejected"
      ])
      expect(attempts.filter((line) => line.endsWith("WorkflowNotInvokable"))).toHaveLength(1)
      expect(attempts.filter((line) => line.endsWith("InvalidWorkflowInputParameters"))).toHaveLength(1)
      expect(text).toContain("Verified: 8 stream(s), 16 event(s), 0 broken chain(s), 0 anchor mismatch(es)")
      const anchor = /Anchor \(keep it, then run verify --expect ANCHOR\): wrc1\.(\d+)\.(\d+)\.[0-9a-f]{64}$/m.exec(
        text
      )
      expect(anchor).not.toBeNull()
      // A transaction held open elsewhere on a shared server can leave the newest events out.
      expect(Number(anchor?.[1])).toBeLessThanOrEqual(16)
      expect(Number(anchor?.[2])).toBeLessThanOrEqual(8)
    }).pipe(Effect.scoped), 60_000)
})
