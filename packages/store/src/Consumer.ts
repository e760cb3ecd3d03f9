/**
 * Consumers of the global feed: each applies a batch and advances its checkpoint in one
 * transaction, with a compare-and-set on the checkpoint and a lease in the checkpoint row
 * (`projection_checkpoints`), so several instances can run one consumer and only the lease
 * holder's batches commit. A batch whose checkpoint update loses is rolled back entirely.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as EventStore from "./EventStore.js"
import { storeError } from "./PgEventStore.js"
import type { StoreError } from "./StoreError.js"

/**
 * Another instance holds the consumer's lease.
 *
 * @since 0.1.0
 * @category errors
 */
export class LeaseHeld extends Schema.TaggedError<LeaseHeld>("@workflow-runs/store/LeaseHeld")("LeaseHeld", {
  name: Schema.String,
  holder: Schema.String
}) {
  override get message(): string {
    return `Consumer ${this.name} is leased by ${this.holder}; wait for its lease to expire or stop it`
  }
}

/**
 * The checkpoint moved or the lease passed to another instance while this one applied a batch;
 * the batch was rolled back.
 *
 * @since 0.1.0
 * @category errors
 */
export class LeaseLost extends Schema.TaggedError<LeaseLost>("@workflow-runs/store/LeaseLost")("LeaseLost", {
  name: Schema.String,
  owner: Schema.String
}) {
  override get message(): string {
    return `Consumer ${this.name} lost its lease or checkpoint while ${this.owner} applied a batch; the batch was rolled back`
  }
}

/**
 * Options of a consumer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The checkpoint row's name. */
  readonly name: string
  /** This instance's id, stored as the lease owner. */
  readonly owner: string
  /** How long a lease lasts without renewal; default 30 seconds. */
  readonly lease?: Duration.DurationInput | undefined
  /** Events per batch; default 500. */
  readonly batchSize?: number | undefined
  /** The wait before polling again when caught up; default 100 ms. */
  readonly pollInterval?: Duration.DurationInput | undefined
}

/**
 * Applies one batch of events inside the consumer's transaction.
 *
 * @since 0.1.0
 * @category models
 */
export type Handler<E, R> = (events: ReadonlyArray<EventStore.StoredEvent>) => Effect.Effect<void, E, R>

const leaseSeconds = (options: Options) => Duration.toSeconds(options.lease ?? "30 seconds")

/**
 * Takes the consumer's lease, creating its checkpoint row at the start of the feed if needed,
 * and returns the stored checkpoint.
 *
 * @since 0.1.0
 * @category consumers
 */
export const acquire = Effect.fn("Consumer.acquire")(function*(options: Options) {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe("insert into projection_checkpoints (name) values ($1) on conflict (name) do nothing", [
    options.name
  ]).pipe(Effect.mapError(storeError("create the checkpoint")))
  const rows = yield* sql.unsafe<{ tx_id: bigint; position: bigint }>(
    `update projection_checkpoints
     set owner = $2, lease_until = clock_timestamp() + make_interval(secs => $3), updated_at = clock_timestamp()
     where name = $1 and (owner is null or owner = $2 or lease_until < clock_timestamp())
     returning tx_id, position`,
    [options.name, options.owner, leaseSeconds(options)]
  ).pipe(Effect.mapError(storeError("take the lease")))
  const row = rows[0]
  if (row === undefined) {
    const holder = yield* sql.unsafe<{ owner: string | null }>(
      "select owner from projection_checkpoints where name = $1",
      [options.name]
    ).pipe(Effect.mapError(storeError("read the lease")))
    return yield* new LeaseHeld({ name: options.name, holder: holder[0]?.owner ?? "unknown" })
  }
  return { txId: BigInt(row.tx_id), position: BigInt(row.position) } satisfies EventStore.Checkpoint
})

/**
 * Reads the next batch after `checkpoint` and applies it with `handle` in one transaction that
 * also advances the checkpoint and renews the lease. Returns the new checkpoint and the number
 * of events applied (0 when caught up; the lease is renewed all the same).
 *
 * @since 0.1.0
 * @category consumers
 */
export const step = <E, R>(options: Options, checkpoint: EventStore.Checkpoint, handle: Handler<E, R>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const store = yield* EventStore.EventStore
    const events = yield* store.readFeed(checkpoint, options.batchSize ?? 500)
    const last = events[events.length - 1]
    const next = last === undefined ? checkpoint : EventStore.checkpointOf(last)
    yield* sql.withTransaction(
      Effect.gen(function*() {
        if (events.length > 0) yield* handle(events)
        const updated = yield* sql.unsafe(
          `update projection_checkpoints
           set tx_id = $4::text::xid8, position = $5, lease_until = clock_timestamp() + make_interval(secs => $6),
               updated_at = clock_timestamp()
           where name = $1 and owner = $2 and tx_id = $3::text::xid8 and position = $7
             and lease_until >= clock_timestamp()
           returning name`,
          [
            options.name,
            options.owner,
            checkpoint.txId.toString(),
            next.txId.toString(),
            next.position.toString(),
            leaseSeconds(options),
            checkpoint.position.toString()
          ]
        ).pipe(Effect.mapError(storeError("advance the checkpoint")))
        if (updated.length === 0) return yield* new LeaseLost({ name: options.name, owner: options.owner })
      })
    ).pipe(
      Effect.catchIf(
        (error): error is SqlError => error instanceof SqlError,
        (error) => Effect.fail(storeError("apply a batch")(error))
      )
    )
    return { checkpoint: next, applied: events.length }
  }).pipe(Effect.withSpan("Consumer.step", { attributes: { consumer: options.name } }))

/**
 * Takes the lease and applies batches until the feed is caught up. Returns the final checkpoint.
 *
 * @since 0.1.0
 * @category consumers
 */
export const catchUp = <E, R>(
  options: Options,
  handle: Handler<E, R>
): Effect.Effect<
  EventStore.Checkpoint,
  E | StoreError | LeaseHeld | LeaseLost,
  R | SqlClient.SqlClient | EventStore.EventStore
> =>
  Effect.gen(function*() {
    let checkpoint = yield* acquire(options)
    while (true) {
      const result = yield* step(options, checkpoint, handle)
      checkpoint = result.checkpoint
      if (result.applied < (options.batchSize ?? 500)) return checkpoint
    }
  })

/**
 * Runs a consumer forever: takes the lease, applies batches as they become readable, and polls
 * when caught up.
 *
 * @since 0.1.0
 * @category consumers
 */
export const run = <E, R>(
  options: Options,
  handle: Handler<E, R>
): Effect.Effect<never, E | StoreError | LeaseHeld | LeaseLost, R | SqlClient.SqlClient | EventStore.EventStore> =>
  Effect.gen(function*() {
    let checkpoint = yield* acquire(options)
    while (true) {
      const result = yield* step(options, checkpoint, handle)
      checkpoint = result.checkpoint
      if (result.applied < (options.batchSize ?? 500)) yield* Effect.sleep(options.pollInterval ?? "100 millis")
    }
  })

/**
 * Releases the lease, so another instance can take over at once.
 *
 * @since 0.1.0
 * @category consumers
 */
export const release = Effect.fn("Consumer.release")(function*(options: Options) {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(
    "update projection_checkpoints set owner = null, lease_until = null where name = $1 and owner = $2",
    [options.name, options.owner]
  ).pipe(Effect.mapError(storeError("release the lease")))
})
