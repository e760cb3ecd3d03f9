/**
 * The Stripe Workflows API (`/v2/extend`, API version `2026-04-22.preview`) as an Effect service:
 * invoke workflows, retrieve and list workflows and runs, and retrieve events, with typed errors.
 *
 * ```ts
 * const run = yield* Workflows.invokeWorkflow(workflowId, { order_id: "o_1" })
 * ```
 *
 * Provide {@link layer} or {@link layerConfig} in production and {@link layerTest} in unit tests.
 *
 * @since 0.1.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type { Ids, Workflow, WorkflowRun, WorkflowsError } from "@workflow-runs/core"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import * as Https from "node:https"
import type * as Event from "./Event.js"
import { defaultApiVersion as internalDefaultApiVersion, makeLive, resolveSettings } from "./internal/client.js"
import * as StripeConfig from "./internal/config.js"
import { httpClientTransport, nodeTransport } from "./internal/http.js"
import { makeMemory } from "./internal/memory.js"
import type * as StripeError from "./StripeError.js"
import type * as WorkflowsTestModule from "./WorkflowsTest.js"
import { WorkflowsTest } from "./WorkflowsTest.js"

/**
 * The API version this library is written against.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultApiVersion: string = internalDefaultApiVersion

/**
 * Options every request accepts.
 *
 * @since 0.1.0
 * @category options
 */
export interface RequestOptions {
  /** The account to act as (`Stripe-Context`), overriding the layer's `stripeContext`. */
  readonly stripeContext?: string | undefined
  /** The timeout of each attempt, overriding the layer's `timeout`. */
  readonly timeout?: Duration.DurationInput | undefined
  /** The event this request follows up (`Stripe-Request-Trigger: event=<id>`). */
  readonly triggeringEventId?: Ids.StripeEventId | undefined
}

/**
 * Options of {@link Service.invokeWorkflow}.
 *
 * @since 0.1.0
 * @category options
 */
export interface InvokeOptions extends RequestOptions {
  /**
   * The `Idempotency-Key`; a random UUID when left out. Every retry of the call sends the same
   * key. Pass your own, stored with the business operation, to make an invoke safe across
   * process restarts: Stripe returns the existing run for a repeated key and body.
   */
  readonly idempotencyKey?: string | undefined
}

/**
 * Options of {@link Service.invokeWorkflow} with a schema for the input parameters. The
 * parameters are encoded with it, so a value that does not satisfy it fails with
 * `InvalidWorkflowInputParameters` before any request.
 *
 * @since 0.1.0
 * @category options
 */
export interface InvokeWithSchemaOptions<A, I extends WorkflowRun.InputParameters> extends InvokeOptions {
  readonly inputSchema: Schema.Schema<A, I, never>
}

/**
 * Options of {@link Service.listWorkflows}.
 *
 * @since 0.1.0
 * @category options
 */
export interface ListWorkflowsOptions extends RequestOptions {
  /** Only workflows in these statuses. Stripe returns `active` and `inactive` ones when left out. */
  readonly status?: ReadonlyArray<"active" | "archived" | "draft" | "inactive"> | undefined
  /** The page size. */
  readonly limit?: number | undefined
}

/**
 * Options of {@link Service.listWorkflowRuns}.
 *
 * @since 0.1.0
 * @category options
 */
export interface ListWorkflowRunsOptions extends RequestOptions {
  /** Only runs in these statuses. */
  readonly status?: ReadonlyArray<"started" | "succeeded" | "failed"> | undefined
  /** Only runs of these workflows. */
  readonly workflow?: ReadonlyArray<Ids.WorkflowId> | undefined
  /** The page size. */
  readonly limit?: number | undefined
}

/**
 * The errors of {@link Service.invokeWorkflow}.
 *
 * @since 0.1.0
 * @category errors
 */
export type InvokeWorkflowError =
  | WorkflowsError.InvalidWorkflowInputParameters
  | WorkflowsError.WorkflowNotInvokable
  | WorkflowsError.WorkflowNotFound
  | WorkflowsError.IdempotencyConflict
  | StripeError.StripeError

/**
 * The errors of {@link Service.retrieveWorkflow}.
 *
 * @since 0.1.0
 * @category errors
 */
export type RetrieveWorkflowError = WorkflowsError.WorkflowNotFound | StripeError.StripeError

/**
 * The errors of {@link Service.retrieveWorkflowRun}.
 *
 * @since 0.1.0
 * @category errors
 */
export type RetrieveWorkflowRunError = WorkflowsError.WorkflowRunNotFound | StripeError.StripeError

/**
 * The errors of {@link Service.retrieveEvent}.
 *
 * @since 0.1.0
 * @category errors
 */
export type RetrieveEventError = WorkflowsError.EventNotFound | StripeError.StripeError

