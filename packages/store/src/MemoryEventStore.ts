/**
 * An in-memory {@link EventStore.EventStore} for unit tests: the same outcomes, conflicts and
 * hash chain as the PostgreSQL store, without a database. Each append is atomic; the feed's
 * transaction id is the event's position.
 *
 * @since 0.1.0
 */
import type { Ids, RunEvent } from "@workflow-runs/core"
import canonicalize from "canonicalize"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as EventStore from "./EventStore.js"
import * as HashChain from "./HashChain.js"
import {
  checkDistinctIds,
  checkInvocationAppend,
  checkRunAppend,
  digestsOf,
  withExpectedVersion
} from "./internal/append.js"
import * as Codec from "./internal/codec.js"
import { feedFrom } from "./internal/feed.js"
import { escapeJson, unescapeJson } from "./internal/jsonText.js"
import type * as Invocation from "./Invocation.js"
import { EventIdConflict, StreamVersionConflict } from "./StoreError.js"

interface StoredForm {
  readonly event: EventStore.StoredEvent
  /** The escaped data, compared as content. */
  readonly escaped: Record<string, unknown>
  readonly hash: Uint8Array
}

interface State {
  readonly log: ReadonlyArray<StoredForm>
  readonly streams: ReadonlyMap<string, ReadonlyArray<StoredForm>>
  /** Inbox rows written with run appends, keyed by event id. Nothing reads them back. */
  readonly inbox: ReadonlyMap<string, EventStore.InboxRow>
}

const sameContent = (stored: StoredForm, event: Codec.EncodedEvent): boolean =>
  stored.event.type === event.type &&
  stored.event.occurredAt.epochMillis === new Date(event.occurredAt).getTime() &&
  canonicalize(stored.escaped) === canonicalize(event.data)

const positionOf = (stored: StoredForm): EventStore.EventPosition => ({
  eventId: stored.event.eventId,
  version: stored.event.version,
  position: stored.event.position
})

