import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { type HttpFault, requestMatches } from "../Fault.js"
import type { ApiRequest } from "./Api.js"
import type { IdGenerator } from "./IdGenerator.js"
import * as StripeError from "./StripeError.js"

/**
 * One request the simulator handled, for tests that check what a client sent: its id, method,
 * path with query, response status (`null` when the connection was dropped), idempotency key
 * and the fault applied to it.
 *
 * @internal
 */
export interface RequestRecord {
  readonly requestId: string
  readonly method: string
  readonly path: string
  readonly status: number | null
  readonly idempotencyKey: string | null
  readonly fault: "response" | "before_commit" | "after_commit" | "latency" | null
}

interface ArmedFault {
  readonly fault: HttpFault
  remaining: number
}

/** @internal */
export interface ServerOptions {
  readonly ids: IdGenerator
  readonly controlPrefix: string
  readonly maxLoggedRequests: number
}

/**
 * The HTTP app: assigns each request its `Request-Id`, applies armed faults to API requests,
 * dispatches to the API or the control API, echoes `Stripe-Version`, and turns any defect into
 * a Stripe `api_error` so no request can stop the server.
 *
 * @internal
 */
export const make = (
  options: ServerOptions,
  api: (request: ApiRequest) => Effect.Effect<HttpServerResponse.HttpServerResponse, StripeError.ApiError, any>,
  control: (request: ApiRequest) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, any>
) => {
  const faults: Array<ArmedFault> = []
  const log: Array<RequestRecord> = []

  const record = (entry: RequestRecord) => {
    log.push(entry)
    if (log.length > options.maxLoggedRequests) log.splice(0, log.length - options.maxLoggedRequests)
  }

  const takeFault = (method: string, pathname: string): HttpFault | undefined => {
    const index = faults.findIndex((armed) => requestMatches(armed.fault.match, method, pathname))
    if (index < 0) return undefined
    const armed = faults[index]!
    armed.remaining--
    if (armed.remaining <= 0) faults.splice(index, 1)
    return armed.fault
  }

  const dropConnection = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.sync(() => {
      NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
    }))

  const injected = (fault: HttpFault) => {
    const response = fault.response!
    const body = response.body === undefined
      ? JSON.stringify(StripeError.body(StripeError.forStatus(response.status)))
      : typeof response.body === "string"
      ? response.body
      : JSON.stringify(response.body)
    return HttpServerResponse.text(body, {
      status: response.status,
      contentType: "application/json",
      headers: response.headers
    })
  }

  const serveApi = (request: ApiRequest) =>
    Effect.gen(function*() {
      const fault = takeFault(request.method, request.pathname)
      if (fault?.latencyMs !== undefined) yield* Effect.sleep(Duration.millis(fault.latencyMs))
      if (fault?.drop === "before_commit") {
        yield* dropConnection
        return { response: HttpServerResponse.empty({ status: 499 }), fault: "before_commit" as const }
      }
      if (fault?.response !== undefined) return { response: injected(fault), fault: "response" as const }
      const response = yield* api(request).pipe(
        Effect.catchAll((error) => Effect.succeed(StripeError.toResponse(error)))
      )
      if (fault?.drop === "after_commit") {
        yield* dropConnection
        return { response: HttpServerResponse.empty({ status: 499 }), fault: "after_commit" as const }
      }
      return { response, fault: fault?.latencyMs === undefined ? null : "latency" as const }
    })

  const app = Effect.gen(function*() {
    const serverRequest = yield* HttpServerRequest.HttpServerRequest
    const requestId = options.ids.request()
    const [pathname = "/", search = ""] = splitUrl(serverRequest.url)
    const headers = serverRequest.headers
    const request: ApiRequest = { method: serverRequest.method, pathname, search, requestId, headers }
    const isControl = pathname === options.controlPrefix || pathname.startsWith(`${options.controlPrefix}/`)
    const { fault, response } = isControl
      ? { response: yield* control(request), fault: null }
      : yield* serveApi(request)
    record({
      requestId,
      method: request.method,
      path: serverRequest.url,
      status: fault === "before_commit" || fault === "after_commit" ? null : response.status,
      idempotencyKey: headers["idempotency-key"] ?? null,
      fault
    })
    const version = headers["stripe-version"]
    return HttpServerResponse.setHeaders(response, {
      "request-id": requestId,
      ...(version === undefined || isControl ? {} : { "stripe-version": version })
    })
  }).pipe(
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.gen(function*() {
        yield* Effect.logDebug("request failed unexpectedly", cause)
        return HttpServerResponse.setHeader(
          StripeError.toResponse(
            StripeError.internal("The simulator failed to handle the request; see its debug log.")
          ),
          "request-id",
          options.ids.request()
        )
      })
    )
  )

  return {
    app,
    injectFault: (fault: HttpFault) => {
      faults.push({ fault, remaining: fault.count })
    },
    clearFaults: () => {
      faults.length = 0
    },
    requests: (): ReadonlyArray<RequestRecord> => [...log]
  }
}

// The official client appends a bare `?` when every parameter it was given is undefined.
const splitUrl = (url: string): [string, string] => {
  const index = url.indexOf("?")
  return index < 0 ? [url, ""] : [url.slice(0, index), url.slice(index + 1)]
}
