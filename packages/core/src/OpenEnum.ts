/**
 * Open enums: Stripe adds values to preview enums without notice, so a value this version does
 * not know decodes to {@link UnknownValue} instead of failing the whole response.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * A value of an open enum that this version of the library does not know. It never holds one of
 * the enum's known values.
 *
 * @since 0.1.0
 * @category models
 */
export class UnknownValue extends Data.TaggedClass("UnknownValue")<{ readonly value: string }> {}

/**
 * Tells whether a decoded open-enum value is unknown to this version.
 *
 * @since 0.1.0
 * @category guards
 */
export const isUnknownValue = (value: unknown): value is UnknownValue => Predicate.isTagged(value, "UnknownValue")

/**
 * An open enum over `literals`: a known value decodes to itself, any other string to an
 * {@link UnknownValue} holding it, and both encode back to the original string.
 *
 * @since 0.1.0
 * @category constructors
 */
export const OpenEnum = <const Literals extends ReadonlyArray<string>>(
  identifier: string,
  ...literals: Literals
): Schema.Schema<Literals[number] | UnknownValue, string> => {
  const known = new Set<string>(literals)
  const Unknown = Schema.declare(
    (input: unknown): input is UnknownValue => input instanceof UnknownValue && !known.has(input.value),
    {
      identifier: `Unknown${identifier}`,
      arbitrary: () => (fc) =>
        fc.string({ minLength: 1 }).filter((value) => !known.has(value)).map((value) => new UnknownValue({ value }))
    }
  )
  const unknownFromString = Schema.transformOrFail(Schema.String, Unknown, {
    strict: true,
    decode: (value, _, ast) =>
      known.has(value)
        ? ParseResult.fail(new ParseResult.Type(ast, value, `${JSON.stringify(value)} is a known ${identifier}`))
        : ParseResult.succeed(new UnknownValue({ value })),
    encode: (unknown) => ParseResult.succeed(unknown.value)
  })
  const Known = Schema.Literal(...(literals as unknown as readonly [string, ...Array<string>])) as Schema.Schema<
    Literals[number]
  >
  return Schema.Union(Known, unknownFromString).annotations({ identifier })
}
