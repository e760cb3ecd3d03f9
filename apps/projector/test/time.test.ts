import { describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { checkTimeRange, parseIsoTime } from "../src/internal/time.js"

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

  it("caps rounding at year 9999", () => {
    expect(parsed("9999-12-31T23:59:59.9999Z")).toEqual(Option.some("9999-12-31T23:59:59.999Z"))
  })
})

describe("checkTimeRange", () => {
  const bound = (text: string) => ({ text, time: Option.getOrThrow(parseIsoTime(text)) })
  const check = (from: string, to: string) =>
    Effect.runSync(Effect.either(checkTimeRange({ from: bound(from), to: bound(to) }, "--")))

  it("rejects a reversed sub-millisecond range", () => {
    // Both ends round up to .510, but the range still runs backwards.
    const reversed = check("2026-12-05T11:01:36.509999Z", "2026-12-05T11:01:36.509001Z")
    expect(reversed._tag).toBe("Left")
    expect(reversed._tag === "Left" ? reversed.left.message : "").toBe(
      "--from \"2026-12-05T11:01:36.509999Z\" is after --to \"2026-12-05T11:01:36.509001Z\", so no run can match: give the earlier time as --from"
    )
  })

  it("accepts a forward sub-millisecond range", () => {
    expect(check("2026-12-05T11:01:36.509001Z", "2026-12-05T11:01:36.509999Z")._tag).toBe("Right")
    expect(check("2026-12-05T11:01:36.509Z", "2026-12-05T11:01:36.509000Z")._tag).toBe("Right")
  })
})
