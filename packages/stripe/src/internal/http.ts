import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
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

/**
 * Resolves a path or a `next_page_url` against the API base. An absolute URL on another origin
 * is rejected so the API key never leaves the configured host.
 *
 * @internal
 */
export const resolveUrl = (apiBase: URL, path: string): URL | undefined => {
  if (path.startsWith("/")) {
    const prefix = apiBase.pathname.replace(/\/+$/, "")
    return new URL(`${apiBase.origin}${prefix}${path}`)
  }
  try {
    const url = new URL(path)
    return url.origin === apiBase.origin ? url : undefined
  } catch {
    return undefined
  }
}

/**
 * Sends API requests: adds the headers, times each attempt out, retries per
 * {@link isRetryable} with {@link backoff}, and turns every failure into a typed error.
 *
 * @internal
 */
export const makeSender = (
  client: HttpClient.HttpClient,
  settings: ClientSettings,
  observer: Option.Option<RequestObserver.Service>
) => {
  const schedule = backoff(settings.retryBaseDelay, settings.retryMaxDelay)
  const report = (use: (observer: RequestObserver.Service) => Effect.Effect<void>) =>
    Option.match(observer, { onNone: () => Effect.void, onSome: use })

  return <E extends Endpoint>(request: ApiRequest<E>): Effect.Effect<RawResponse, EndpointError<E>> =>
    Effect.gen(function*(): Effect.fn.Return<RawResponse, EndpointError<E>> {
      const url = resolveUrl(settings.apiBase, request.path)
      if (url === undefined) {
        return yield* Effect.fail<EndpointError<E>>(
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
      const headers: Record<string, string> = {
        "accept": "application/json",
        "content-type": "application/json",
        "stripe-version": settings.apiVersion,
        "user-agent": userAgent
      }
      if (stripeContext !== undefined) headers["stripe-context"] = stripeContext
      if (request.idempotencyKey !== undefined) headers["idempotency-key"] = request.idempotencyKey
      if (request.triggeringEventId !== undefined) {
        headers["stripe-request-trigger"] = `event=${request.triggeringEventId}`
      }

      let httpRequest = HttpClientRequest.make(request.method)(url).pipe(
        HttpClientRequest.bearerToken(settings.apiKey),
        HttpClientRequest.setHeaders(headers)
      )
      if (request.body !== undefined) {
        httpRequest = HttpClientRequest.bodyText(httpRequest, request.body, "application/json")
      }

      const send: Effect.Effect<RawResponse, AttemptFailure> = client.execute(httpRequest).pipe(
        Effect.flatMap((response) =>
          Effect.map(
            response.text,
            (body): RawResponse => ({ status: response.status, headers: response.headers, body })
          )
        ),
        Effect.catchAll((error) => {
          const cause = socketError(error)
          return Effect.fail(new TransportFailure({ detail: describeSocketError(cause) ?? error.message, cause }))
        }),
        Effect.timeoutFail({ duration: timeout, onTimeout: () => new AttemptTimeout({ timeout }) }),
        Effect.filterOrFail((response) => isSuccess(response.status), (response) => new ErrorResponse({ response })),
        Effect.tapError((failure) =>
          Effect.logDebug("Stripe request attempt failed").pipe(
            Effect.annotateLogs({
              method: request.method,
              path: url.pathname,
              failure: failure._tag,
              status: failure._tag === "ErrorResponse" ? failure.response.status : undefined,
              request_id: failure._tag === "ErrorResponse" ? failure.response.headers["request-id"] : undefined
            })
          )
        )
      )

      const attempts = yield* Ref.make(0)
      const lastOutcome = yield* Ref.make<RequestObserver.AttemptOutcome>("ok")
      const attempt = Effect.gen(function*() {
        const number = yield* Ref.updateAndGet(attempts, (n) => n + 1)
        if (number > 1) {
          const after = yield* Ref.get(lastOutcome)
          yield* report((observer) => observer.onRetry({ operation: request.operation, attempt: number, after }))
        }
        const [duration, result] = yield* Effect.timed(Effect.either(send))
        const outcome = Either.match(result, { onLeft: outcomeOf, onRight: () => "ok" as const })
        yield* Ref.set(lastOutcome, outcome)
        yield* report((observer) =>
          observer.onAttempt({ operation: request.operation, attempt: number, outcome, duration })
        )
        return yield* result
      })

      const call = attempt.pipe(
        Effect.retry({ schedule, times: settings.maxRetries, while: isRetryable }),
        Effect.catchAll((failure) =>
          Effect.flatMap(Ref.get(attempts), (count): Effect.Effect<never, EndpointError<E>> => {
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
          })
        )
      )

      const [duration, result] = yield* Effect.timed(Effect.either(call))
      const count = yield* Ref.get(attempts)
      yield* report((observer) =>
        observer.onCall({
          operation: request.operation,
          attempts: count,
          outcome: Either.isRight(result) ? "ok" : "error",
          duration
        })
      )
      return yield* result
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
