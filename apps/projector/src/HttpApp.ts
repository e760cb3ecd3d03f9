/**
 * The projector's HTTP server: the webhook route, the audit API, `GET /healthz` and
 * `GET /metrics`, served by Node's HTTP server on the configured host and port.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as SqlClient from "@effect/sql/SqlClient"
import { Workflows } from "@workflow-runs/stripe"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import * as AuditApi from "./AuditApi.js"
import { readRawBody } from "./internal/rawBody.js"
import * as Metrics from "./Metrics.js"
import * as Webhook from "./Webhook.js"

/**
 * The listen address and settings of the server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  readonly webhook: Webhook.Options
  /** The bearer token of the audit API. */
  readonly auditToken: Redacted.Redacted<string>
}

const webhookPath = "/webhooks/stripe"

const webhookRoute = (options: Webhook.Options) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const body = yield* readRawBody(request, Webhook.maxBodyBytes)
    const answer = yield* Option.match(body, {
      onNone: () => Webhook.tooLarge,
      onSome: (bytes) => Webhook.handle(bytes, request.headers["stripe-signature"], options)
    })
    return yield* HttpServerResponse.json(answer.body, { status: answer.status })
  })

const check = <A, E, R>(what: string, probe: Effect.Effect<A, E, R>) =>
  probe.pipe(
    Effect.timeout("5 seconds"),
    Effect.as("ok" as const),
    Effect.catchAll((error) =>
      Effect.as(Effect.logWarning(`Health check of ${what} failed`, error), "unreachable" as const)
    )
  )

const healthRoute = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const workflows = yield* Workflows.Workflows
  const [database, stripe] = yield* Effect.all([
    check("the database", sql`select 1`),
    check("Stripe", Stream.runDrain(Stream.take(workflows.listWorkflows({ limit: 1 }), 1)))
  ], { concurrency: 2 })
  const ok = database === "ok" && stripe === "ok"
  return HttpServerResponse.unsafeJson({ status: ok ? "ok" : "degraded", database, stripe }, { status: ok ? 200 : 503 })
})

const metricsRoute = Effect.map(
  Metrics.render,
  (text) => HttpServerResponse.text(text, { contentType: "text/plain; version=0.0.4; charset=utf-8" })
)

/**
 * The routes.
 *
 * @since 0.1.0
 * @category routes
 */
export const router = (options: Options) =>
  HttpRouter.empty.pipe(
    HttpRouter.post(webhookPath, webhookRoute(options.webhook)),
    HttpRouter.get("/metrics", metricsRoute),
    HttpRouter.get("/healthz", healthRoute),
    HttpRouter.mount("/audit", AuditApi.router(options.auditToken, options.webhook.secrets))
  )

// A defect would otherwise reach the client as an empty 500 with nothing logged. It is logged
// with its cause, and the client gets a JSON error without a stack trace. Other errors, such as
// an unknown route's 404, keep the response the platform gives them.
const logDefects = <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.catchAllCause(app, (cause) => {
    if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
    return Effect.flatMap(
      HttpServerError.causeResponse(cause),
      ([response]) =>
        response.status < 500 ? Effect.succeed(response) : Effect.as(
          Effect.logError("A request failed unexpectedly", cause),
          HttpServerResponse.unsafeJson(
            { error: { type: "internal_error", message: "The request failed unexpectedly; see the server log" } },
            { status: 500 }
          )
        )
    )
  })

/**
 * Serves the routes for the layer's lifetime and provides the running `HttpServer` (its
 * address gives a caller the port picked for 0). Closing the layer stops accepting and lets
 * in-flight requests finish.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options) =>
  HttpServer.serve(logDefects(router(options))).pipe(
    // `Webhook.handle` opens the notification's span, so the server's own span, with an attribute
    // per request header, is left out there.
    HttpMiddleware.withTracerDisabledWhen(isWebhookRequest),
    Layer.provideMerge(NodeHttpServer.layer(drainingServer, { host: options.host, port: options.port }))
  )

const isWebhookRequest = (request: HttpServerRequest.HttpServerRequest) =>
  request.method === "POST" && request.url.split("?", 1)[0] === webhookPath

// Stopping removes the app's request listener before closing the server, and closing waits for
// every open connection. A request that arrived on a kept-alive connection in between would get
// no response and keep the server, and so the process, from closing. It gets a 503 that closes
// its connection instead, so the client sends it again elsewhere.
const drainingServer = () => {
  const server = createServer()
  server.on("request", (_request: IncomingMessage, response: ServerResponse) => {
    if (server.listenerCount("request") > 1) return
    response.writeHead(503, { "content-type": "application/json", connection: "close", "retry-after": "1" })
    response.end(JSON.stringify({ error: { type: "shutting_down", message: "The server is shutting down" } }))
  })
  return server
}

/**
 * The base URL of the running server, such as `http://127.0.0.1:8080`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const baseUrl: Effect.Effect<string, never, HttpServer.HttpServer> = Effect.map(
  HttpServer.HttpServer,
  (server) =>
    server.address._tag === "TcpAddress"
      ? `http://${
        server.address.hostname.includes(":") ? `[${server.address.hostname}]` : server.address.hostname
      }:${server.address.port}`
      : `http+unix://${server.address.path}`
)
