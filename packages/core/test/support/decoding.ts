import { assert } from "@effect/vitest"
import { Either, ParseResult, Schema } from "effect"
import { readFileSync } from "node:fs"

/**
 * Reads a JSON fixture of `test/fixtures` as parsed JSON, the way a response body arrives.
 */
export const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8"))

/**
 * Decodes `input`, encodes the result and returns both, so a test can compare the JSON it got
 * back with the JSON it sent.
 */
export const roundTrip = <A, I>(schema: Schema.Schema<A, I>, input: unknown) => {
  const decoded = Schema.decodeUnknownSync(schema)(input)
  const encoded = Schema.encodeSync(schema)(decoded)
  return { decoded, encoded: JSON.parse(JSON.stringify(encoded)) as unknown }
}

/**
 * Decodes `input`, which must fail, and returns the ParseError with the path of each issue as
 * the array formatter reports it.
 */
export const decodeFailure = <A, I>(schema: Schema.Schema<A, I>, input: unknown) => {
  const result = Schema.decodeUnknownEither(schema)(input)
  if (Either.isRight(result)) assert.fail(`expected decoding to fail, got ${JSON.stringify(result.right)}`)
  const error = result.left
  assert.isTrue(ParseResult.isParseError(error))
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  return { error, message: error.message, paths: issues.map((issue) => issue.path) }
}

/**
 * Returns a copy of `value` without `key`, to build inputs with a missing field.
 */
export const without = (value: object, key: string): Record<string, unknown> => {
  const copy: Record<string, unknown> = { ...value }
  delete copy[key]
  return copy
}
