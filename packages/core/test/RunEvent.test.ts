import { describe, expect, it } from "@effect/vitest"
import { RunEvent } from "@workflow-runs/core"
import { Schema } from "effect"
import { decodeFailure } from "./support/decoding.js"
import { at, invokedRun } from "./support/runs.js"

const encode = Schema.encodeSync(RunEvent.RunEvent)
const decode = Schema.decodeUnknownSync(RunEvent.RunEvent)

const started = RunEvent.started({
  runId: invokedRun.id,
  occurredAt: at("2026-04-08T14:33:27.335Z"),
  workflow: invokedRun.workflow,
  trigger: invokedRun.trigger,
  livemode: invokedRun.livemode
})

describe("RunEvent", () => {
  it("encodes a start with Stripe's trigger JSON", () => {
    expect(encode(started)).toStrictEqual({
      _tag: "RunStarted",
      runId: invokedRun.id,
      eventId: RunEvent.runEventId(invokedRun.id, "started"),
      occurredAt: "2026-04-08T14:33:27.335Z",
      workflow: invokedRun.workflow,
      trigger: {
        manual: {
          input_parameters: {
            customer_id: "cus_SJjFsJvGPQKfH1",
            amount: 5000,
            notify: true,
            tags: ["signup", "promotion"]
          }
        },
        type: "manual"
      },
      livemode: false
    })
  })

  it.each([
    ["a start", started],
    ["a success", RunEvent.succeeded(invokedRun.id, at("2026-04-08T14:33:31.902Z"))],
    ["a failure", RunEvent.failed(invokedRun.id, at("2026-04-08T14:33:31.902Z"), "Step 2 failed")],
    ["a failure without a message", RunEvent.failed(invokedRun.id, at("2026-04-08T14:33:31.902Z"), null)]
  ])("round-trips %s through JSON", (_, event) => {
    const wire = JSON.parse(JSON.stringify(encode(event)))
    const decoded = decode(wire)
    expect(decoded).toBeInstanceOf(event.constructor)
    expect(encode(decoded)).toStrictEqual(wire)
    expect(decoded.eventId).toBe(event.eventId)
  })

  it("exposes the input parameters of a start", () => {
    expect(started.inputParameters).toEqual(invokedRun.inputParameters)
  })

  it("rejects an event id that is not a UUID", () => {
    const wire = { ...encode(started), eventId: "evt_1" }
    expect(decodeFailure(RunEvent.RunEvent, wire).paths).toContainEqual(["eventId"])
  })

  it("rejects an offset-less occurredAt", () => {
    const wire = { ...encode(started), occurredAt: "2026-04-08T14:33:27.335" }
    const { message, paths } = decodeFailure(RunEvent.RunEvent, wire)
    expect(paths).toContainEqual(["occurredAt"])
    expect(message).toContain(`["occurredAt"]`)
  })

  it.prop("round-trips any event through JSON", [RunEvent.RunEvent], ([event]) => {
    const wire = JSON.parse(JSON.stringify(encode(event)))
    expect(encode(decode(wire))).toStrictEqual(wire)
  })
})
