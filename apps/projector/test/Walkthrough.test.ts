import { describe, expect, it } from "@effect/vitest"
import { Ids, RunEvent } from "@workflow-runs/core"
import { Walkthrough } from "@workflow-runs/projector"
import { Effect } from "effect"

// Runs the walk-through with a console that records each line instead of printing it.
const captureOutput = <A, E>(effect: Effect.Effect<A, E>) =>
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

describe("Walkthrough", () => {
  it.effect("decodes the invoke response and round-trips it", () =>
    Effect.gen(function*() {
      const lines = yield* captureOutput(Walkthrough.walkthrough)
      expect(lines).toContain(
        "  run wfrun_test_61UTL7vuMHzp5fHTd16TT0rUFzSQLefl99yAJBArITFo of workflow wf_test_61UNwDso5RkJhsXt116TT0rUFzSQLefl99yAJBArIFXc"
      )
      expect(lines).toContain("  status started, created 2026-04-08T14:33:27.076Z")
      expect(lines).toContain("  encoding it again gives Stripe's JSON back: yes")
    }))

  it.effect("walks the run through its states", () =>
    Effect.gen(function*() {
      const lines = yield* captureOutput(Walkthrough.walkthrough)
      const summaries = lines.filter((line) => line.includes("new event(s)"))
      expect(summaries).toEqual([
        "Invoke returns the started run: snapshot status started, 1 new event(s)",
        "The succeeded notification arrives: snapshot status succeeded, 1 new event(s)",
        "Stripe delivers it again: snapshot status succeeded, 0 new event(s)",
        "The started notification arrives late: snapshot status started, 0 new event(s)",
        "A second run's failed notification arrives before anything else: snapshot status failed, 2 new event(s)"
      ])
      const states = lines.filter((line) => line.startsWith("  state: ")).map((line) => line.slice(9))
      expect(states).toEqual(["started", "succeeded", "succeeded", "succeeded", "failed"])
    }))

  it.effect("prints each event with its deterministic id", () =>
    Effect.gen(function*() {
      const lines = yield* captureOutput(Walkthrough.walkthrough)
      const events = lines.filter((line) => /^ {2}\d{4}-/.test(line))
      expect(events).toHaveLength(4)
      const runId = Ids.WorkflowRunId.make("wfrun_test_61UTL7vuMHzp5fHTd16TT0rUFzSQLefl99yAJBArITFo")
      expect(events[0]).toBe(`  2026-04-08T14:33:27.335Z  RunStarted   ${RunEvent.runEventId(runId, "started")}`)
      expect(events[1]).toBe(`  2026-04-08T14:33:31.902Z  RunSucceeded ${RunEvent.runEventId(runId, "succeeded")}`)
      expect(events[3]).toContain(`RunFailed    `)
      expect(events[3]).toContain(`"Step 2 failed: customer has no email"`)
      expect(lines.at(-1)).toMatch(
        /^A terminal state is final: Run wfrun_test_\w+ cannot apply RunFailed in state succeeded/
      )
    }))
})
