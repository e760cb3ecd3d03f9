import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"

/** Converts a value to plain JSON: `bigint` to a string, `DateTime` to ISO 8601, `Option` to the value or null. */
export const toJson = (value: unknown): unknown => {
  if (typeof value === "bigint") return value.toString()
  if (DateTime.isDateTime(value)) return DateTime.formatIso(value)
  if (Option.isOption(value)) return Option.isSome(value) ? toJson(value.value) : null
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex")
  if (Array.isArray(value)) return value.map(toJson)
  if (typeof value === "object" && value !== null) {
    const result: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) result[key] = toJson(item)
    return result
  }
  return value
}
