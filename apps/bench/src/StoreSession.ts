/**
 * The store's services over one loaded log, on a runtime that lives until `close`: the event
 * store and the audit queries, through the store's public layers.
 */
import { Database, type EventStore, PgEventStore, RunLog } from "@workflow-runs/store"
import { type Effect, Layer, ManagedRuntime, Redacted } from "effect"

/** Services a session provides. */
export type Services = EventStore.EventStore | RunLog.RunLog | Layer.Layer.Success<ReturnType<typeof Database.layer>>

/** A runtime of the store's services over one log's schema. */
export interface StoreSession {
  readonly run: <A, E>(effect: Effect.Effect<A, E, Services>) => Promise<A>
  readonly close: () => Promise<void>
}

/**
 * Opens the store on the schema that `schemaUrl` selects, with a pool of `maxConnections`.
 * Building the layer runs the store's migrations, which finds nothing left to apply on a log
 * from `StoreLog.load`.
 */
export const open = async (schemaUrl: string, maxConnections = 2): Promise<StoreSession> => {
  const layer = Layer.mergeAll(PgEventStore.layer, RunLog.layer).pipe(
    Layer.provideMerge(Database.layer({ url: Redacted.make(schemaUrl), maxConnections }))
  )
  const runtime = ManagedRuntime.make(layer)
  // Connection and migration failures surface here, not inside the first measured call.
  await runtime.runtime().catch(async (error: unknown) => {
    await runtime.dispose()
    throw error
  })
  return {
    run: (effect) => runtime.runPromise(effect),
    close: () => runtime.dispose()
  }
}