/**
 * The operations of the Workflows API.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Starts a run of an active workflow with a manual trigger and returns it, usually `started`.
   * With the same idempotency key and body, returns the run's current state instead.
   */
  readonly invokeWorkflow: {
    (
      workflowId: Ids.WorkflowId,
      inputParameters: WorkflowRun.InputParameters,
      options?: InvokeOptions
    ): Effect.Effect<WorkflowRun.WorkflowRun, InvokeWorkflowError>
    <A, I extends WorkflowRun.InputParameters>(
      workflowId: Ids.WorkflowId,
      inputParameters: A,
      options: InvokeWithSchemaOptions<A, I>
    ): Effect.Effect<WorkflowRun.WorkflowRun, InvokeWorkflowError>
  }
  /** Retrieves a workflow. */
  readonly retrieveWorkflow: (
    workflowId: Ids.WorkflowId,
    options?: RequestOptions
  ) => Effect.Effect<Workflow.Workflow, RetrieveWorkflowError>
  /** Lists workflows, fetching each next page as the stream is read. */
  readonly listWorkflows: (options?: ListWorkflowsOptions) => Stream.Stream<Workflow.Workflow, StripeError.StripeError>
  /** Retrieves a run. */
  readonly retrieveWorkflowRun: (
    runId: Ids.WorkflowRunId,
    options?: RequestOptions
  ) => Effect.Effect<WorkflowRun.WorkflowRun, RetrieveWorkflowRunError>
  /** Lists runs, fetching each next page as the stream is read. */
  readonly listWorkflowRuns: (
    options?: ListWorkflowRunsOptions
  ) => Stream.Stream<WorkflowRun.WorkflowRun, StripeError.StripeError>
  /** Retrieves a v2 event (`GET /v2/core/events/{id}`). */
  readonly retrieveEvent: (
    eventId: Ids.StripeEventId,
    options?: RequestOptions
  ) => Effect.Effect<Event.Event, RetrieveEventError>
}

/**
 * The Workflows API service.
 *
 * @since 0.1.0
 * @category tags
 */
export class Workflows extends Context.Tag("@workflow-runs/stripe/Workflows")<Workflows, Service>() {}

/**
 * Settings of the live layer.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** The secret key (`sk_...`). */
  readonly apiKey: Redacted.Redacted<string>
  /** The API origin, `https://api.stripe.com` by default. */
  readonly apiBase?: string | URL | undefined
  /** The `Stripe-Version` header, {@link defaultApiVersion} by default. */
  readonly apiVersion?: string | undefined
  /** The `Stripe-Context` of every request, unless a call gives its own. */
  readonly stripeContext?: string | undefined
  /** How many times a failed attempt is retried (see {@link layer}); 2 by default. */
  readonly maxRetries?: number | undefined
  /** The timeout of each attempt; 80 seconds by default, as in Stripe's Node client. */
  readonly timeout?: Duration.DurationInput | undefined
  /** The delay before the first retry, doubled for each further one; 500 ms by default. */
  readonly retryBaseDelay?: Duration.DurationInput | undefined
  /** The maximum delay between two attempts; 5 seconds by default. */
  readonly retryMaxDelay?: Duration.DurationInput | undefined
}

/**
 * Builds the live service over the `HttpClient` in the context, for a client of your own. Fails
 * with a `ConfigError` that names the invalid option. {@link layer} sends over `node:http`
 * directly instead, which costs less CPU per request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const settings = yield* resolveSettings(options)
    // Trace headers would tell Stripe about the caller's internal traces.
    const client = HttpClient.withTracerPropagation(yield* HttpClient.HttpClient, false)
    return Workflows.of(yield* makeLive(settings, httpClientTransport(client)))
  })

// Node's agents with keep-alive, destroyed with the layer's scope.
const makeNode = (options: Options): Effect.Effect<Service, ConfigError.ConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* resolveSettings(options)
    const agents = yield* Effect.acquireRelease(
      Effect.sync(() => ({ http: new Http.Agent({ keepAlive: true }), https: new Https.Agent({ keepAlive: true }) })),
      (agents) =>
        Effect.sync(() => {
          agents.http.destroy()
          agents.https.destroy()
        })
    )
    return Workflows.of(yield* makeLive(settings, nodeTransport(agents)))
  })

/**
 * Node's HTTP client with an agent that keeps connections alive. The undici client of
 * `@effect/platform-node` 0.108 opened a new connection for a request sent right after the
 * previous response was read, so it is not used here.
 *
 * @since 0.1.0
 * @category layers
 */
export const keepAliveHttpClient = NodeHttpClient.layerWithoutAgent.pipe(
  Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true }))
)

