import { describe, expect, it } from "@effect/vitest"
import { decodeAppendEvent } from "../src/internal/appendOne.js"

describe("decodeAppendEvent", () => {
  it("reads each outcome code", () => {
    expect(decodeAppendEvent({ result: [1n, 9007199254740993n, 2n, 2n] })).toEqual({
      outcome: "appended",
      event_position: 9007199254740993n,
      event_version: 2,
      head_version: 2
    })
    expect(decodeAppendEvent({ result: [4n, null, null, null] })).toEqual({
      outcome: "conflict",
      event_position: null,
      event_version: null,
      head_version: null
    })
    expect(decodeAppendEvent({ result: [5n, null, null, null] }).outcome).toBe("not_first_write")
  })

  it("rejects an unknown outcome code", () => {
    expect(() => decodeAppendEvent({ result: [6n, null, null, null] })).toThrow(
      "The append function returned the unknown outcome code 6"
    )
  })
})
