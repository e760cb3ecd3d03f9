import { describe, expect, it } from "@effect/vitest"
import { decodeAppendEvent } from "../src/internal/appendOne.js"

describe("decodeAppendEvent", () => {
  it("reads each outcome code", () => {
    expect(decodeAppendEvent([1n, 9007199254740993n, 2n, 2n])).toEqual({
      outcome: "appended",
      event_position: 9007199254740993n,
      event_version: 2,
      head_version: 2
    })
    expect(decodeAppendEvent([4n, null, null, null])).toEqual({
      outcome: "conflict",
      event_position: null,
      event_version: null,
      head_version: null
    })
    expect(decodeAppendEvent([5n, null, null, null]).outcome).toBe("not_first_write")
  })

  it("reads the text the server sends", () => {
    expect(decodeAppendEvent("{1,9007199254740993,2,2}")).toEqual({
      outcome: "appended",
      event_position: 9007199254740993n,
      event_version: 2,
      head_version: 2
    })
    expect(decodeAppendEvent("{4,NULL,NULL,3}")).toEqual({
      outcome: "conflict",
      event_position: null,
      event_version: null,
      head_version: 3
    })
    expect(() => decodeAppendEvent("(1,2)")).toThrow(
      "The append function returned \"(1,2)\", not an array of integers"
    )
    expect(() => decodeAppendEvent("{}")).toThrow("not an array of integers")
  })

  it("rejects an unknown outcome code", () => {
    expect(() => decodeAppendEvent([6n, null, null, null])).toThrow(
      "The append function returned the unknown outcome code 6"
    )
  })
})
