import { assert, describe, expect, it } from "@effect/vitest"
import { OpenEnum, WorkflowRun } from "@workflow-runs/core"
import { DateTime, Either, Option, Schema } from "effect"
import { decodeFailure, fixture, roundTrip, without } from "./support/decoding.js"

const RunListPage = Schema.Struct({
  data: Schema.Array(WorkflowRun.WorkflowRun),
  next_page_url: Schema.NullOr(Schema.String),
  previous_page_url: Schema.NullOr(Schema.String)
})

const seed = fixture("invoke-workflow-response.json") as Record<string, any>
const invoked = fixture("workflow-run-invoked.json") as Record<string, any>
const failed = fixture("workflow-run-failed.json") as Record<string, any>
const eventTriggered = fixture("workflow-run-event-triggered.json") as Record<string, any>

const decode = Schema.decodeUnknownSync(WorkflowRun.WorkflowRun)

describe("WorkflowRun", () => {
  describe("the invoke response", () => {
    it("decodes to the domain object", () => {
      const run = decode(seed)
      expect(run.id).toBe("wfrun_test_61UTL7vuMHzp5fHTd16TT0rUFzSQLefl99yAJBArITFo")
      expect(run.workflow).toBe("wf_test_61UNwDso5RkJhsXt116TT0rUFzSQLefl99yAJBArIFXc")
      expect(run.status).toBe("started")
      expect(run.livemode).toBe(false)
      expect(DateTime.formatIso(run.created)).toBe("2026-04-08T14:33:27.076Z")
      expect(run.startedAt.pipe(Option.map(DateTime.formatIso))).toEqual(Option.some("2026-04-08T14:33:27.335Z"))
      expect(run.succeededAt).toEqual(Option.none())
      expect(run.failedAt).toEqual(Option.none())
      expect(run.errorMessage).toEqual(Option.none())
      expect(run.trigger.type).toBe("manual")
      expect(run.inputParameters).toEqual(
        Option.some({ customer_id: "cus_SJjFsJvGPQKfH1", amount: 5000, notify: true, tags: ["signup", "promotion"] })
      )
      expect(run.eventTrigger).toEqual(Option.none())
      expect(run.isTerminal).toBe(false)
    })

    it("encodes back to the same JSON with its nulls", () => {
      const { encoded } = roundTrip(WorkflowRun.WorkflowRun, seed)
      expect(encoded).toStrictEqual(seed)
      const transitions = (encoded as typeof seed).status_transitions
      expect(transitions).toHaveProperty("failed_at", null)
      expect(transitions).toHaveProperty("succeeded_at", null)
      expect((encoded as typeof seed).status_details).toHaveProperty("failed", null)
    })

    it("keeps the key order of Stripe's response", () => {
      const { encoded } = roundTrip(WorkflowRun.WorkflowRun, seed)
      expect(JSON.stringify(encoded)).toBe(JSON.stringify(seed))
    })
  })

  describe("responses that leave nullable keys out", () => {
    it.each([
      ["a run right after invoke", "workflow-run-invoked.json"],
      ["a failed run", "workflow-run-failed.json"],
      ["an event-triggered run", "workflow-run-event-triggered.json"]
    ])("round-trips %s exactly", (_, name) => {
      const input = fixture(name)
      const { encoded } = roundTrip(WorkflowRun.WorkflowRun, input)
      expect(encoded).toStrictEqual(input)
    })

    it("leaves absent keys absent", () => {
      const { decoded, encoded } = roundTrip(WorkflowRun.WorkflowRun, invoked)
      expect(decoded.statusDetails).toBeUndefined()
      expect(encoded).not.toHaveProperty("status_details")
      expect((encoded as typeof invoked).status_transitions).toStrictEqual({ started_at: "2026-05-01T10:00:00.000Z" })
      expect((encoded as typeof invoked).trigger).not.toHaveProperty("event_trigger")
      expect(decoded.succeededAt).toEqual(Option.none())
    })

    it("reads the failure of a failed run", () => {
      const run = decode(failed)
      expect(run.status).toBe("failed")
      expect(run.isTerminal).toBe(true)
      expect(run.errorMessage).toEqual(Option.some("Step 2 failed: the payment intent was canceled"))
      expect(run.failedAt.pipe(Option.map(DateTime.formatIso))).toEqual(Option.some("2026-05-01T10:00:04.318Z"))
      expect(run.succeededAt).toEqual(Option.none())
    })

    it("reads the event of an event-triggered run", () => {
      const run = decode(eventTriggered)
      expect(run.trigger.type).toBe("event_trigger")
      const trigger = Option.getOrThrow(run.eventTrigger)
      expect(trigger.id).toBe("evt_test_65Rzzzz")
      expect(trigger.context).toBe("acct_1Nxxxx")
      expect(trigger.type).toBe("customer.created")
      expect(run.inputParameters).toEqual(Option.none())
      expect(run.succeededAt.pipe(Option.map(DateTime.formatIso))).toEqual(Option.some("2026-05-01T11:15:09.007Z"))
    })

    it("accepts an empty status_transitions", () => {
      const input = { ...invoked, status_transitions: {} }
      const { decoded, encoded } = roundTrip(WorkflowRun.WorkflowRun, input)
      expect(decoded.startedAt).toEqual(Option.none())
      expect(encoded).toStrictEqual(input)
    })

    it("round-trips a list page of runs", () => {
      const page = { data: [seed, invoked, failed, eventTriggered], next_page_url: null, previous_page_url: null }
      const { decoded, encoded } = roundTrip(RunListPage, page)
      expect(decoded.data.map((run) => run.status)).toEqual(["started", "started", "failed", "succeeded"])
      expect(encoded).toStrictEqual(page)
    })
  })

  describe("open enums", () => {
    it("keeps an unknown status", () => {
      const input = { ...invoked, status: "paused" }
      const { decoded, encoded } = roundTrip(WorkflowRun.WorkflowRun, input)
      assert.isTrue(OpenEnum.isUnknownValue(decoded.status))
      expect(decoded.status).toEqual(new OpenEnum.UnknownValue({ value: "paused" }))
      expect(decoded.isTerminal).toBe(false)
      expect(encoded).toStrictEqual(input)
    })

    it("keeps an unknown trigger type", () => {
      const input = { ...invoked, trigger: { type: "recurring_schedule", recurring_schedule: { every: "day" } } }
      const { decoded, encoded } = roundTrip(WorkflowRun.WorkflowRun, input)
      expect(decoded.trigger.type).toEqual(new OpenEnum.UnknownValue({ value: "recurring_schedule" }))
      // The trigger's own fields are modelled, so a branch this version does not know is dropped.
      expect(encoded).toStrictEqual({ ...input, trigger: { type: "recurring_schedule" } })
    })

    it("rejects a known status held as unknown", () => {
      const run = decode(invoked)
      const paused = WorkflowRun.WorkflowRun.make({ ...run, status: new OpenEnum.UnknownValue({ value: "paused" }) })
      expect(Either.isRight(Schema.encodeEither(WorkflowRun.WorkflowRun)(paused))).toBe(true)
      const known = new OpenEnum.UnknownValue({ value: "started" })
      expect(() => WorkflowRun.WorkflowRun.make({ ...run, status: known })).toThrow(/RunStatus/)
    })
  })

  describe("bad input", () => {
    it.each(["id", "object", "created", "status", "status_transitions", "trigger", "workflow", "livemode"])(
      "names the missing field %s",
      (key) => {
        const { message, paths } = decodeFailure(WorkflowRun.WorkflowRun, without(invoked, key))
        expect(paths).toContainEqual([key])
        expect(message).toContain(`["${key}"]`)
        expect(message).toContain("is missing")
      }
    )

    it("names a missing field of the manual trigger", () => {
      const input = { ...invoked, trigger: { type: "manual", manual: {} } }
      const { message, paths } = decodeFailure(WorkflowRun.WorkflowRun, input)
      expect(paths).toContainEqual(["trigger", "manual", "input_parameters"])
      expect(message).toContain(`["input_parameters"]`)
    })

    it("names a missing field of the event trigger", () => {
      const input = { ...eventTriggered, trigger: { type: "event_trigger", event_trigger: { id: "evt_1", type: "x" } } }
      const { paths } = decodeFailure(WorkflowRun.WorkflowRun, input)
      expect(paths).toContainEqual(["trigger", "event_trigger", "context"])
    })

    it.each([
      ["livemode", "false", ["livemode"]],
      ["created", 1_777_629_600, ["created"]],
      ["status", 1, ["status"]],
      ["workflow", null, ["workflow"]],
      ["status_transitions", null, ["status_transitions"]],
      ["status_details", "none", ["status_details"]],
      ["trigger", { type: "manual", manual: { input_parameters: ["pi_123"] } }, [
        "trigger",
        "manual",
        "input_parameters"
      ]]
    ])("names the field %s of the wrong type", (key, value, path) => {
      const { message, paths } = decodeFailure(WorkflowRun.WorkflowRun, { ...invoked, [key]: value })
      expect(paths).toContainEqual(path)
      expect(message).toContain(`["${path[path.length - 1]}"]`)
    })

    it("rejects an empty or oversized run id", () => {
      expect(decodeFailure(WorkflowRun.WorkflowRun, { ...invoked, id: "" }).message).toContain("must not be empty")
      expect(decodeFailure(WorkflowRun.WorkflowRun, { ...invoked, id: "r".repeat(256) }).paths).toContainEqual(["id"])
    })

    it("names an offset-less created time", () => {
      const { message, paths } = decodeFailure(WorkflowRun.WorkflowRun, { ...invoked, created: "2026-05-01T10:00:00" })
      expect(paths).toEqual([["created"]])
      expect(message).toContain(`["created"]`)
      expect(message).toContain(`got "2026-05-01T10:00:00"`)
    })

    it("names a malformed transition time", () => {
      const input = { ...invoked, status_transitions: { started_at: "May 1, 2026 10:00" } }
      const { message, paths } = decodeFailure(WorkflowRun.WorkflowRun, input)
      expect(paths).toContainEqual(["status_transitions", "started_at"])
      expect(message).toContain(`["status_transitions"]`)
      expect(message).toContain(`["started_at"]`)
      expect(message).toContain("Expected an RFC 3339 timestamp with Z or an offset")
    })

    it("names an offset-less failure time", () => {
      const input = {
        ...failed,
        status_transitions: { ...failed.status_transitions, failed_at: "2026-05-01T10:00:04" }
      }
      const { paths } = decodeFailure(WorkflowRun.WorkflowRun, input)
      expect(paths).toContainEqual(["status_transitions", "failed_at"])
    })

    it.each(["v2.core.workflow_run", "workflow_run", "v2.extend.workflow", "v2.core.workflow"])(
      "rejects the object tag %s",
      (tag) => {
        const { message, paths } = decodeFailure(WorkflowRun.WorkflowRun, { ...invoked, object: tag })
        expect(paths).toEqual([["object"]])
        expect(message).toContain(`["object"]`)
        expect(message).toContain(`Expected "v2.extend.workflow_run", actual "${tag}"`)
      }
    )

    it("rejects a value that is not an object", () => {
      const { paths } = decodeFailure(WorkflowRun.WorkflowRun, "wfrun_test_61Vzzzz")
      expect(paths).toEqual([[]])
    })
  })

  it.prop("round-trips any run through JSON", [WorkflowRun.WorkflowRun], ([run]) => {
    const encoded = Schema.encodeSync(WorkflowRun.WorkflowRun)(run)
    const wire = JSON.parse(JSON.stringify(encoded))
    const decoded = decode(wire)
    expect(Schema.encodeSync(WorkflowRun.WorkflowRun)(decoded)).toStrictEqual(wire)
    expect(decoded.id).toBe(run.id)
    expect(DateTime.Equivalence(decoded.created, run.created)).toBe(true)
    expect(decoded.startedAt.pipe(Option.map(DateTime.toEpochMillis))).toEqual(
      run.startedAt.pipe(Option.map(DateTime.toEpochMillis))
    )
    expect(decoded.status).toEqual(run.status)
  }, { fastCheck: { numRuns: 300 } })
})
