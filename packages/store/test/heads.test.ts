import { describe, expect, it } from "@effect/vitest"
import { RunEvent } from "@workflow-runs/core"
import { appendEventFunction, shapeCondition } from "../src/internal/appendOne.js"
import * as Codec from "../src/internal/codec.js"
import * as Heads from "../src/internal/heads.js"
import * as Invocation from "../src/Invocation.js"
import { at, failed, newKey, newRunId, succeeded } from "./support/fixtures.js"

const keysOf = (patch: Record<string, unknown>) => Object.keys(patch).sort()
const sorted = (shapes: ReadonlyArray<ReadonlyArray<string>>) => shapes.map((shape) => [...shape].sort())

describe("head update shapes", () => {
  // A settling event whose patch matched no shape would still be stored correctly, through the
  // update that tests every column, but the append would lose its cheaper update.
  it("cover settling run patches", () => {
    const runId = newRunId()
    const settling: ReadonlyArray<RunEvent.RunEvent> = [
      succeeded(runId),
      failed(runId),
      RunEvent.failed(runId, at("2026-04-08T14:35:00.123Z"), "")
    ]
    for (const event of settling) {
      expect(sorted(Heads.runs.updateShapes)).toContainEqual(keysOf(Codec.encodeRun(event).patch))
    }
  })

  it("cover settling attempt patches", () => {
    const key = newKey()
    const settling: ReadonlyArray<Invocation.InvocationEvent> = [
      Invocation.succeeded(key, at("2026-04-08T14:33:28.000Z"), newRunId()),
      Invocation.rejected({
        idempotencyKey: key,
        occurredAt: at("2026-04-08T14:33:28.000Z"),
        errorTag: "StripeInvalidRequestError",
        code: null,
        message: "The workflow is not active.",
        requestId: null
      }),
      Invocation.outcomeUnknown({
        idempotencyKey: key,
        occurredAt: at("2026-04-08T14:33:28.000Z"),
        occurrence: 1,
        errorTag: "StripeConnectionError",
        message: "timed out"
      })
    ]
    for (const event of settling) {
      expect(sorted(Heads.invocations.updateShapes)).toContainEqual(keysOf(Codec.encodeInvocation(event).patch))
    }
  })

  it("name only head columns", () => {
    for (const head of [Heads.runs, Heads.invocations]) {
      expect(() => appendEventFunction(head)).not.toThrow()
    }
    expect(() => shapeCondition(Heads.runs, ["status", "settled_at"])).toThrow(
      "The update shape [status, settled_at] of workflow_runs must name some of its columns, and only those: it has no column settled_at"
    )
    expect(() => shapeCondition(Heads.runs, [])).toThrow("it names none")
  })

  it("match exactly the shape's keys", () => {
    expect(shapeCondition(Heads.runs, ["status", "finished_at"])).toBe(
      "p_patch ?& '{status,finished_at}'::text[] and not p_patch ?| '{workflow_id,livemode,trigger_type,input_parameters,error_message,started_at}'::text[]"
    )
    const all = Heads.runs.columns.map((column) => column.name)
    expect(shapeCondition(Heads.runs, all)).toBe(`p_patch ?& '{${all.join(",")}}'::text[]`)
  })
})
