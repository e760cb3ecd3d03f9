/**
 * The projector assembled: the HTTP server with its writer, inbox and event store over the SQL
 * client and the Stripe `Workflows` service the caller provides.
 *
 * @since 0.1.0
 */
import { PgEventStore, RunLog } from "@workflow-runs/store"
import * as Layer from "effect/Layer"
import * as HttpApp from "./HttpApp.js"
import * as Inbox from "./Inbox.js"
import * as RunProjector from "./RunProjector.js"

/**
 * The services the projector's routes and reconciler use, over the SQL client.
 *
 * @since 0.1.0
 * @category layers
 */
export const services = RunProjector.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(PgEventStore.layer, RunLog.layer, Inbox.layer))
)

/**
 * The HTTP server and its services. Requires the SQL client and `Workflows`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: HttpApp.Options) => HttpApp.layer(options).pipe(Layer.provideMerge(services))
