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
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/

// RFC 3339 writes years with four digits, so later instants have no timestamp. PostgreSQL
// rejects the year 0000 (its calendar goes from 1 BC to AD 1), so the range starts at 0001.
const earliest = new Date("0001-01-01T00:00:00.000Z")
const latest = new Date("9999-12-31T23:59:59.999Z")

const isCalendarDate = (year: number, month: number, day: number): boolean => {
  // `Date.UTC` maps the years 0 to 99 to 1900 to 1999, so the year is set separately.
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  return date.getUTCDate() === day
}

/**
 * Whether {@link Timestamp} can encode `dateTime`: an instant in the years 0001 to 9999 in UTC.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isInRange = (dateTime: DateTime.Utc): boolean =>
  dateTime.epochMillis >= earliest.getTime() && dateTime.epochMillis <= latest.getTime()

/**
 * An RFC 3339 timestamp with `Z` or a numeric offset, decoded to `DateTime.Utc` with
 * millisecond precision (digits past the milliseconds are dropped). Encoding writes the
 * ISO 8601 form in UTC with milliseconds, which is the form Stripe sends. Leap seconds (`:60`)
 * and instants outside the years 0001 to 9999 in UTC are rejected.
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
      const fail = (message: string) =>
        ParseResult.fail(new ParseResult.Type(ast, value, `${message}, got ${JSON.stringify(value)}`))
      const parts = rfc3339.exec(value)
      if (parts === null) {
        return fail(`Expected an RFC 3339 timestamp with Z or an offset, such as "2026-04-08T14:33:27.076Z"`)
      }
      if (!isCalendarDate(Number(parts[1]), Number(parts[2]), Number(parts[3]))) {
        return fail("Expected a date that exists in the calendar")
      }
      if (parts[5] === "60") {
        return fail("Expected a timestamp without a leap second")
      }
      // RFC 3339 allows a lowercase `t` and `z`, which `Date` does not parse.
      const parsed = DateTime.make(value.toUpperCase())
      if (parsed._tag === "None") {
        return fail("Expected a valid date and time")
      }
      const utc = DateTime.toUtc(parsed.value)
      return isInRange(utc) ? ParseResult.succeed(utc) : fail("Expected a time between the years 0001 and 9999 in UTC")
    },
    encode: (dateTime, _, ast) =>
      isInRange(dateTime)
        ? ParseResult.succeed(DateTime.formatIso(dateTime))
        : ParseResult.fail(
          new ParseResult.Type(ast, dateTime, "Expected a time between the years 0001 and 9999 in UTC to encode")
        )
  }
).annotations({
  identifier: "Timestamp",
  arbitrary: () => (fc) =>
    fc.date({ min: earliest, max: latest, noInvalidDate: true }).map((date) => DateTime.unsafeFromDate(date))
})
