import { type Ids, type RunEvent, Timestamp } from "@workflow-runs/core"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import { type EventPosition, type ExpectedVersion, invocationStream, runStream } from "../EventStore.js"
import * as HashChain from "../HashChain.js"
import type * as Invocation from "../Invocation.js"
import { EventIdConflict, InvalidAppend, StreamVersionConflict } from "../StoreError.js"
import type { EncodedEvent } from "./codec.js"

/** The most attempts of an append that expects `"any"` version. */
export const anyVersionAttempts = 5

/** Computes the digest of one event at `version`. */
export const digestOf = (
  stream: string,
  version: number,
  event: EncodedEvent,
  metadata: Record<string, unknown>
): Uint8Array =>
  HashChain.digest({
    stream,
    version,
    eventId: event.eventId,
    type: event.type,
    data: event.data,
    metadata,
    occurredAt: event.occurredAt
  })

/** Computes the hex digest of each event, at the versions following `expected`. */
export const digestsOf = (
  stream: string,
  expected: number,
  events: ReadonlyArray<EncodedEvent>,
  metadata: Record<string, unknown>
): ReadonlyArray<string> =>
  events.map((event, index) => HashChain.toHex(digestOf(stream, expected + index + 1, event, metadata)))

/**
 * Runs `attempt` with an exact expected version: the given one, or for `"any"` the current
 * version read before each try, retrying a lost compare-and-set.
 */
export const withExpectedVersion = <A, E, R, E2, R2>(
  expected: ExpectedVersion,
  currentVersion: Effect.Effect<number, E2, R2>,
  attempt: (expected: number) => Effect.Effect<A, E | StreamVersionConflict, R>
): Effect.Effect<A, E | E2 | StreamVersionConflict, R | R2> => {
  if (expected !== "any") return attempt(expected)
  const loop = (remaining: number): Effect.Effect<A, E | E2 | StreamVersionConflict, R | R2> =>
    Effect.flatMap(currentVersion, (version) =>
      Effect.catchIf(
        attempt(version),
        (error): error is StreamVersionConflict => remaining > 1 && error instanceof StreamVersionConflict,
        () => loop(remaining - 1)
      ))
  return loop(anyVersionAttempts)
}

/** Fails when the batch names one event id twice, which no stream can store. */
export const checkDistinctIds = (
  stream: string,
  events: ReadonlyArray<EncodedEvent>
): Effect.Effect<void, EventIdConflict> => {
  const seen = new Set<string>()
  const repeated = events.filter((event) => (seen.has(event.eventId) ? true : (seen.add(event.eventId), false)))
  return repeated.length === 0 ? Effect.void : Effect.fail(
    new EventIdConflict({
      stream,
      eventIds: repeated.map((event) => event.eventId),
      reason: "the batch contains these ids more than once"
    })
  )
}

/** Pairs ids with versions and positions. */
export const positionsOf = (
  eventIds: ReadonlyArray<string>,
  versions: ReadonlyArray<number>,
  positions: ReadonlyArray<bigint>
): ReadonlyArray<EventPosition> =>
  eventIds.map((eventId, index) => ({ eventId, version: versions[index]!, position: positions[index]! }))

/**
 * Checks an append's arguments: `expected` must be `"any"` or a stream version (a safe integer
 * of 0 or more), and every event must belong to the stream (`owner` returns the other stream of
 * an event that does not). Every event's time must be in the years 0001 to 9999 in UTC, which
 * the log can store. An event built in code without validation can carry any time. Returns the
 * error, or `undefined` when the arguments are valid.
 */
const checkAppend = <Event extends { readonly eventId: string; readonly occurredAt: DateTime.Utc }>(
  stream: string,
  expected: ExpectedVersion,
  events: ReadonlyArray<Event>,
  owner: (event: Event) => string | undefined
): InvalidAppend | undefined => {
  if (expected !== "any" && !(Number.isSafeInteger(expected) && expected >= 0)) {
    return new InvalidAppend({
      stream,
      reason: `expected version ${
        String(expected)
      } is not a stream version; pass the number of events the stream holds (an integer of 0 or more) or "any"`
    })
  }
  for (const event of events) {
    const other = owner(event)
    if (other !== undefined) {
      return new InvalidAppend({
        stream,
        reason: `event ${event.eventId} belongs to stream ${other}; append it to that stream`
      })
    }
    if (!Timestamp.isInRange(event.occurredAt)) {
      return new InvalidAppend({
        stream,
        reason: `event ${event.eventId} occurred at ${
          DateTime.formatIso(event.occurredAt)
        }, outside the years 0001 to 9999 in UTC that the log stores; give it a time in that range`
      })
    }
  }
  return undefined
}

/** Checks a run append's arguments as {@link checkAppend} does. */
export const checkRunAppend = (
  runId: Ids.WorkflowRunId,
  expected: ExpectedVersion,
  events: ReadonlyArray<RunEvent.RunEvent>
): InvalidAppend | undefined =>
  checkAppend(runStream(runId), expected, events, (event) => event.runId === runId ? undefined : runStream(event.runId))

/** Checks an invocation append's arguments as {@link checkAppend} does. */
export const checkInvocationAppend = (
  key: Invocation.IdempotencyKey,
  expected: ExpectedVersion,
  events: ReadonlyArray<Invocation.InvocationEvent>
): InvalidAppend | undefined =>
  checkAppend(
    invocationStream(key),
    expected,
    events,
    (event) => event.idempotencyKey === key ? undefined : invocationStream(event.idempotencyKey)
  )
