import { describe, expect, it } from "@effect/vitest"
import { OpenEnum, Workflow } from "@workflow-runs/core"
import { DateTime, Option, Schema } from "effect"
import { decodeFailure, fixture, roundTrip, without } from "./support/decoding.js"

const WorkflowListPage = Schema.Struct({
  data: Schema.Array(Workflow.Workflow),
  next_page_url: Schema.NullOr(Schema.String),
  previous_page_url: Schema.NullOr(Schema.String)
})

const page = fixture("workflow-list-page.json") as { data: Array<Record<string, any>> }
const manual = page.data[0]!
const eventDriven = page.data[1]!

const decode = Schema.decodeUnknownSync(Workflow.Workflow)

describe("Workflow", () => {
  it("round-trips a list page exactly", () => {
    const { decoded, encoded } = roundTrip(WorkflowListPage, page)
    expect(decoded.data.map((workflow) => workflow.id)).toEqual(["wf_test_61Uxxxx", "wf_test_61Uyyyy"])
    expect(encoded).toStrictEqual(page)
  })

  it("decodes a manual workflow", () => {
    const workflow = decode(manual)
    expect(workflow.title).toBe("My on-demand workflow")
    expect(workflow.status).toBe("active")
    expect(DateTime.formatIso(workflow.created)).toBe("2026-05-01T09:00:00.000Z")
    expect(workflow.hasManualTrigger).toBe(true)
    expect(workflow.isInvokable).toBe(true)
    expect(workflow.eventType).toEqual(Option.none())
  })

  it("decodes an event-triggered workflow", () => {
    const workflow = decode(eventDriven)
    expect(workflow.triggers[0]?.type).toBe("event_trigger")
    expect(workflow.triggers[0]?.eventTrigger?.eventsFrom).toEqual(["@self"])
    expect(workflow.eventType).toEqual(Option.some("customer.created"))
    expect(workflow.hasManualTrigger).toBe(false)
    expect(workflow.isInvokable).toBe(false)
  })

  it("round-trips null trigger branches", () => {
    const input = { ...manual, triggers: [{ type: "manual", manual: {}, event_trigger: null }] }
    expect(roundTrip(Workflow.Workflow, input).encoded).toStrictEqual(input)
  })

  it.each(["archived", "draft", "inactive"])("is not invokable when %s", (status) => {
    const workflow = decode({ ...manual, status })
    expect(workflow.status).toBe(status)
    expect(workflow.isInvokable).toBe(false)
  })

  it("keeps an unknown workflow status", () => {
    const input = { ...manual, status: "paused" }
    const { decoded, encoded } = roundTrip(Workflow.Workflow, input)
    expect(decoded.status).toEqual(new OpenEnum.UnknownValue({ value: "paused" }))
    expect(decoded.isInvokable).toBe(false)
    expect(encoded).toStrictEqual(input)
  })

  it("keeps an unknown trigger type", () => {
    const input = { ...manual, triggers: [{ type: "recurring_schedule" }] }
    const { decoded, encoded } = roundTrip(Workflow.Workflow, input)
    expect(decoded.triggers[0]?.type).toEqual(new OpenEnum.UnknownValue({ value: "recurring_schedule" }))
    expect(decoded.hasManualTrigger).toBe(false)
    expect(encoded).toStrictEqual(input)
  })

  describe("bad input", () => {
    it.each(["id", "object", "created", "livemode", "status", "title", "triggers"])(
      "names the missing field %s",
      (key) => {
        const { message, paths } = decodeFailure(Workflow.Workflow, without(manual, key))
        expect(paths).toContainEqual([key])
        expect(message).toContain(`["${key}"]`)
        expect(message).toContain("is missing")
      }
    )

    it.each([
      ["title", 42, ["title"]],
      ["triggers", { type: "manual" }, ["triggers"]],
      ["triggers", [{ type: "event_trigger", event_trigger: { events_from: "@self", type: "x" } }], [
        "triggers",
        0,
        "event_trigger",
        "events_from"
      ]],
      ["created", "2026-05-01", ["created"]],
      ["created", "2026-05-01T09:00:00.000", ["created"]]
    ])("names the field %s of the wrong type", (key, value, path) => {
      const { message, paths } = decodeFailure(Workflow.Workflow, { ...manual, [key]: value })
      expect(paths).toContainEqual(path)
      expect(message).toContain(`[${JSON.stringify(path[path.length - 1])}]`)
    })

    it.each(["v2.core.workflow", "workflow", "v2.extend.workflow_run"])("rejects the object tag %s", (tag) => {
      const { message, paths } = decodeFailure(Workflow.Workflow, { ...manual, object: tag })
      expect(paths).toEqual([["object"]])
      expect(message).toContain(`Expected "v2.extend.workflow", actual "${tag}"`)
    })

    it("rejects the earlier v2.core shape", () => {
      // `2026-03-25.preview` served workflows at /v2/core/workflows with a description and a raw schema.
      const earlier = {
        id: "wf_test_61Uxxxx",
        object: "v2.core.workflow",
        created: "2026-03-24T16:57:16.660Z",
        livemode: false,
        status: "active",
        description: "My on-demand workflow",
        triggers: [{ type: "manual", manual: { raw_schema: "{}" } }]
      }
      const { paths } = decodeFailure(Workflow.Workflow, earlier)
      expect(paths).toContainEqual(["object"])
    })
  })

  it.prop("round-trips any workflow through JSON", [Workflow.Workflow], ([workflow]) => {
    const wire = JSON.parse(JSON.stringify(Schema.encodeSync(Workflow.Workflow)(workflow)))
    const decoded = decode(wire)
    expect(Schema.encodeSync(Workflow.Workflow)(decoded)).toStrictEqual(wire)
    expect(decoded.status).toEqual(workflow.status)
    expect(decoded.isInvokable).toBe(workflow.isInvokable)
  }, { fastCheck: { numRuns: 200 } })
})
