/**
 * The webhook inbox (`webhook_inbox`): every notification the projector recorded, keyed by
 * Stripe's event id, with its raw body kept byte-exact as evidence and what became of it.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { Database } from "@workflow-runs/store"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * The outcome of a notification in the projector.
 *
 * - `appended`: it appended the transitions the run's snapshot implied.
 * - `already_recorded`: the log already held every transition the snapshot implied.
 * - `incomplete`: a terminal snapshot without its `*_at`; recorded as far as it goes.
 * - `contradiction`: the snapshot contradicts the log; nothing appended, kept for audit.
 * - `unknown_type`: an event type the projector does not model, kept for audit.
 * - `run_not_found`: Stripe returned 404 for the run. Kept for audit, and the reconciler records the
 *   run once Stripe lists it.
 *
 * @since 0.1.0
 * @category models
 */
export const Outcome = Schema.Literal(
  "appended",
  "already_recorded",
  "incomplete",
  "contradiction",
  "unknown_type",
  "run_not_found"
)

/**
 * @since 0.1.0
 * @category models
 */
export type Outcome = typeof Outcome.Type

/**
 * A row of the inbox.
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry {
  readonly eventId: string
  readonly rawBody: string
  readonly outcome: Outcome
  readonly runId: string | null
  readonly detail: Readonly<Record<string, unknown>> | null
}

/**
 * The result of the first read of a notification.
 *
 * @since 0.1.0
 * @category models
 */
export interface Screened {
  /** Whether the inbox contains the event id. */
  readonly known: boolean
  /** Whether the attempt's stream starts with `InvocationRequested`, so the attempt may need settling. */
  readonly attemptRequested: boolean
  /** Whether the run's stream has no events yet. */
  readonly runStreamEmpty: boolean
}

/**
 * The inbox's queries.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Checks whether the inbox contains the event id (a plain SELECT, outside any transaction). */
  readonly has: (eventId: string) => Effect.Effect<boolean, SqlError>
  /**
   * Checks in one plain SELECT, outside any transaction, whether the inbox contains the event id,
   * whether the invocation stream given (`EventStore.invocationStream`) has a recorded request,
   * and whether the run stream given (`EventStore.runStream`) is empty.
   */
  readonly screen: (
    eventId: string,
    streams: { readonly attempt: string | null; readonly run: string | null }
  ) => Effect.Effect<Screened, SqlError>
  /** Inserts a row; a row already there for the event id is kept. */
  readonly insert: (entry: Entry) => Effect.Effect<void, SqlError>
  /** The stored row of an event id. */
  readonly find: (eventId: string) => Effect.Effect<Option.Option<Entry>, SqlError>
}

/**
 * The inbox service.
 *
 * @since 0.1.0
 * @category tags
 */
export class Inbox extends Context.Tag("@workflow-runs/projector/Inbox")<Inbox, Service>() {}

const Row = Schema.Struct({
  event_id: Schema.String,
  raw_body: Schema.String,
  outcome: Outcome,
  run_id: Schema.NullOr(Schema.String),
  detail: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})

/**
 * Builds the inbox over the SQL client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const prepared = yield* Database.makePrepared

  const findRow = SqlSchema.findOne({
    Request: Schema.String,
    Result: Row,
    execute: (eventId) =>
      sql`select event_id, raw_body, outcome, run_id, detail from webhook_inbox where event_id = ${eventId}`
  })

  const has = (eventId: string) =>
    sql<{ one: number }>`select 1 as one from webhook_inbox where event_id = ${eventId}`.pipe(
      Effect.map((rows) => rows.length > 0)
    )

  // The request is always the first event of an attempt's stream, and a stream with events has
  // one at version 1, so the primary key finds both. It runs on every notification, so it is
  // prepared once per connection.
  const screenStatement: Database.PreparedStatement = {
    name: "projector_screen_notification",
    text: `select
        exists (select 1 from webhook_inbox where event_id = $1::text) as known,
        exists (select 1 from run_events
                where stream_id = $2::text and version = 1 and type = 'InvocationRequested')
          as attempt_requested,
        not exists (select 1 from run_events where stream_id = $3::text and version = 1)
          as run_stream_empty`
  }

  const screen = (eventId: string, streams: { readonly attempt: string | null; readonly run: string | null }) =>
    prepared<{ known: boolean; attempt_requested: boolean; run_stream_empty: boolean }>(screenStatement, [
      eventId,
      streams.attempt,
      streams.run
    ]).pipe(
      Effect.map(([row]): Screened => ({
        known: row?.known === true,
        attemptRequested: row?.attempt_requested === true,
        runStreamEmpty: streams.run !== null && row?.run_stream_empty === true
      }))
    )

  const insert = (entry: Entry) =>
    sql`insert into webhook_inbox (event_id, raw_body, outcome, run_id, detail)
        values (${entry.eventId}, ${entry.rawBody}, ${entry.outcome}, ${entry.runId},
                ${entry.detail === null ? null : JSON.stringify(entry.detail)}::jsonb)
        on conflict (event_id) do nothing`.pipe(Effect.asVoid)

  const find = (eventId: string) =>
    findRow(eventId).pipe(
      Effect.map(Option.map((row): Entry => ({
        eventId: row.event_id,
        rawBody: row.raw_body,
        outcome: row.outcome,
        runId: row.run_id,
        detail: row.detail
      }))),
      Effect.catchTag("ParseError", Effect.die)
    )

  return Inbox.of({ has, screen, insert, find })
})

/**
 * The inbox over the SQL client in the context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Inbox, never, SqlClient.SqlClient> = Layer.effect(Inbox, make)