/**
 * Builds an empty in-memory store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<EventStore.Service> = Effect.gen(function*() {
  const state = yield* Ref.make<State>({ log: [], streams: new Map(), inbox: new Map() })

  const appendExact = (
    stream: string,
    expected: number,
    events: ReadonlyArray<Codec.EncodedEvent>,
    metadata: Record<string, unknown>,
    inboxRow: EventStore.InboxRow | undefined,
    now: DateTime.Utc
  ) =>
    Ref.modify(state, (current): readonly [
      Effect.Effect<EventStore.AppendResult, StreamVersionConflict | EventIdConflict>,
      State
    ] => {
      const stored = current.streams.get(stream) ?? []
      const byId = new Map(stored.map((form) => [form.event.eventId, form]))
      const existing = events.map((event) => byId.get(event.eventId))
      const different = events.filter((event, index) =>
        existing[index] !== undefined && !sameContent(existing[index]!, event)
      )
      if (different.length === 0 && existing.every((form) => form !== undefined)) {
        return [
          Effect.succeed(new EventStore.Duplicate({ stream, events: existing.map((form) => positionOf(form!)) })),
          current
        ]
      }
      if (different.length > 0) {
        return [
          Effect.fail(
            new EventIdConflict({
              stream,
              eventIds: different.map((event) => event.eventId),
              reason: "they are stored with a different type, data or occurrence time"
            })
          ),
          current
        ]
      }
      let k = 0
      while (k < events.length && existing[k] !== undefined && existing[k]!.event.version === expected + k + 1) k++
      if (existing.slice(k).some((form) => form !== undefined)) {
        if (stored.length !== expected + k) {
          return [Effect.fail(new StreamVersionConflict({ stream, expected, actual: stored.length })), current]
        }
        return [
          Effect.fail(
            new EventIdConflict({
              stream,
              eventIds: events.map((event) => event.eventId),
              reason:
                "some events of the batch are stored, but they are not its leading events at the expected versions"
            })
          ),
          current
        ]
      }
      if (stored.length !== expected + k) {
        return [Effect.fail(new StreamVersionConflict({ stream, expected, actual: stored.length })), current]
      }
      const digests = digestsOf(stream, expected, events, metadata)
      let previous = stored.length === 0 ? HashChain.genesis : stored[stored.length - 1]!.hash
      const appended: Array<StoredForm> = []
      events.slice(k).forEach((event, index) => {
        const hash = HashChain.chain(previous, Buffer.from(digests[k + index]!, "hex"))
        previous = hash
        const position = BigInt(current.log.length + appended.length + 1)
        appended.push({
          escaped: event.data,
          hash,
          event: {
            position,
            txId: position,
            stream,
            version: expected + k + index + 1,
            eventId: event.eventId,
            type: event.type,
            data: unescapeJson(event.data) as Record<string, unknown>,
            metadata: unescapeJson(metadata) as Record<string, unknown>,
            occurredAt: DateTime.unsafeMake(event.occurredAt),
            recordedAt: now,
            hash: HashChain.toHex(hash)
          }
        })
      })
      const streams = new Map(current.streams)
      streams.set(stream, [...stored, ...appended])
      let inbox = current.inbox
      if (inboxRow !== undefined && !inbox.has(inboxRow.eventId)) {
        inbox = new Map(inbox).set(inboxRow.eventId, {
          ...inboxRow,
          detail: { ...inboxRow.detail, appended: appended.length }
        })
      }
      return [
        Effect.succeed(
          new EventStore.Appended({
            stream,
            version: expected + events.length,
            events: appended.map(positionOf),
            duplicates: existing.slice(0, k).map((form) => positionOf(form!))
          })
        ),
        { log: [...current.log, ...appended], streams, inbox }
      ]
    }).pipe(Effect.flatten)

  const append = (
    stream: string,
    expected: EventStore.ExpectedVersion,
    events: ReadonlyArray<Codec.EncodedEvent>,
    metadata: EventStore.Metadata | undefined,
    inbox?: EventStore.InboxRow
  ) =>
    Effect.gen(function*() {
      const now = yield* DateTime.now
      const escaped = escapeJson(metadata ?? {}) as Record<string, unknown>
      const version = Effect.map(Ref.get(state), (current) => current.streams.get(stream)?.length ?? 0)
      if (events.length === 0) {
        return new EventStore.Appended({ stream, version: yield* version, events: [], duplicates: [] })
      }
      yield* checkDistinctIds(stream, events)
      return yield* withExpectedVersion(expected, version, (exact) =>
        appendExact(stream, exact, events, escaped, inbox, now))
    })

  const readStream = (stream: string) =>
    Effect.map(Ref.get(state), (current) => (current.streams.get(stream) ?? []).map((form) => form.event))

  const readFeed = (after: EventStore.Checkpoint, limit: number) =>
    Effect.map(Ref.get(state), (current) =>
      current.log
        .filter((form) => form.event.position > after.position)
        .slice(0, limit)
        .map((form) => form.event))

  const toIso = (event: EventStore.StoredEvent) => ({
    ...event,
    occurredAt: new Date(event.occurredAt.epochMillis).toISOString()
  })

  return {
    appendRun: (runId: Ids.WorkflowRunId, expected, events: ReadonlyArray<RunEvent.RunEvent>, metadata, options) => {
      const stream = EventStore.runStream(runId)
      const invalid = checkRunAppend(runId, expected, events)
      return invalid !== undefined
        ? Effect.fail(invalid)
        : append(stream, expected, events.map(Codec.encodeRun), metadata, options?.inbox)
    },
    appendInvocation: (key: Invocation.IdempotencyKey, expected, events, metadata) => {
      const stream = EventStore.invocationStream(key)
      const invalid = checkInvocationAppend(key, expected, events)
      return invalid !== undefined
        ? Effect.fail(invalid)
        : append(stream, expected, events.map(Codec.encodeInvocation), metadata)
    },
    readRun: (runId) =>
      Effect.map(readStream(EventStore.runStream(runId)), (stored) => ({
        version: stored.length,
        events: stored.map((event) => Codec.decodeRun(runId, toIso(event)))
      })),
    readInvocation: (key) =>
      Effect.map(readStream(EventStore.invocationStream(key)), (stored) => ({
        version: stored.length,
        events: stored.map((event) => Codec.decodeInvocation(key, toIso(event)))
      })),
    readStream,
    readFeed,
    feed: (options) => feedFrom(readFeed, options)
  }
})

/**
 * A fresh in-memory store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<EventStore.EventStore> = Layer.effect(EventStore.EventStore, make)
