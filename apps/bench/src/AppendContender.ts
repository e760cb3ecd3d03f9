/**
 * The interface an event store implements to be measured by the append benchmark.
 *
 * A contender opens its own connection pool of `poolSize` connections in `setup`, so every
 * contender runs with the same pool size, and returns a session whose `append` is the call
 * being measured. The harness builds the workload (two one-event appends per run, or one
 * two-event append) from `append`, so a new contender only maps `append` onto its API.
 */

/** One event to append, shaped like a run-transition event. */
export interface AppendEvent {
  /** Deterministic id of the event (a UUID). */
  readonly eventId: string
  /** Event type, for example `RunStarted`. */
  readonly type: string
  /** The event's payload, stored as JSON. */
  readonly data: Readonly<Record<string, unknown>>
  /** Metadata stored beside the payload: source notification, correlation, actor. */
  readonly metadata: Readonly<Record<string, unknown>>
  /** When the transition happened. */
  readonly occurredAt: Date
}

/** Input of a contender's `setup`. */
export interface ContenderContext {
  /**
   * Connection URL whose connections use the contender's own, empty schema as `search_path`;
   * it may hold a password, so never print it.
   */
  readonly url: string
  /** The contender's schema, already created and dropped by the harness afterwards. */
  readonly schema: string
  /** Connections the contender's pool must open at most; the same for every contender. */
  readonly poolSize: number
}

/** A contender ready to append. */
export interface AppendSession {
  /**
   * Appends `events` to `stream`, which must be at `expectedVersion` (the number of events it
   * holds, 0 for a new stream), and rejects when the store reports a conflict.
   */
  readonly append: (stream: string, expectedVersion: number, events: ReadonlyArray<AppendEvent>) => Promise<void>
  /** Closes the contender's pool. */
  readonly teardown: () => Promise<void>
}

/**
 * A contender's part in the report's comparisons: the `subject` (this project's store) is
 * compared with the `peer` (another event store) and the `baseline` (the driver alone). A
 * `variant` is the store with a change to its schema, compared with them in the same way.
 */
export type ContenderRole = "subject" | "peer" | "baseline" | "variant"

/** An event store measured by the append benchmark. */
export interface AppendContender {
  /** Short name used in tables, for example `Emmett 0.42.0`. */
  readonly name: string
  /** The contender's part in the comparisons; at most one contender per role, except `variant`. */
  readonly role: ContenderRole
  /** The work of one `append` call on the server: statements, round trips, transaction. */
  readonly mechanism: string
  /** The guarantees the contender states or enforces, written next to its figures. */
  readonly guarantees: ReadonlyArray<string>
  /** Creates the contender's tables in `context.schema` and opens its pool. */
  readonly setup: (context: ContenderContext) => Promise<AppendSession>
}
