import { describe, expect, it } from "@effect/vitest"
import { escapeJsonIfNeeded, unescapeJson } from "../src/internal/jsonText.js"

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

// Every key and string value in `value`.
const strings = (value: unknown): Array<string> => {
  if (typeof value === "string") return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => [key, ...strings(item)])
  }
  return []
}

describe("jsonText", () => {
  it("returns a clean value unchanged", () => {
    const value = { a: [1, "two", { b: null }], c: { d: true, "ünïcödé 😀": "fine" } }

    expect(escapeJsonIfNeeded(value)).toBe(value)
  })

  it.each([
    ["a nul in a nested value", { a: [{ b: "x\u0000y" }] }],
    ["a nul in a nested key", { a: { "k\u0000": 1 } }],
    ["a lone surrogate in an array", { a: ["ok", "\ud800"] }],
    ["a value that starts with the marker", { a: { b: "\uffffplain" } }]
  ])("escapes %s and restores it", (_, value) => {
    const escaped = escapeJsonIfNeeded(value)

    expect(escaped).not.toBe(value)
    for (const text of strings(escaped)) {
      expect(text.includes("\u0000"), text).toBe(false)
      expect(loneSurrogate.test(text), text).toBe(false)
    }
    expect(unescapeJson(escaped)).toEqual(value)
  })
})
