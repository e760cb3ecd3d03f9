import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Tracer from "effect/Tracer"
import * as Http from "node:http"
import * as Https from "node:https"
import type * as RequestObserver from "../RequestObserver.js"
import * as StripeError from "../StripeError.js"
import { type Endpoint, type EndpointError, fromResponse, parseErrorBody, type RawResponse } from "./errors.js"
import { userAgent } from "./version.js"

/**
 * The resolved settings of the live client.
 *
 * @internal
 */
export interface ClientSettings {
  readonly apiKey: Redacted.Redacted<string>
  readonly apiBase: URL
  readonly apiVersion: string
  readonly stripeContext: string | undefined
  readonly maxRetries: number
  readonly timeout: Duration.Duration
  readonly retryBaseDelay: Duration.Duration
  readonly retryMaxDelay: Duration.Duration
}

/**
 * One API request, before headers and retries are added.
 *
 * @internal
 */
export interface ApiRequest<E extends Endpoint = Endpoint> {
  readonly method: "GET" | "POST"
  /** The path and query, starting with `/v2/`, or an absolute URL on the API base's origin. */
  readonly path: string
  readonly body?: string
  readonly idempotencyKey?: string
  readonly stripeContext?: string | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly triggeringEventId?: string | undefined
  readonly endpoint: E
  /** The operation reported to the request observer. */
  readonly operation: RequestObserver.Operation
  /**
   * The span of the call, which the caller has not made the current span. The sender makes it
   * the parent of everything it runs that reads the current span. That is the transport when
   * it reads it, the observer's callbacks, and the debug log of a failed attempt.
   */
  readonly parentSpan?: Tracer.Span | undefined
}

class ErrorResponse extends Data.TaggedError("ErrorResponse")<{ readonly response: RawResponse }> {}

class TransportFailure extends Data.TaggedError("TransportFailure")<{
  readonly detail: string
  readonly cause: unknown
}> {}

// The socket error under the client's `RequestError`, such as `connect ECONNREFUSED 127.0.0.1:1`.
// The request error itself is not kept because it carries the request and its headers.
const socketError = (error: HttpClientError.HttpClientError): unknown => {
  let current: unknown = error.cause
  while (current instanceof Error && !("code" in current) && current.cause !== undefined) current = current.cause
  return current
}

