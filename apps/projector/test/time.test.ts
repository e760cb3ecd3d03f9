import { describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import { parseIsoTime } from "../src/internal/time.js"

const parsed = (text: string) => Option.map(parseIsoTime(text), DateTime.formatIso)

describe("parseIsoTime", () => {
  it("keeps whole milliseconds", () => {
    expect(parsed("2026-12-05T10:35:30.977Z")).toEqual(Option.some("2026-12-05T10:35:30.977Z"))
    expect(parsed("2026-12-05T10:35:30.977000Z")).toEqual(Option.some("2026-12-05T10:35:30.977Z"))
    expect(parsed("2026-12-05")).toEqual(Option.some("2026-12-05T00:00:00.000Z"))
  })

  it("rounds digits past milliseconds up", () => {
    // A run stored at .977 started before .977999 and before .9779.
    expect(parsed("2026-12-05T10:35:30.977999Z")).toEqual(Option.some("2026-12-05T10:35:30.978Z"))
    expect(parsed("2026-12-05T10:35:30.9779Z")).toEqual(Option.some("2026-12-05T10:35:30.978Z"))
    expect(parsed("2026-12-05T12:35:30.000000001+02:00")).toEqual(Option.some("2026-12-05T10:35:30.001Z"))
  })

  it("stops rounding at the last millisecond of 9999", () => {
    expect(parsed("9999-12-31T23:59:59.9999Z")).toEqual(Option.some("9999-12-31T23:59:59.999Z"))
  })
})