/**
 * The live service over HTTP with a keep-alive connection pool, sent with `node:http` and
 * `node:https` directly.
 *
 * Retries: `Stripe-Should-Retry` decides first (`false` never retries, `true` retries). Without
 * it, transport failures, attempts that time out, 429, 5xx and 409 are retried, except a 409
 * `idempotency_error`; no other 4xx is. Up to `maxRetries` retries with exponential backoff from
 * `retryBaseDelay`, jittered to 80-120% and capped at `retryMaxDelay`. Every attempt of an
 * invoke sends the same `Idempotency-Key`.
 *
 * With a `RequestObserver` provided to this layer, the client reports each attempt, retry and
 * call to it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Workflows, ConfigError.ConfigError> =>
  Layer.scoped(Workflows, makeNode(options))

/**
 * {@link Options} read from the environment: `STRIPE_API_KEY` (required, not empty and not a
 * publishable `pk_` key, kept `Redacted`), `STRIPE_API_BASE` (a URL), `STRIPE_API_VERSION`
 * (default {@link defaultApiVersion}), `STRIPE_CONTEXT`, `STRIPE_MAX_RETRIES` (a non-negative
 * integer) and `STRIPE_TIMEOUT` (a duration such as `30 seconds` or `500 millis`).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Options> = Config.all({
  // An empty key counts as missing: Stripe would reject every request with 401.
  apiKey: StripeConfig.apiKey("STRIPE_API_KEY"),
  apiBase: StripeConfig.httpUrl("STRIPE_API_BASE").pipe(Config.withDefault(undefined)),
  apiVersion: Config.nonEmptyString("STRIPE_API_VERSION").pipe(Config.withDefault(defaultApiVersion)),
  stripeContext: Config.nonEmptyString("STRIPE_CONTEXT").pipe(Config.withDefault(undefined)),
  maxRetries: StripeConfig.retries("STRIPE_MAX_RETRIES").pipe(Config.withDefault(undefined)),
  timeout: StripeConfig.duration("STRIPE_TIMEOUT").pipe(Config.withDefault(undefined))
})

/**
 * The live service configured by {@link config}, or by the given `Config`. A missing or invalid
 * variable fails the layer with a `ConfigError` that names it and says what to set, such as
 * `STRIPE_API_KEY is not set: set it to your secret key (sk_test_... or sk_live_...)`; the
 * message never contains the key.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<Workflows, ConfigError.ConfigError> =>
  Layer.scoped(Workflows, Effect.flatMap(Effect.mapError(options, StripeConfig.explainMissing), makeNode))

/**
 * Settings of {@link layerTest}.
 *
 * @since 0.1.0
 * @category options
 */
export interface TestOptions {
  /** The page size of lists without a `limit`; 10 by default. */
  readonly pageSize?: number | undefined
  /** Workflows that exist from the start. */
  readonly workflows?: ReadonlyArray<WorkflowsTestModule.WorkflowDefinition> | undefined
}

/**
 * An in-memory Workflows API with the same behaviour and errors as the live one, for unit tests:
 * no network and no server. It also provides {@link WorkflowsTest} to define workflows, complete
 * or fail runs and make the next call fail.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTest = (options: TestOptions = {}): Layer.Layer<Workflows | WorkflowsTest> =>
  Layer.effectContext(
    Effect.map(makeMemory(options), ({ control, service }) =>
      Context.make(Workflows, service).pipe(Context.add(WorkflowsTest, control)))
  )

/**
 * Invokes a workflow with the service in the context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const invokeWorkflow: {
  (
    workflowId: Ids.WorkflowId,
    inputParameters: WorkflowRun.InputParameters,
    options?: InvokeOptions
  ): Effect.Effect<WorkflowRun.WorkflowRun, InvokeWorkflowError, Workflows>
  <A, I extends WorkflowRun.InputParameters>(
    workflowId: Ids.WorkflowId,
    inputParameters: A,
    options: InvokeWithSchemaOptions<A, I>
  ): Effect.Effect<WorkflowRun.WorkflowRun, InvokeWorkflowError, Workflows>
} = (workflowId: Ids.WorkflowId, inputParameters: any, options?: any) =>
  Effect.flatMap(Workflows, (service) => service.invokeWorkflow(workflowId, inputParameters, options))

/**
 * Retrieves a workflow with the service in the context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const retrieveWorkflow = (
  workflowId: Ids.WorkflowId,
  options?: RequestOptions
): Effect.Effect<Workflow.Workflow, RetrieveWorkflowError, Workflows> =>
  Effect.flatMap(Workflows, (service) => service.retrieveWorkflow(workflowId, options))

/**
 * Lists workflows with the service in the context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const listWorkflows = (
  options?: ListWorkflowsOptions
): Stream.Stream<Workflow.Workflow, StripeError.StripeError, Workflows> =>
  Stream.unwrap(Effect.map(Workflows, (service) => service.listWorkflows(options)))

/**
 * Retrieves a run with the service in the context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const retrieveWorkflowRun = (
  runId: Ids.WorkflowRunId,
  options?: RequestOptions
): Effect.Effect<WorkflowRun.WorkflowRun, RetrieveWorkflowRunError, Workflows> =>
  Effect.flatMap(Workflows, (service) => service.retrieveWorkflowRun(runId, options))

/**
 * Lists runs with the service in the context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const listWorkflowRuns = (
  options?: ListWorkflowRunsOptions
): Stream.Stream<WorkflowRun.WorkflowRun, StripeError.StripeError, Workflows> =>
  Stream.unwrap(Effect.map(Workflows, (service) => service.listWorkflowRuns(options)))

/**
 * Retrieves an event with the service in the context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const retrieveEvent = (
  eventId: Ids.StripeEventId,
  options?: RequestOptions
): Effect.Effect<Event.Event, RetrieveEventError, Workflows> =>
  Effect.flatMap(Workflows, (service) => service.retrieveEvent(eventId, options))
