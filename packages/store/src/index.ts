/**
 * @since 0.1.0
 */

/**
 * Consumers of the global feed: batch and checkpoint in one transaction, under a lease.
 *
 * @since 0.1.0
 */
export * as Consumer from "./Consumer.js"

/**
 * PostgreSQL clients for the store: `DATABASE_URL` or an embedded server, with migrations.
 *
 * @since 0.1.0
 */
export * as Database from "./Database.js"

/**
 * An embedded PostgreSQL server started and stopped with a scope.
 *
 * @since 0.1.0
 */
export * as EmbeddedDatabase from "./EmbeddedDatabase.js"

/**
 * The event store service: appends, stream reads and the gap-safe global feed.
 *
 * @since 0.1.0
 */
export * as EventStore from "./EventStore.js"

/**
 * The per-stream hash chain and the anchors an auditor keeps.
 *
 * @since 0.1.0
 */
export * as HashChain from "./HashChain.js"

/**
 * Invocation-attempt events, one stream per idempotency key.
 *
 * @since 0.1.0
 */
export * as Invocation from "./Invocation.js"

/**
 * An in-memory event store for unit tests.
 *
 * @since 0.1.0
 */
export * as MemoryEventStore from "./MemoryEventStore.js"

/**
 * The store's schema and its serialized migration run.
 *
 * @since 0.1.0
 */
export * as Migrations from "./Migrations.js"

/**
 * The PostgreSQL event store.
 *
 * @since 0.1.0
 */
export * as PgEventStore from "./PgEventStore.js"

/**
 * The errors of recording invocations.
 *
 * @since 0.1.0
 */
export * as RecordingError from "./RecordingError.js"

/**
 * The Workflows API with every invocation recorded in the log, and retries of recorded attempts.
 *
 * @since 0.1.0
 */
export * as RecordingWorkflows from "./RecordingWorkflows.js"

/**
 * Rebuilding the runs projection into a new table and swapping it in.
 *
 * @since 0.1.0
 */
export * as Rebuild from "./Rebuild.js"

/**
 * Re-sequencing a log restored from a logical dump.
 *
 * @since 0.1.0
 */
export * as Resequence from "./Resequence.js"

/**
 * Audit queries and verification.
 *
 * @since 0.1.0
 */
export * as RunLog from "./RunLog.js"

/**
 * The store's errors.
 *
 * @since 0.1.0
 */
export * as StoreError from "./StoreError.js"

/**
 * The result of verifying the hash chains.
 *
 * @since 0.1.0
 */
export * as Verification from "./Verification.js"