const describeSocketError = (error: unknown): string | undefined => {
  // A host with several addresses (`localhost` as ::1 and 127.0.0.1) fails with one error per address.
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(describeSocketError))].join("; ")
  }
  return error instanceof Error && error.message !== "" ? error.message : undefined
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`

class AttemptTimeout extends Data.TaggedError("AttemptTimeout")<{ readonly timeout: Duration.Duration }> {}

type AttemptFailure = ErrorResponse | TransportFailure | AttemptTimeout

/**
 * One attempt of a request, headers included, as a transport sends it. The headers include
 * `content-length` when there is a body.
 *
 * @internal
 */
export interface Attempt {
  readonly method: "GET" | "POST"
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | undefined
  readonly timeout: Duration.Duration
}

/**
 * Sends one attempt and reads the whole response, whatever its status, within the attempt's
 * timeout.
 *
 * @internal
 */
export interface Transport {
  (attempt: Attempt): Effect.Effect<RawResponse, TransportFailure | AttemptTimeout>
  /** Whether sending reads the current span, as an `HttpClient` does for its request span. */
  readonly readsCurrentSpan: boolean
}

/**
 * Sends attempts through an `HttpClient`, for {@link makeSender} with a client the caller provides.
 *
 * @internal
 */
export const httpClientTransport = (client: HttpClient.HttpClient): Transport =>
  Object.assign((attempt: Attempt) => sendWithClient(client, attempt), { readsCurrentSpan: true })

const sendWithClient = (client: HttpClient.HttpClient, attempt: Attempt) => {
  // The client sets the length of the body it sends itself.
  const { "content-length": _, ...headers } = attempt.headers
  let request = HttpClientRequest.make(attempt.method)(attempt.url).pipe(HttpClientRequest.setHeaders(headers))
  if (attempt.body !== undefined) request = HttpClientRequest.bodyText(request, attempt.body, "application/json")
  return client.execute(request).pipe(
    Effect.flatMap((response) =>
      Effect.map(response.text, (body): RawResponse => ({ status: response.status, headers: response.headers, body }))
    ),
    Effect.catchAll((error) => {
      const cause = socketError(error)
      return Effect.fail(new TransportFailure({ detail: describeSocketError(cause) ?? error.message, cause }))
    }),
    Effect.timeoutFail({ duration: attempt.timeout, onTimeout: () => new AttemptTimeout({ timeout: attempt.timeout }) })
  )
}

const responseHeaders = (headers: Http.IncomingHttpHeaders): Record<string, string | undefined> => {
  const flat: Record<string, string | undefined> = {}
  for (const name in headers) {
    const value = headers[name]
    flat[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return flat
}

// A response read by `nodeTransport`. Only failed attempts and decode errors read the headers,
// so Node parses and this class flattens them on the first read, not for every response.
class NodeResponse implements RawResponse {
  #headers: Record<string, string | undefined> | undefined
  constructor(
    readonly status: number,
    readonly body: string,
    private readonly incoming: Http.IncomingMessage
  ) {}
  get headers(): Readonly<Record<string, string | undefined>> {
    return this.#headers ??= responseHeaders(this.incoming.headers)
  }
}

// The options `http.request` reads from a URL, as Node's `urlToHttpOptions` derives them, minus
// the fields it leaves unused, because the agent copies every field again for each request.
const requestOptions = (url: URL, method: string, headers: Readonly<Record<string, string>>, agent: Http.Agent) => ({
  protocol: url.protocol,
  hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
  port: url.port,
  path: `${url.pathname}${url.search}`,
  method,
  headers,
  agent
})

/**
 * Sends attempts straight over `node:http` and `node:https` with the given keep-alive agents. Each
 * attempt costs one `http.request` and one timer, where an `HttpClient` adds a fiber, a span, an
 * abort controller and a body stream: measured against the simulator, that overhead cost more
 * CPU per invoke than the official client's whole call. The headers and the body leave in one
 * write, and the body is decoded from UTF-8 once, when the whole of it has arrived.
 *
 * @internal
 */
export const nodeTransport = (agents: { readonly http: Http.Agent; readonly https: Https.Agent }): Transport =>
  Object.assign((attempt: Attempt) => sendWithNode(agents, attempt), { readsCurrentSpan: false })

const sendWithNode = (agents: { readonly http: Http.Agent; readonly https: Https.Agent }, attempt: Attempt) =>
  Effect.async<RawResponse, TransportFailure | AttemptTimeout>((resume) => {
    let settled = false
    const outgoing = attempt.url.protocol === "https:"
      ? Https.request(requestOptions(attempt.url, attempt.method, attempt.headers, agents.https))
      : Http.request(requestOptions(attempt.url, attempt.method, attempt.headers, agents.http))
    const settle = (result: Effect.Effect<RawResponse, TransportFailure | AttemptTimeout>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resume(result)
    }
    const fail = (error: Error) =>
      settle(Effect.fail(new TransportFailure({ detail: describeSocketError(error) ?? error.message, cause: error })))
    const timer = setTimeout(() => {
      settle(Effect.fail(new AttemptTimeout({ timeout: attempt.timeout })))
      outgoing.destroy()
    }, Duration.toMillis(attempt.timeout))
    outgoing.on("response", (response) => {
      // One chunk is the usual case for a response of a few hundred bytes.
      let first: Buffer | undefined
      let rest: Array<Buffer> | undefined
      response.on("data", (chunk: Buffer) => {
        if (first === undefined) first = chunk
        else (rest ??= [first]).push(chunk)
      })
      response.on("error", fail)
      response.on("end", () => {
        // Decoding the joined bytes keeps a character split across two chunks whole.
        const body = rest !== undefined ? Buffer.concat(rest).toString("utf8") : first?.toString("utf8") ?? ""
        settle(Effect.succeed(new NodeResponse(response.statusCode ?? 0, body, response)))
      })
    })
    outgoing.on("error", fail)
    outgoing.end(attempt.body)
    return Effect.sync(() => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      outgoing.destroy()
    })
  })

/**
 * Decides whether a failed attempt is retried. `Stripe-Should-Retry` decides first. Without it,
 * transport failures, timeouts, 429, 5xx and 409 are retried. A 409 whose code or type is
 * `idempotency_error` is not, because repeating a mismatched request cannot succeed, and no
 * other 4xx is retried.
 *
 * @internal
 */
export const isRetryable = (failure: AttemptFailure): boolean => {
  if (failure._tag !== "ErrorResponse") return true
  const { response } = failure
  const shouldRetry = response.headers["stripe-should-retry"]
  if (shouldRetry === "false") return false
  if (shouldRetry === "true") return true
  if (response.status === 429 || response.status >= 500) return true
  if (response.status === 409) {
    const error = parseErrorBody(response.body)
    return error?.code !== "idempotency_error" && error?.type !== "idempotency_error"
  }
  return false
}

/**
 * Capped exponential backoff with jitter: the delay before retry `n` (from 0) is
 * `base * 2^n`, jittered to 80-120%, at most `cap`.
 *
 * @internal
 */
export const backoff = (base: Duration.Duration, cap: Duration.Duration) =>
  Schedule.exponential(base, 2).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((delay) => Duration.min(delay, cap))
  )

const isSuccess = (status: number) => status >= 200 && status < 300

const checkStatus = (response: RawResponse): Effect.Effect<RawResponse, ErrorResponse> =>
  isSuccess(response.status) ? Effect.succeed(response) : Effect.fail(new ErrorResponse({ response }))

/**
 * Resolves paths and `next_page_url`s against the API base. An absolute URL on another origin
 * is rejected so the API key never leaves the configured host. The base's prefix is computed
 * once, since every request resolves its path.
 *
 * @internal
 */
export const urlResolver = (apiBase: URL) => {
  const prefix = `${apiBase.origin}${apiBase.pathname.replace(/\/+$/, "")}`
  return (path: string): URL | undefined => {
    if (path.startsWith("/")) return new URL(`${prefix}${path}`)
    try {
      const url = new URL(path)
      return url.origin === apiBase.origin ? url : undefined
    } catch {
      return undefined
    }
  }
}

/**
 * Resolves one path or `next_page_url` against the API base, as {@link urlResolver} does.
 *
 * @internal
 */
export const resolveUrl = (apiBase: URL, path: string): URL | undefined => urlResolver(apiBase)(path)

/**
 * Sends API requests: adds the headers, times each attempt out, retries per
 * {@link isRetryable} with {@link backoff}, and turns every failure into a typed error.
 *
 * @internal
 */
export const makeSender = (
  transport: Transport,
  settings: ClientSettings,
  observer: Option.Option<RequestObserver.Service> = Option.none()
) => {
  const schedule = backoff(settings.retryBaseDelay, settings.retryMaxDelay)
  const spanReaders = transport.readsCurrentSpan || Option.isSome(observer)
  const resolve = urlResolver(settings.apiBase)
  // The headers every request sends, built once and copied per request.
  const commonHeaders: Readonly<Record<string, string>> = {
    "accept": "application/json",
    "authorization": `Bearer ${Redacted.value(settings.apiKey)}`,
    "content-type": "application/json",
    "stripe-version": settings.apiVersion,
    "user-agent": userAgent
  }

  return <E extends Endpoint>(request: ApiRequest<E>): Effect.Effect<RawResponse, EndpointError<E>> =>
    Effect.suspend((): Effect.Effect<RawResponse, EndpointError<E>> => {
      const url = resolve(request.path)
      if (url === undefined) {
        return Effect.fail<EndpointError<E>>(
          new StripeError.StripeDecodeError({
            status: 200,
            path: "next_page_url",
            message: `The page URL ${JSON.stringify(request.path)} is not on the API base ${settings.apiBase.origin}`,
            body: ""
          }) as EndpointError<E>
        )
      }
      const timeout = request.timeout === undefined ? settings.timeout : Duration.decode(request.timeout)
      const stripeContext = request.stripeContext ?? settings.stripeContext
      const headers: Record<string, string> = { ...commonHeaders }
      if (stripeContext !== undefined) headers["stripe-context"] = stripeContext
      if (request.idempotencyKey !== undefined) headers["idempotency-key"] = request.idempotencyKey
      if (request.triggeringEventId !== undefined) {
        headers["stripe-request-trigger"] = `event=${request.triggeringEventId}`
      }
      // With the length known, Node sends a string body in the same write as the headers.
      if (request.body !== undefined) headers["content-length"] = String(Buffer.byteLength(request.body, "utf8"))

      // The span becomes current once for the whole call when anything besides the failure log
      // reads it. Otherwise only that log gets it, because making a span current costs several
      // fiber steps.
      const spanForCall = spanReaders ? request.parentSpan : undefined
      const parentSpan = spanReaders ? undefined : request.parentSpan

      const sent: Attempt = { method: request.method, url, headers, body: request.body, timeout }
      let attempts = 0
      const logFailure = (failure: AttemptFailure) =>
        Effect.logDebug("Stripe request attempt failed").pipe(
          Effect.annotateLogs({
            method: request.method,
            path: url.pathname,
            failure: failure._tag,
            status: failure._tag === "ErrorResponse" ? failure.response.status : undefined,
            request_id: failure._tag === "ErrorResponse" ? failure.response.headers["request-id"] : undefined
          }),
          (log) => parentSpan === undefined ? log : Effect.withParentSpan(log, parentSpan)
        )
      const attempt: Effect.Effect<RawResponse, AttemptFailure> = Effect.suspend(() => {
        attempts++
        return Effect.flatMap(transport(sent), checkStatus)
      }).pipe(Effect.tapError(logFailure))

      // Without an observer nothing is timed, so the common path stays as cheap as it was.
      const observed = Option.match(observer, {
        onNone: () => attempt,
        onSome: (observer) => {
          let lastOutcome: RequestObserver.AttemptOutcome = "ok"
          return Effect.suspend(() => {
            const number = attempts + 1
            const retry = number > 1
              ? observer.onRetry({ operation: request.operation, attempt: number, after: lastOutcome })
              : Effect.void
            return Effect.zipRight(retry, Effect.timed(Effect.either(attempt))).pipe(
              Effect.flatMap(([duration, result]) => {
                const outcome = Either.match(result, { onLeft: outcomeOf, onRight: () => "ok" as const })
                lastOutcome = outcome
                return Effect.zipRight(
                  observer.onAttempt({ operation: request.operation, attempt: number, outcome, duration }),
                  result
                )
              })
            )
          })
        }
      })

      const toError = (failure: AttemptFailure): Effect.Effect<never, EndpointError<E>> => {
        const count = attempts
        switch (failure._tag) {
          case "ErrorResponse":
            return Effect.fail(fromResponse(failure.response, request.endpoint))
          case "TransportFailure":
            return Effect.fail(
              new StripeError.StripeConnectionError({
                reason: "Transport",
                method: request.method,
                path: url.pathname,
                attempts: count,
                message: `${failure.detail} after ${plural(count, "attempt")}`,
                ...(failure.cause === undefined ? {} : { cause: failure.cause })
              }) as EndpointError<E>
            )
          case "AttemptTimeout":
            return Effect.fail(
              new StripeError.StripeConnectionError({
                reason: "Timeout",
                method: request.method,
                path: url.pathname,
                attempts: count,
                message: `No response within ${Duration.format(failure.timeout)} after ${plural(count, "attempt")}`
              }) as EndpointError<E>
            )
        }
      }

      // The retry schedule is set up only once the first attempt fails: most calls succeed at
      // once, and a schedule's driver costs several allocations. The retried effect replays that
      // first failure, so the schedule and `isRetryable` see the same attempts as before.
      const retried = (first: AttemptFailure) => {
        let replay: AttemptFailure | undefined = first
        return Effect.retry(
          Effect.suspend(() => {
            if (replay === undefined) return observed
            const failure = replay
            replay = undefined
            return Effect.fail(failure)
          }),
          { schedule, times: settings.maxRetries, while: isRetryable }
        )
      }
      const afterFailure = (failure: AttemptFailure) =>
        settings.maxRetries > 0 && isRetryable(failure)
          ? Effect.catchAll(retried(failure), toError)
          : toError(failure)
      // Without an observer, the first attempt runs with fewer fiber steps than `attempt`,
      // and its failure is logged here before it is retried or mapped.
      const call = Option.isSome(observer)
        ? Effect.catchAll(observed, afterFailure)
        : Effect.catchAll(
          Effect.suspend(() => {
            attempts = 1
            return Effect.flatMap(transport(sent), checkStatus)
          }),
          (failure) => Effect.zipRight(logFailure(failure), afterFailure(failure))
        )

      const reported = Option.isNone(observer) ? call : Effect.flatMap(
        Effect.timed(Effect.either(call)),
        ([duration, result]) =>
          Effect.zipRight(
            observer.value.onCall({
              operation: request.operation,
              attempts,
              outcome: Either.isRight(result) ? "ok" : "error",
              duration
            }),
            result
          )
      )
      return spanForCall === undefined ? reported : Effect.withParentSpan(reported, spanForCall)
    })
}

const outcomeOf = (failure: AttemptFailure): RequestObserver.AttemptOutcome => {
  switch (failure._tag) {
    case "ErrorResponse":
      return failure.response.status
    case "TransportFailure":
      return "transport"
    case "AttemptTimeout":
      return "timeout"
  }
}
