import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

// A calendar date, optionally with a time of day. A time needs `Z` or an offset, because
// JavaScript reads a time without one in the server's time zone.
const isoTime = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.(\d{1,9}))?)?(?:Z|[+-]\d{2}:\d{2}))?$/i

// JavaScript rolls a day past the end of its month over, reading 2026-02-30 as March 2.
const isCalendarDate = (year: number, month: number, day: number) => {
  const date = new Date(0)
  // setUTCFullYear, unlike Date.UTC, does not read the years 0 to 99 as 1900 to 1999.
  date.setUTCFullYear(year, month - 1, day)
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/**
 * Parses an ISO 8601 date (`2026-05-01`, midnight UTC) or date-time with `Z` or an offset. The
 * time must fall in the years 0001 to 9999 in UTC, because PostgreSQL rejects the far ends of
 * JavaScript's date range.
 */
export const parseIsoTime = (text: string): Option.Option<DateTime.Utc> => {
  const parts = isoTime.exec(text)
  if (parts === null || !isCalendarDate(Number(parts[1]), Number(parts[2]), Number(parts[3]))) return Option.none()
  const inRange = Option.filter(Option.map(DateTime.make(text), DateTime.toUtc), (time) => {
    const year = DateTime.getPartUtc(time, "year")
    return year >= 1 && year <= 9999
  })
  // JavaScript keeps milliseconds and drops the digits after them. The log stores whole
  // milliseconds, so a time with more digits is rounded up to the next millisecond. A stored
  // time is then at or after the rounded time exactly when it is at or after the given one.
  const beyondMillis = /[1-9]/.test(parts[4]?.slice(3) ?? "")
  return beyondMillis ? Option.map(inRange, (time) => roundUpToMillis(time)) : inRange
}

// The time `text` gives, in nanoseconds since the epoch, with the digits after the millisecond
// that `parseIsoTime` rounds away, so that two bounds within one millisecond still compare.
const exactNanos = (text: string): bigint => {
  const fraction = isoTime.exec(text)?.[4] ?? ""
  return BigInt(Date.parse(text)) * 1_000_000n + BigInt(fraction.slice(3).padEnd(6, "0"))
}

const lastMillisecond = DateTime.unsafeMake("9999-12-31T23:59:59.999Z")

// The next millisecond, but no later than the last one of the year 9999.
const roundUpToMillis = (time: DateTime.Utc): DateTime.Utc => {
  const next = DateTime.add(time, { millis: 1 })
  return DateTime.lessThan(next, lastMillisecond) ? next : lastMillisecond
}

/**
 * A time range whose start is after its end, which no run can fall in.
 */
export class TimeRangeReversed extends Schema.TaggedError<TimeRangeReversed>(
  "@workflow-runs/projector/TimeRangeReversed"
)("TimeRangeReversed", { from: Schema.String, to: Schema.String, message: Schema.String }) {}

/**
 * Fails with {@link TimeRangeReversed} when both ends are given and `from` is after `to`. The
 * message names both values as given, each after `prefix` and its name (`--` on the command line,
 * nothing in a query string).
 */
export const checkTimeRange = (
  range: {
    readonly from: { readonly text: string; readonly time: DateTime.Utc } | undefined
    readonly to: { readonly text: string; readonly time: DateTime.Utc } | undefined
  },
  prefix: string
): Effect.Effect<void, TimeRangeReversed> => {
  const { from, to } = range
  if (from === undefined || to === undefined || !(exactNanos(from.text) > exactNanos(to.text))) return Effect.void
  return Effect.fail(
    new TimeRangeReversed({
      from: from.text,
      to: to.text,
      message: `${prefix}from ${JSON.stringify(from.text)} is after ${prefix}to ${
        JSON.stringify(to.text)
      }, so no run can match: give the earlier time as ${prefix}from`
    })
  )
}
