/**
 * `serve`: the webhook route, the audit API and the reconciler against `DATABASE_URL` (or an
 * embedded server in `.data/` when asked) and Stripe, until SIGTERM or SIGINT. Stopping closes
 * the listener, lets in-flight requests finish, stops the reconciler and closes the pool.
 *
 * @since 0.1.0
 */
import * as HttpServerError from "@effect/platform/HttpServerError"
import type * as PgClient from "@effect/sql-pg/PgClient"
import type { MigrationError } from "@effect/sql/Migrator"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Database, type EmbeddedDatabase, RecordingWorkflows } from "@workflow-runs/store"
import { Workflows } from "@workflow-runs/stripe"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as AppConfig from "./AppConfig.js"
import * as HttpApp from "./HttpApp.js"
import * as Metrics from "./Metrics.js"
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
  | Database.InvalidDatabaseOptions
  | ConfigError.ConfigError
> => embedded ? Database.layerEmbedded({ dataDirectory: ".data" }) : Database.layerConfig

/**
 * The variables that `serve` reads, together, so one error lists every missing or invalid one.
 *
 * @since 0.1.0
 * @category config
 */
export const settings = (options: { readonly embedded: boolean }) =>
  Config.all([
    AppConfig.serve,
    Workflows.config,
    options.embedded ? Config.succeed(undefined) : Database.urlConfig
  ])

const layerFrom = (
  [config, stripe, databaseUrl]: Config.Config.Success<ReturnType<typeof settings>>
) => {
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
    Layer.provide(Workflows.layer(stripe).pipe(Layer.provide(Metrics.stripeObserver))),
    Layer.provide(
      databaseUrl === undefined
        ? database(true)
        : Database.layer({ url: databaseUrl, applicationName: "workflow-runs serve" })
    )
  )
}

/**
 * The running service: server and reconciler with their services.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: { readonly embedded: boolean }) =>
  Layer.unwrapEffect(Effect.map(settings(options), layerFrom))

/**
 * In-flight work did not finish within the shutdown timeout, so `serve` stopped waiting for it.
 *
 * @since 0.1.0
 * @category errors
 */
export class ShutdownTimedOut extends Schema.TaggedError<ShutdownTimedOut>(
  "@workflow-runs/projector/ShutdownTimedOut"
)("ShutdownTimedOut", { timeout: Schema.String, message: Schema.String }) {}

/**
 * The server could not listen on `HOST` and `PORT`, such as when another process uses the port.
 *
 * @since 0.1.0
 * @category errors
 */
export class ListenFailed extends Schema.TaggedError<ListenFailed>("@workflow-runs/projector/ListenFailed")(
  "ListenFailed",
  { address: Schema.String, message: Schema.String }
) {}

const listenFailed = (host: string, port: number, cause: unknown) => {
  const address = `${host}:${port}`
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined
  const reason = code === "EADDRINUSE"
    ? "another process uses this address"
    : cause instanceof Error
    ? cause.message
    : String(cause)
  return new ListenFailed({
    address,
    message: `Could not listen on ${address}: ${reason}; set PORT or HOST to a free address`
  })
}

/**
 * Runs the service until interrupted (the CLI's runtime interrupts it on SIGTERM or SIGINT), then
 * closes it: the listener first, then in-flight requests, the reconciler, the pool and an embedded
 * server. When that takes longer than `shutdownTimeout` (default `SHUTDOWN_TIMEOUT`), it logs that
 * it gave up and fails with {@link ShutdownTimedOut}, for which the CLI exits with status 1.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (options: {
  readonly embedded: boolean
  readonly shutdownTimeout?: Duration.Duration | undefined
}) =>
  Effect.gen(function*() {
    const values = yield* settings(options)
    const timeout = options.shutdownTimeout ?? values[0].shutdownTimeout
    return yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const served = yield* Effect.exit(restore(
          Layer.buildWithScope(layerFrom(values), scope).pipe(
            Effect.catchIf(
              (error) => error instanceof HttpServerError.ServeError,
              (error) => Effect.fail(listenFailed(values[0].host, values[0].port, error.cause))
            ),
            Effect.zipRight(Effect.never)
          )
        ))
        if (Exit.isInterrupted(served)) {
          yield* Effect.logInfo("Shutting down").pipe(Effect.annotateLogs({ timeout: Duration.format(timeout) }))
        }
        // The scope closes in a fiber of its own, and only the wait for it is interruptible, so
        // the timeout does not wait for finalizers that cannot be interrupted, such as a server
        // waiting for its open connections.
        const closing = yield* Effect.forkDaemon(Scope.close(scope, served))
        const closed = yield* Effect.interruptible(Fiber.await(closing)).pipe(Effect.timeoutOption(timeout))
        if (Option.isNone(closed)) {
          const message = `In-flight work did not finish within the shutdown timeout of ${
            Duration.format(timeout)
          }; gave up waiting for it (set SHUTDOWN_TIMEOUT or --shutdown-timeout to wait longer)`
          yield* Effect.logError(message)
          return yield* new ShutdownTimedOut({ timeout: Duration.format(timeout), message })
        }
        // The service runs until interrupted, so any other exit is a start that failed. The CLI
        // reports that error, and nothing had started that could stop.
        if (Exit.isInterrupted(served)) yield* Effect.logInfo("Stopped")
        return yield* served
      })
    )
  })
