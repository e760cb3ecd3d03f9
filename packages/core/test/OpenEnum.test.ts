import { describe, expect, it } from "@effect/vitest"
import { OpenEnum } from "@workflow-runs/core"
import { Arbitrary, Either, FastCheck, Schema } from "effect"

const Color = OpenEnum.OpenEnum("Color", "red", "green")

describe("OpenEnum", () => {
  it("decodes a known value to itself", () => {
    expect(Schema.decodeUnknownSync(Color)("red")).toBe("red")
  })

  it("decodes any other string to an unknown value", () => {
    const decoded = Schema.decodeUnknownSync(Color)("blue")
    expect(OpenEnum.isUnknownValue(decoded)).toBe(true)
    expect(decoded).toEqual(new OpenEnum.UnknownValue({ value: "blue" }))
    expect(Schema.encodeSync(Color)(decoded)).toBe("blue")
  })

  it("rejects a value that is not a string", () => {
    expect(Either.isLeft(Schema.decodeUnknownEither(Color)(1))).toBe(true)
    expect(Either.isLeft(Schema.decodeUnknownEither(Color)(null))).toBe(true)
  })

  it("rejects encoding a known value held as unknown", () => {
    const result = Schema.encodeEither(Color)(new OpenEnum.UnknownValue({ value: "red" }))
    expect(Either.isLeft(result)).toBe(true)
  })

  it("tells unknown values from known ones", () => {
    expect(OpenEnum.isUnknownValue("red")).toBe(false)
    expect(OpenEnum.isUnknownValue({ value: "red" })).toBe(false)
    expect(OpenEnum.isUnknownValue(new OpenEnum.UnknownValue({ value: "x" }))).toBe(true)
  })

  it("generates unknown values that never hold a known one", () => {
    const values = FastCheck.sample(Arbitrary.make(Color), 500)
    const unknown = values.filter(OpenEnum.isUnknownValue)
    expect(unknown.length).toBeGreaterThan(0)
    expect(unknown.every((value) => value.value !== "red" && value.value !== "green")).toBe(true)
  })

  it.prop("round-trips any string", [Schema.String], ([value]) => {
    expect(Schema.encodeSync(Color)(Schema.decodeUnknownSync(Color)(value))).toBe(value)
  })
})
