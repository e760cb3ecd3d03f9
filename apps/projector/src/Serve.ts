/**
 * `serve`: the webhook route, the audit API and the reconciler against `DATABASE_URL` (or an
 * embedded server in `.data/` when asked) and Stripe, until SIGTERM or SIGINT. Stopping closes
 * the listener, lets in-flight requests finish, stops the reconciler and closes the pool.
 *
 * @since 0.1.0
 */
import type * as PgClient from "@effect/sql-pg/PgClient"
import type { MigrationError } from "@effect/sql/Migrator"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Database, type EmbeddedDatabase, RecordingWorkflows } from "@workflow-runs/store"
import { Workflows } from "@workflow-runs/stripe"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AppConfig from "./AppConfig.js"
import * as HttpApp from "./HttpApp.js"
import * as Projector from "./Projector.js"
import * as Reconciler from "./Reconciler.js"

/**
 * The database layer of the CLI: `DATABASE_URL`, or with `embedded` a server whose data lives in
 * `.data/` of the working directory.
 *
 * @since 0.1.0
 * @category layers
 */
export const database = (embedded: boolean): Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient,
  | SqlError
  | MigrationError
  | EmbeddedDatabase.EmbeddedDatabaseError
  | Database.DatabaseConnectionError
  | ConfigError.ConfigError
> => embedded ? Database.layerEmbedded({ dataDirectory: ".data" }) : Database.layerConfig

/**
 * The running service: server and reconciler with their services.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: { readonly embedded: boolean }) =>
  Layer.unwrapEffect(Effect.map(
    // Read together, so one error lists every missing or invalid variable.
    Config.all([
      AppConfig.serve,
      Workflows.config,
      options.embedded ? Config.succeed(undefined) : Config.redacted("DATABASE_URL")
    ]),
    ([config, stripe, databaseUrl]) => {
      const reconciler = Layer.scopedDiscard(
        Effect.forkScoped(Reconciler.run({
          owner: config.instanceId,
          interval: config.reconcileInterval,
          staleAfter: config.reconcileStaleAfter
        }))
      )
      const server = HttpApp.layer({
        host: config.host,
        port: config.port,
        webhook: { secrets: config.webhookSecrets },
        auditToken: config.auditToken
      })
      const started = Layer.effectDiscard(
        Effect.flatMap(HttpApp.baseUrl, (url) =>
          Effect.logInfo("Serving").pipe(
            Effect.annotateLogs({ url, webhook: `${url}/webhooks/stripe`, instance_id: config.instanceId })
          ))
      )
      return Layer.mergeAll(started, reconciler).pipe(
        Layer.provideMerge(server),
        Layer.provideMerge(RecordingWorkflows.layer),
        Layer.provideMerge(Projector.services),
        Layer.provide(Workflows.layer(stripe)),
        Layer.provide(
          databaseUrl === undefined
            ? database(true)
            : Database.layer({ url: databaseUrl, applicationName: "workflow-runs serve" })
        )
      )
    }
  ))
