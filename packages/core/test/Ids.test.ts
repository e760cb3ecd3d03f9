import { describe, expect, it } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import { Either, Schema } from "effect"
import { uuidV5 } from "../src/internal/uuid.js"

describe("Ids", () => {
  it("computes the RFC 9562 version 5 vector", () => {
    // The DNS namespace and "www.example.com" give this UUID in every conforming implementation.
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2"
    )
  })

  it("derives the same event id from the same name", () => {
    expect(Ids.eventIdFor("wfrun_1:started")).toBe(Ids.eventIdFor("wfrun_1:started"))
    expect(Ids.eventIdFor("wfrun_1:started")).not.toBe(Ids.eventIdFor("wfrun_1:failed"))
  })

  it.each([
    ["", "must not be empty"],
    ["wf/1", "must not contain"],
    ["wf\n1", "must not contain"],
    ["w".repeat(256), "at most 255"],
    [".", "must not be \".\" or \"..\""],
    ["..", "must not be \".\" or \"..\""]
  ])("rejects the workflow id %j", (value, expected) => {
    const result = Schema.decodeUnknownEither(Ids.WorkflowId)(value)
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) expect(result.left.message).toContain(expected)
  })

  it("accepts test and live ids alike", () => {
    expect(Schema.decodeUnknownSync(Ids.WorkflowId)("wf_test_61UNwDso5RkJhsXt116TT0rUFzSQLefl99yAJBArIFXc")).toBe(
      "wf_test_61UNwDso5RkJhsXt116TT0rUFzSQLefl99yAJBArIFXc"
    )
    expect(Schema.decodeUnknownSync(Ids.WorkflowId)("wf_61UNwDso")).toBe("wf_61UNwDso")
  })
})
