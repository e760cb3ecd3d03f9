import { describe, expect, it } from "@effect/vitest"
import { Timestamp } from "@workflow-runs/core"
import { DateTime, Either, Schema } from "effect"
import { decodeFailure } from "./support/decoding.js"

const decode = Schema.decodeUnknownSync(Timestamp.Timestamp)
const encode = Schema.encodeSync(Timestamp.Timestamp)

describe("Timestamp", () => {
  it("round-trips Stripe's form exactly", () => {
    expect(encode(decode("2026-04-08T14:33:27.076Z"))).toBe("2026-04-08T14:33:27.076Z")
  })

  it("keeps milliseconds", () => {
    expect(DateTime.toEpochMillis(decode("2026-04-08T14:33:27.076Z"))).toBe(Date.UTC(2026, 3, 8, 14, 33, 27, 76))
    expect(DateTime.toEpochMillis(decode("2026-04-08T14:33:27.001Z")) % 1000).toBe(1)
  })

  it.each([
    ["2026-04-08T16:33:27.076+02:00", "2026-04-08T14:33:27.076Z"],
    ["2026-04-08T09:03:27.076-05:30", "2026-04-08T14:33:27.076Z"],
    ["2026-04-08T14:33:27.076-00:00", "2026-04-08T14:33:27.076Z"],
    ["2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00.000Z"],
    ["2026-04-08T14:33:27Z", "2026-04-08T14:33:27.000Z"],
    ["2026-04-08T14:33:27.1Z", "2026-04-08T14:33:27.100Z"],
    ["2026-04-08T14:33:27.076999999Z", "2026-04-08T14:33:27.076Z"],
    ["2026-04-08t14:33:27.076z", "2026-04-08T14:33:27.076Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
    ["0004-02-29T00:00:00Z", "0004-02-29T00:00:00.000Z"],
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"],
    ["9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"]
  ])("decodes %s to the instant %s", (input, expected) => {
    expect(DateTime.formatIso(decode(input))).toBe(expected)
    expect(encode(decode(input))).toBe(expected)
  })

  it.each([
    "2026-04-08T14:33:27.076",
    "2026-04-08T14:33:27",
    "2026-04-08",
    "2026-04-08 14:33:27.076Z",
    "2026-04-08T14:33:27.076+0200",
    "2026-04-08T14:33:27.076+2:00",
    "2026-04-08T14:33:27.Z",
    "2026-04-08T24:00:00Z",
    "2026-13-01T00:00:00Z",
    "+012026-04-08T14:33:27.076Z",
    "1775658807076",
    "Wed, 08 Apr 2026 14:33:27 GMT",
    ""
  ])("rejects the malformed or offset-less %j", (input) => {
    const { message } = decodeFailure(Timestamp.Timestamp, input)
    expect(message).toContain("Expected an RFC 3339 timestamp with Z or an offset")
    expect(message).toContain(JSON.stringify(input))
  })

  it.each(["2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "1900-02-29T00:00:00Z"])(
    "rejects the impossible date %s",
    (input) => {
      expect(decodeFailure(Timestamp.Timestamp, input).message).toContain("Expected a date that exists in the calendar")
    }
  )

  it("rejects a leap second", () => {
    expect(decodeFailure(Timestamp.Timestamp, "2016-12-31T23:59:60Z").message).toContain("leap second")
  })

  it("rejects an instant past the year 9999 in UTC", () => {
    const { message } = decodeFailure(Timestamp.Timestamp, "9999-12-31T23:30:00-01:00")
    expect(message).toContain("between the years 0001 and 9999")
  })

  it.each(["0000-02-29T12:00:00Z", "0001-01-01T00:30:00+01:00"])(
    "rejects %s, before year 0001",
    (input) => {
      expect(decodeFailure(Timestamp.Timestamp, input).message).toContain("between the years 0001 and 9999")
    }
  )

  it("rejects a non-string", () => {
    expect(decodeFailure(Timestamp.Timestamp, 1_775_658_807_076).message).toContain("Expected string")
  })

  it("fails to encode an instant that RFC 3339 cannot write", () => {
    const farFuture = DateTime.unsafeMake(Date.UTC(10_000, 0, 1))
    expect(Either.isLeft(Schema.encodeEither(Timestamp.Timestamp)(farFuture))).toBe(true)
  })

  it("fails to encode year 0000", () => {
    const yearZero = DateTime.unsafeMake("0000-06-01T00:00:00.000Z")
    expect(Either.isLeft(Schema.encodeEither(Timestamp.Timestamp)(yearZero))).toBe(true)
  })

  it.prop("round-trips any generated instant", [Timestamp.Timestamp], ([instant]) => {
    const encoded = encode(instant)
    expect(encoded).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    expect(DateTime.toEpochMillis(decode(encoded))).toBe(DateTime.toEpochMillis(instant))
  })
})
