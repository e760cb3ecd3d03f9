/**
 * Stripe's timestamps: RFC 3339 strings such as `2026-04-08T14:33:27.076Z`, decoded to
 * `DateTime.Utc`.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

// `DateTime.unsafeMake` also accepts strings without an offset and reads them in the local time
// zone, so the shape is checked first: a date, `T`, a time with optional fraction, and `Z` or an
// offset.
const rfc3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/

/**
 * An RFC 3339 timestamp with `Z` or a numeric offset, decoded to `DateTime.Utc` with
 * millisecond precision (digits past the milliseconds are dropped). Encoding writes the
 * ISO 8601 form in UTC with milliseconds, which is the form Stripe sends.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Timestamp: Schema.Schema<DateTime.Utc, string> = Schema.transformOrFail(
  Schema.String.annotations({ description: "an RFC 3339 timestamp with Z or an offset" }),
  Schema.DateTimeUtcFromSelf,
  {
    strict: true,
    decode: (value, _, ast) => {
      if (!rfc3339.test(value)) {
        return ParseResult.fail(
          new ParseResult.Type(
            ast,
            value,
            `Expected an RFC 3339 timestamp with Z or an offset, such as "2026-04-08T14:33:27.076Z", got ${
              JSON.stringify(value)
            }`
          )
        )
      }
      const [year, month, day] = value.slice(0, 10).split("-").map(Number) as [number, number, number]
      if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) {
        return ParseResult.fail(
          new ParseResult.Type(ast, value, `Expected a valid calendar date, got ${JSON.stringify(value)}`)
        )
      }
      const parsed = DateTime.make(value)
      return parsed._tag === "Some"
        ? ParseResult.succeed(DateTime.toUtc(parsed.value))
        : ParseResult.fail(
          new ParseResult.Type(ast, value, `Expected a valid calendar date, got ${JSON.stringify(value)}`)
        )
    },
    encode: (dateTime) => ParseResult.succeed(DateTime.formatIso(dateTime))
  }
).annotations({ identifier: "Timestamp" })
