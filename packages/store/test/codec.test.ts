import { describe, expect, it } from "@effect/vitest"
import { Ids, RunEvent } from "@workflow-runs/core"
import canonicalize from "canonicalize"
import * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"
import * as Codec from "../src/internal/codec.js"
import { escapeJson } from "../src/internal/jsonText.js"
import { at, failed, newRunId, started } from "./support/fixtures.js"

// The encoding the hand-written encoder replaces: the schema's, split into the stored fields.
const schemaEncoding = (event: RunEvent.RunEvent) => {
  const { _tag, eventId, occurredAt, runId: _runId, ...data } = Schema.encodeSync(RunEvent.RunEvent)(event)
  return { eventId, type: _tag, occurredAt, data: escapeJson(data) }
}

const expectSchemaEncoding = (event: RunEvent.RunEvent) => {
  const encoded = Codec.encodeRun(event)
  const expected = schemaEncoding(event)
  expect(encoded.eventId).toBe(expected.eventId)
  expect(encoded.type).toBe(expected.type)
  expect(encoded.occurredAt).toBe(expected.occurredAt)
  expect(encoded.data).toStrictEqual(expected.data)
  // The hash chain and the `jsonb` column see the data through its canonical JSON.
  expect(canonicalize(encoded.data)).toBe(canonicalize(expected.data))
}

describe("run event codec", () => {
  it.prop("encodes any run event as the schema does", [RunEvent.RunEvent], ([event]) => {
    expectSchemaEncoding(event)
  }, { fastCheck: { numRuns: 500 } })

  it("encodes strings that jsonb rejects as the schema does", () => {
    const runId = newRunId()
    const inputParameters = { "nul\u0000key": "a\u0000b", lone: "\ud800", marked: "\uffffx", nested: [{ x: "\udc00" }] }
    const event = started(runId, { inputParameters })
    expectSchemaEncoding(event)
    expect(Codec.encodeRun(event).data).toMatchObject({
      trigger: { manual: { input_parameters: { lone: "\uffff\"\\ud800\"" } } }
    })
    expectSchemaEncoding(RunEvent.failed(runId, at("2026-04-08T14:35:00.123Z"), "bad\u0000input"))
    expectSchemaEncoding(failed(runId))
  })

  it("rejects a time the schema cannot encode", () => {
    const runId = Ids.WorkflowRunId.make("wfrun_test_far_future")
    const event = RunEvent.succeeded(runId, DateTime.unsafeMake("+010000-01-01T00:00:00.000Z"))

    expect(() => Codec.encodeRun(event)).toThrow(/between the years 0001 and 9999/)
  })
})
