/**
 * An optional observer of the live Workflows client's HTTP traffic: each attempt with its
 * latency, each retry, and each call with its attempt count. Provide it to the layer that builds
 * the client to feed metrics; without it the client reports nothing.
 *
 * ```ts
 * Workflows.layer(options).pipe(Layer.provide(RequestObserver.layer({ onAttempt, onRetry, onCall })))
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * The API operation a request belongs to.
 *
 * @since 0.1.0
 * @category models
 */
export type Operation =
  | "invoke_workflow"
  | "retrieve_workflow"
  | "list_workflows"
  | "retrieve_workflow_run"
  | "list_workflow_runs"
  | "retrieve_event"

/**
 * The result of one attempt: `ok` for a 2xx, the HTTP status for another response, `transport`
 * for a connection failure and `timeout` for an attempt that got no response in time.
 *
 * @since 0.1.0
 * @category models
 */
export type AttemptOutcome = "ok" | "transport" | "timeout" | number

/**
 * One HTTP attempt of a call.
 *
 * @since 0.1.0
 * @category models
 */
export interface Attempt {
  readonly operation: Operation
  /** 1 for the first attempt of a call. */
  readonly attempt: number
  readonly outcome: AttemptOutcome
  readonly duration: Duration.Duration
}

/**
 * A retry about to be sent, after the backoff delay, with the same `Idempotency-Key` for an invoke.
 *
 * @since 0.1.0
 * @category models
 */
export interface Retry {
  readonly operation: Operation
  /** The number of the attempt about to be sent: 2 for the first retry. */
  readonly attempt: number
  /** The outcome of the attempt that failed. */
  readonly after: AttemptOutcome
}

/**
 * One call of the client: every attempt, backoff delays included, until its result.
 *
 * @since 0.1.0
 * @category models
 */
export interface Call {
  readonly operation: Operation
  readonly attempts: number
  readonly outcome: "ok" | "error"
  readonly duration: Duration.Duration
}

/**
 * The callbacks of an observer. They run on the request's fiber, so they should be quick.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly onAttempt: (attempt: Attempt) => Effect.Effect<void>
  readonly onRetry: (retry: Retry) => Effect.Effect<void>
  readonly onCall: (call: Call) => Effect.Effect<void>
}

/**
 * The observer the live client reports to, when one is in the context it is built in.
 *
 * @since 0.1.0
 * @category tags
 */
export class RequestObserver extends Context.Tag("@workflow-runs/stripe/RequestObserver")<
  RequestObserver,
  Service
>() {}

/**
 * An observer made of the given callbacks.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (service: Service): Layer.Layer<RequestObserver> => Layer.succeed(RequestObserver, service)
