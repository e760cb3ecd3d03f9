/**
 * The projector's HTTP server: the webhook route, the audit API, `GET /healthz` and
 * `GET /metrics`, served by Node's HTTP server on the configured host and port.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { createServer } from "node:http"
import { readRawBody } from "./internal/rawBody.js"
import * as Metrics from "./Metrics.js"
import * as Webhook from "./Webhook.js"

/**
 * Where and how to serve.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  readonly webhook: Webhook.Options
}

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
    HttpRouter.post("/webhooks/stripe", webhookRoute(options.webhook)),
    HttpRouter.get("/metrics", metricsRoute)
  )

/**
 * Serves the routes for the layer's lifetime and provides the running `HttpServer` (its
 * address tells a caller the port picked for 0). Closing the layer stops accepting and lets
 * in-flight requests finish.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options) =>
  HttpServer.serve(router(options)).pipe(
    Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { host: options.host, port: options.port }))
  )

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
