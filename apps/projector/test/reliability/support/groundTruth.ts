import * as SqlClient from "@effect/sql/SqlClient"
import { Ids, RunState } from "@workflow-runs/core"
import type { Simulator } from "@workflow-runs/simulator"
import { EventStore, RunLog } from "@workflow-runs/store"
import { DateTime, Effect, Either, Layer, type Redacted } from "effect"
import { postgresVersion } from "./figures.js"
import { checkServices } from "./stack.js"

/** How the run events in the log compare with the runs the simulator holds. */
export interface Comparison {
  /** Runs the simulator started. */
  readonly runs: number
  /** Runs the simulator holds that are still `started`. */
  readonly runsStarted: number
  /** Thin events the simulator published. */
  readonly notificationsPublished: number
  /** Published event ids the webhook inbox holds. */
  readonly notificationsInInbox: number
  /** Transitions the simulator's runs imply. */
  readonly eventsExpected: number
  /** Run events in the log. */
  readonly eventsFound: number
  /** Expected events the log lacks, as `stream@version type`. */
  readonly missing: ReadonlyArray<string>
  /** Events in the log that differ from or go beyond the expected ones. */
  readonly unexpected: ReadonlyArray<string>
}

interface EventRow {
  readonly stream_id: string
  readonly version: string
  readonly event_id: string
  readonly type: string
  readonly occurred_at: Date
}

const describeEvent = (stream: string, version: number, type: string, eventId: string, occurredAt: number) =>
  `${stream}@${version} ${type} ${eventId} ${new Date(occurredAt).toISOString()}`

/**
 * Compares every run stream in the log with the transitions the simulator's runs imply: the same
 * streams, and in each the same event ids, types and times in the same order. The simulator is
 * the ground truth, so a run the log lacks, an event too many and an event with another time all
 * show up.
 */
export const compareWithSimulator = (simulator: Simulator.Service) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const published = yield* simulator.events()
    const runIds = [...new Set(published.map((event) => (event.related_object as { readonly id: string }).id))]

    const expected = new Map<string, Array<string>>()
    let runsStarted = 0
    for (const runId of runIds) {
      const run = yield* Effect.orDie(simulator.retrieveRun(runId))
      if (run.status === "started") runsStarted++
      const events = yield* Either.match(RunState.transitionsFrom(RunState.initial, run), {
        onLeft: (error) => Effect.die(error),
        onRight: Effect.succeed
      })
      const stream = EventStore.runStream(Ids.WorkflowRunId.make(runId))
      expected.set(
        stream,
        events.map((event, index) =>
          describeEvent(stream, index + 1, event._tag, event.eventId, DateTime.toEpochMillis(event.occurredAt))
        )
      )
    }

    const rows = yield* sql<EventRow>`
      select stream_id, version::text as version, event_id::text as event_id, type, occurred_at
      from run_events where stream_id like 'run/%' order by stream_id, version`
    const found = new Map<string, Array<string>>()
    for (const row of rows) {
      const list = found.get(row.stream_id) ?? []
      list.push(describeEvent(row.stream_id, Number(row.version), row.type, row.event_id, row.occurred_at.getTime()))
      found.set(row.stream_id, list)
    }

    const missing: Array<string> = []
    const unexpected: Array<string> = []
    for (const [stream, events] of expected) {
      const stored = new Set(found.get(stream) ?? [])
      for (const event of events) if (!stored.has(event)) missing.push(event)
    }
    for (const [stream, events] of found) {
      const wanted = new Set(expected.get(stream) ?? [])
      for (const event of events) if (!wanted.has(event)) unexpected.push(event)
    }

    const inbox = yield* sql<{ event_id: string }>`select event_id from webhook_inbox`
    const inboxIds = new Set(inbox.map((row) => row.event_id))
    return {
      runs: runIds.length,
      runsStarted,
      notificationsPublished: published.length,
      notificationsInInbox: published.filter((event) => inboxIds.has(event.id as string)).length,
      eventsExpected: [...expected.values()].reduce((total, events) => total + events.length, 0),
      eventsFound: rows.length,
      missing,
      unexpected
    } satisfies Comparison
  })

/** Whether the log holds exactly the expected events and every run has finished. */
export const isExact = (comparison: Comparison) =>
  comparison.runsStarted === 0 && comparison.missing.length === 0 && comparison.unexpected.length === 0

/**
 * Polls {@link compareWithSimulator} until `done` holds, and returns the last comparison either
 * way, so the test's assertions show what differed when the deadline passed.
 */
export const awaitComparison = (
  simulator: Simulator.Service,
  done: (comparison: Comparison) => boolean,
  timeoutMs: number
) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const comparison = yield* compareWithSimulator(simulator)
      if (done(comparison) || Date.now() > deadline) return comparison
      yield* Effect.sleep("250 millis")
    }
  })

/** Runs `verify` over the whole log and returns whether every chain holds, with its counts. */
export const verifyLog = Effect.gen(function*() {
  const log = yield* RunLog.RunLog
  const report = yield* log.verify()
  return { ok: report.ok, streams: report.streams, events: report.events, broken: report.broken.length }
})

/** The run events in the log per writer (`metadata.source`: webhook, reconciler, invoke), as `source count` pairs. */
export const eventsBySource = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ source: string; events: string }>`
    select coalesce(metadata->>'source', 'none') as source, count(*)::text as events
    from run_events where stream_id like 'run/%' group by 1 order by 1`
  return rows.map((row) => `${row.source} ${row.events}`).join(", ")
})

/** Whether the log is exact and the inbox holds every published notification. */
export const isComplete = (comparison: Comparison) =>
  isExact(comparison) && comparison.notificationsInInbox === comparison.notificationsPublished

/**
 * Waits, through a pool of the test's own, until `done` holds for the log (by default
 * {@link isComplete}), then verifies it. Returns the comparison, the verification, the time it
 * settled, the checks' context and the figures every scenario reports about the log.
 */
export const settle = (
  simulator: Simulator.Service,
  databaseUrl: Redacted.Redacted<string>,
  options: { readonly timeoutMs: number; readonly done?: (comparison: Comparison) => boolean }
) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(checkServices(databaseUrl))
    const comparison = yield* awaitComparison(simulator, options.done ?? isComplete, options.timeoutMs).pipe(
      Effect.provide(context)
    )
    const settledAt = Date.now()
    const verified = yield* verifyLog.pipe(Effect.provide(context))
    const figures = {
      notificationsPublished: comparison.notificationsPublished,
      notificationsInInbox: comparison.notificationsInInbox,
      eventsBySource: yield* eventsBySource.pipe(Effect.provide(context)),
      eventsExpected: comparison.eventsExpected,
      eventsFound: comparison.eventsFound,
      missing: comparison.missing.length,
      unexpected: comparison.unexpected.length,
      verifyOk: verified.ok,
      postgres: yield* postgresVersion.pipe(Effect.provide(context))
    }
    return { comparison, verified, settledAt, context, figures }
  })
