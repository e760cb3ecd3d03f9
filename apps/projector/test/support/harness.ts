import * as HttpServer from "@effect/platform/HttpServer"
import type * as SqlClient from "@effect/sql/SqlClient"
import * as SqlClientTag from "@effect/sql/SqlClient"
import type { Ids } from "@workflow-runs/core"
import { HttpApp, Metrics, Projector } from "@workflow-runs/projector"
import { Simulator } from "@workflow-runs/simulator"
import { Database, EmbeddedDatabase, EventStore, Invocation, RecordingWorkflows, RunLog } from "@workflow-runs/store"
import { Workflows } from "@workflow-runs/stripe"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { randomBytes } from "node:crypto"
import { createServer } from "node:net"

/**
 * A database of the caller's own: with DATABASE_URL, a fresh database on that server, dropped
 * afterwards, because other packages' tests tamper with their log on purpose and `verify` would
 * report it. Without DATABASE_URL, an embedded server for the scope's lifetime.
 */
export const testDatabaseUrl: Effect.Effect<Redacted.Redacted<string>, unknown, Scope.Scope> = Effect
  .gen(function*() {
    const url = process.env.DATABASE_URL
    if (url === undefined || url.trim() === "") return (yield* EmbeddedDatabase.start()).url
    const admin = yield* Layer.build(Database.layerClient({ url: Redacted.make(url), maxConnections: 1 }))
    const sql = Context.get(admin, SqlClientTag.SqlClient)
    const name = `projector_test_${randomBytes(8).toString("hex")}`
    yield* sql.unsafe(`create database ${name}`)
    yield* Effect.addFinalizer(() => Effect.ignore(sql.unsafe(`drop database if exists ${name} with (force)`)))
    const target = new URL(url)
    target.pathname = `/${name}`
    return Redacted.make(target.toString())
  })

/** The test file's database (see {@link testDatabaseUrl}), migrated. */
export const database = Layer.unwrapScoped(
  Effect.map(testDatabaseUrl, (url) => Database.layer({ url, maxConnections: 24 }))
)

/** The audit API token of test projectors. */
export const auditToken = Redacted.make("test-audit-token")

/** A fresh endpoint secret. */
export const newSecret = () => `whsec_test_${randomBytes(16).toString("hex")}`

/** The Workflows service against a simulator. */
export const workflowsFor = (simulator: Simulator.Service) =>
  Workflows.layer({
    apiKey: Redacted.make(simulator.apiKey),
    apiBase: simulator.url,
    maxRetries: 1,
    retryBaseDelay: "20 millis"
  }).pipe(Layer.provide(Metrics.stripeObserver))

/** The recording layer over the Workflows service against a simulator; needs the EventStore. */
export const recordingFor = (simulator: Simulator.Service) =>
  RecordingWorkflows.layer.pipe(Layer.provideMerge(workflowsFor(simulator)))

/** Starts a projector instance on 127.0.0.1 in the current scope and returns its base URL. */
export const startProjector = (
  simulator: Simulator.Service,
  secrets: ReadonlyArray<string>,
  options: { readonly auditToken?: Redacted.Redacted<string> } = {}
): Effect.Effect<string, unknown, Scope.Scope | SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const [first, ...rest] = secrets.map((secret) => Redacted.make(secret))
    const layer = Projector.layer({
      host: "127.0.0.1",
      port: 0,
      webhook: { secrets: [first!, ...rest] },
      auditToken: options.auditToken ?? auditToken
    })
      .pipe(
        Layer.provide(workflowsFor(simulator))
      )
    const context = yield* Layer.build(layer)
    return yield* HttpApp.baseUrl.pipe(
      Effect.provideService(HttpServer.HttpServer, Context.get(context, HttpServer.HttpServer))
    )
  })

/**
 * A simulator and a projector, registered as the simulator's webhook destination unless
 * `register` is false (for tests that deliver their own notifications).
 */
export const startStack = (options: Simulator.Options & { readonly register?: boolean } = {}) =>
  Effect.gen(function*() {
    const simulator = yield* Simulator.make(options)
    const secret = newSecret()
    const url = yield* startProjector(simulator, [secret])
    if (options.register !== false) {
      yield* simulator.registerDestination({ url: `${url}/webhooks/stripe`, secret })
    }
    return { simulator, url, secret }
  })

/** Polls `check` every 25 ms until it returns true, failing after `timeoutMs`. */
export const eventually = <E, R>(
  what: string,
  check: Effect.Effect<boolean, E, R>,
  timeoutMs = 10_000
): Effect.Effect<void, E, R> =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`Timed out waiting for ${what}`)
      yield* Effect.sleep("25 millis")
    }
  })

/** The event types of a run's history, in order. */
export const historyTypes = (runId: string) =>
  Effect.flatMap(
    RunLog.RunLog,
    (log) => Effect.map(log.history(runId as Ids.WorkflowRunId), (history) => history.events.map((event) => event.type))
  )

/** Waits until every delivery so far got a response, and returns them. */
export const settledDeliveries = (simulator: Simulator.Service, count: number) =>
  Effect.gen(function*() {
    yield* eventually(
      `${count} answered deliveries`,
      Effect.map(simulator.deliveries, (all) => all.filter((attempt) => attempt.status !== null).length >= count)
    )
    return yield* simulator.deliveries
  })

/** Finds a TCP port on 127.0.0.1 that is free now, for a server that needs its port before it starts. */
export const freePort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/**
 * Records an invocation attempt's request for `key` and, with `lost`, an unknown outcome after
 * it, as the recording layer leaves an attempt whose answer was lost.
 */
export const recordAttempt = (
  key: Invocation.IdempotencyKey,
  options: { readonly workflow: Ids.WorkflowId; readonly lost: boolean }
) =>
  Effect.gen(function*() {
    const store = yield* EventStore.EventStore
    const now = yield* DateTime.now
    const requested = Invocation.requested({
      idempotencyKey: key,
      occurredAt: now,
      workflow: options.workflow,
      inputParameters: {},
      actor: null
    })
    const unknown = Invocation.outcomeUnknown({
      idempotencyKey: key,
      occurredAt: now,
      occurrence: 1,
      errorTag: "X",
      message: "lost"
    })
    yield* store.appendInvocation(key, 0, options.lost ? [requested, unknown] : [requested])
  })
