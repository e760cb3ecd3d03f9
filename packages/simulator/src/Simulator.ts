/**
 * A local Stripe Workflows server on 127.0.0.1: the five `/v2/extend` endpoints and
 * `GET /v2/core/events/{id}` with Stripe's JSON, errors and headers, runs that finish as
 * scripted, signed thin-event webhooks, and a control API for faults. The official `stripe`
 * client works against it unchanged.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpServer from "@effect/platform/HttpServer"
import type { Workflow, WorkflowRun } from "@workflow-runs/core"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { createServer } from "node:http"
import * as ControlRequest from "./ControlRequest.js"
import * as DefaultWorkflows from "./DefaultWorkflows.js"
import { DeliveryFault, type DeliveryFaultInput, HttpFault, type HttpFaultInput } from "./Fault.js"
import * as Api from "./internal/Api.js"
import * as ControlApi from "./internal/ControlApi.js"
import * as Delivery from "./internal/Delivery.js"
import * as Engine from "./internal/Engine.js"
import * as IdGenerator from "./internal/IdGenerator.js"
import * as Server from "./internal/Server.js"
import type * as StripeError from "./internal/StripeError.js"
import { RunScript, WorkflowDefinition, type WorkflowDefinitionInput } from "./WorkflowDefinition.js"

/**
 * The API key the simulator accepts unless given others.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaultApiKey = "sk_test_workflow_runs_simulator"

/**
 * The API version to send; any version ending in `.preview` is accepted.
 *
 * @since 0.1.0
 * @category defaults
 */
export const apiVersion = "2026-04-22.preview"

/**
 * The path prefix of the control API.
 *
 * @since 0.1.0
 * @category defaults
 */
export const controlPrefix = "/_simulator"

/**
 * How to start a simulator. Every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Interface to listen on; default `127.0.0.1`. */
  readonly host?: string
  /** Port to listen on; default 0, a free port chosen by the operating system. */
  readonly port?: number
  /** Accepted API keys; default {@link defaultApiKey}. */
  readonly apiKeys?: ReadonlyArray<string>
  /** Keys that authenticate but lack access, rejected with 403 `permission_denied`. */
  readonly restrictedApiKeys?: ReadonlyArray<string>
  /** Workflows to serve; default {@link DefaultWorkflows.definitions}. */
  readonly workflows?: ReadonlyArray<WorkflowDefinitionInput>
  /** Seed of the id generator: the same seed and calls give the same ids. */
  readonly seed?: string
  /** How long an idempotency key is remembered; default 30 days, as Stripe's v2 API. */
  readonly idempotencyKeyTtl?: Duration.DurationInput
  /** Delays between webhook delivery attempts after a failed first one; default 1 s, 10 s, 60 s. */
  readonly deliveryRetryDelays?: ReadonlyArray<Duration.DurationInput>
  /** How long a delivery attempt waits for the receiver; default 10 s. */
  readonly deliveryTimeout?: Duration.DurationInput
  /** The outcome of runs of workflows without a script; default `succeeded` after 50 ms. */
  readonly defaultScript?: typeof RunScript.Encoded
  /** Page size without `limit` (default 10) and the largest honoured `limit` (default 100). */
  readonly listLimit?: { readonly default?: number; readonly max?: number }
  /** Largest accepted request body in bytes; default 1 MiB. */
  readonly maxBodyBytes?: number
  /** Base of the `dashboard_url` of failed events; default `https://dashboard.stripe.com/test`. */
  readonly dashboardUrl?: string
}

/**
 * A webhook destination: where deliveries go, which event types it receives (all when
 * `undefined`) and the secrets that currently sign them, newest first.
 *
 * @since 0.1.0
 * @category models
 */
export interface Destination {
  readonly id: string
  readonly url: string
  readonly eventTypes: ReadonlyArray<string> | undefined
  readonly secret: Redacted.Redacted<string>
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
}

/**
 * One webhook delivery attempt. `attempt` is 1 for the first try and 0 for a delivery that a
 * `drop` fault suppressed. `status` is `null` when no HTTP response arrived, and `at` is
 * wall-clock time.
 *
 * @since 0.1.0
 * @category models
 */
export type DeliveryAttempt = Delivery.DeliveryAttempt

/**
 * One API or control request the simulator handled; `status` is `null` for a dropped
 * connection.
 *
 * @since 0.1.0
 * @category models
 */
export type RequestRecord = Server.RequestRecord

/**
 * A control request that the simulator rejects: an invalid definition or fault, or an unknown
 * workflow, run or destination.
 *
 * @since 0.1.0
 * @category errors
 */
export class ControlError extends Schema.TaggedError<ControlError>("@workflow-runs/simulator/ControlError")(
  "ControlError",
  { reason: Schema.Literal("invalid", "not_found"), message: Schema.String }
) {}

/**
 * The simulator could not listen on `host:port`. `code` is Node's error code, such as
 * `EADDRINUSE` when another process listens on the port; `cause` is Node's error.
 *
 * @since 0.1.0
 * @category errors
 */
export class ListenError extends Schema.TaggedError<ListenError>("@workflow-runs/simulator/ListenError")(
  "ListenError",
  { host: Schema.String, port: Schema.Number, code: Schema.optional(Schema.String), cause: Schema.Defect }
) {
  /** `host:port`, with an IPv6 host in brackets. */
  get address(): string {
    return `${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`
  }

  override get message(): string {
    if (this.code === "EADDRINUSE") {
      return `${this.address} is already in use (EADDRINUSE): choose another port, or port 0 for a free one`
    }
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `Failed to listen on ${this.address}: ${reason}`
  }
}

const toListenError = (host: string, port: number) => (error: { readonly cause: unknown }) =>
  new ListenError({
    host,
    port,
    cause: error.cause,
    ...(error.cause instanceof Error && "code" in error.cause && typeof error.cause.code === "string"
      ? { code: error.cause.code }
      : {})
  })

/**
 * A running simulator: its base URL and API key, and the control functions, which do in process
 * what the control API does over HTTP.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Base URL, such as `http://127.0.0.1:12111`. */
  readonly url: string
  readonly host: string
  readonly port: number
  /** The first accepted API key. */
  readonly apiKey: string
  /** Adds a workflow or replaces the one with the same id. */
  readonly defineWorkflow: (definition: WorkflowDefinitionInput) => Effect.Effect<Workflow.Workflow, ControlError>
  /** Sets how runs of a workflow end; with `nextRuns`, only for that many upcoming runs. */
  readonly scriptWorkflow: (
    workflowId: string,
    script: typeof RunScript.Encoded,
    options?: { readonly nextRuns?: number }
  ) => Effect.Effect<void, ControlError>
  /** Reschedules how a started run ends, replacing its current schedule. */
  readonly scriptRun: (
    runId: string,
    script: typeof RunScript.Encoded
  ) => Effect.Effect<WorkflowRun.WorkflowRun, ControlError>
  /** Starts a run without invoke. */
  readonly startRun: (request: ControlRequest.StartRun) => Effect.Effect<WorkflowRun.WorkflowRun, ControlError>
  /** The current state of a run. */
  readonly retrieveRun: (runId: string) => Effect.Effect<WorkflowRun.WorkflowRun, ControlError>
  /** Registers a webhook destination; without a secret one is generated. */
  readonly registerDestination: (
    registration: ControlRequest.DestinationRegistration
  ) => Effect.Effect<Destination, ControlError>
  /** Rolls a destination's secret. The previous one keeps signing for `previous_expires_in_ms` (default 24 h). */
  readonly rollSecret: (
    destinationId: string,
    roll?: ControlRequest.SecretRoll
  ) => Effect.Effect<Destination, ControlError>
  /** Arms a fault on upcoming API requests. */
  readonly injectFault: (fault: HttpFaultInput) => Effect.Effect<void, ControlError>
  /** Disarms every API request fault. */
  readonly clearFaults: Effect.Effect<void>
  /** Arms a fault on upcoming webhook deliveries. */
  readonly injectDeliveryFault: (fault: DeliveryFaultInput) => Effect.Effect<void, ControlError>
  /** Holds every invoke this long before it commits, keeping its idempotency key in flight. */
  readonly setProcessingDelay: (delay: Duration.DurationInput) => Effect.Effect<void>
  /**
   * The thin events created so far, oldest first, as `GET /v2/core/events/{id}` returns them;
   * with `relatedObjectId`, only the events of that object (a run id).
   */
  readonly events: (filter?: { readonly relatedObjectId?: string }) => Effect.Effect<
    ReadonlyArray<Readonly<Record<string, unknown>>>
  >
  /** Webhook delivery attempts so far, oldest first (the latest 10,000). */
  readonly deliveries: Effect.Effect<ReadonlyArray<DeliveryAttempt>>
  /** Requests handled so far, oldest first (the latest 10,000). */
  readonly requests: Effect.Effect<ReadonlyArray<RequestRecord>>
}

/**
 * The running simulator, provided by {@link layer}.
 *
 * @since 0.1.0
 * @category tags
 */
export class Simulator extends Context.Tag("@workflow-runs/simulator/Simulator")<Simulator, Service>() {}

const decodeWith = <A, I>(schema: Schema.Schema<A, I>, what: string) => (input: unknown) =>
  Schema.decodeUnknown(schema)(input).pipe(
    Effect.mapError((error) => new ControlError({ reason: "invalid", message: `Invalid ${what}: ${error.message}` }))
  )

const notFound = (what: string, id: string) =>
  new ControlError({ reason: "not_found", message: `No ${what} has the id ${JSON.stringify(id)}.` })

const fromApiError = (error: StripeError.ApiError) =>
  new ControlError({ reason: error.status === 404 ? "not_found" : "invalid", message: error.message })

/**
 * Starts a simulator in the current scope and returns it; closing the scope stops the server,
 * its timers and its webhook senders. Fails with a {@link ListenError} when it cannot listen,
 * such as on a port that another process uses.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service, ListenError, Scope.Scope> =>
  Effect.gen(function*() {
    const ids = IdGenerator.make(options.seed)
    const delivery = yield* Delivery.make({
      ids,
      retryDelays: (options.deliveryRetryDelays ?? ["1 second", "10 seconds", "60 seconds"]).map(Duration.decode),
      timeout: Duration.decode(options.deliveryTimeout ?? "10 seconds"),
      maxLoggedAttempts: 10_000
    })
    const engine = yield* Engine.make({
      ids,
      delivery,
      idempotencyKeyTtl: Duration.decode(options.idempotencyKeyTtl ?? "30 days"),
      defaultScript: Schema.decodeUnknownSync(RunScript)(options.defaultScript ?? {}),
      dashboardUrl: options.dashboardUrl ?? "https://dashboard.stripe.com/test"
    })
    for (const definition of options.workflows ?? DefaultWorkflows.definitions) {
      yield* engine.defineWorkflow(Schema.decodeUnknownSync(WorkflowDefinition)(definition))
    }

    const toDestination = (destination: Delivery.Destination) =>
      Effect.map(delivery.activeSecrets(destination), (secrets): Destination => ({
        id: destination.id,
        url: destination.url,
        eventTypes: destination.eventTypes,
        secret: destination.secrets[0]!.secret,
        secrets
      }))

    const server = Server.make(
      { ids, controlPrefix, maxLoggedRequests: 10_000 },
      Api.make(engine, {
        apiKeys: new Set(options.apiKeys ?? [defaultApiKey]),
        restrictedApiKeys: new Set(options.restrictedApiKeys ?? []),
        listLimit: { default: options.listLimit?.default ?? 10, max: options.listLimit?.max ?? 100 },
        maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024
      }),
      (request) => ControlApi.handle(service, request, options.maxBodyBytes ?? 1024 * 1024)
    )

    const nodeServer = createServer()
    const listenOn = { host: options.host ?? "127.0.0.1", port: options.port ?? 0 }
    const httpServer = yield* NodeHttpServer.make(() => nodeServer, listenOn).pipe(
      Effect.mapError(toListenError(listenOn.host, listenOn.port))
    )
    // Runs before the server's own close, which would otherwise wait for keep-alive clients.
    yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
    yield* HttpServer.serveEffect(server.app).pipe(Effect.provideService(HttpServer.HttpServer, httpServer))
    const address = httpServer.address
    const host = address._tag === "TcpAddress" ? address.hostname : "127.0.0.1"
    const port = address._tag === "TcpAddress" ? address.port : 0
    const urlHost = host.includes(":") ? `[${host}]` : host

    const service: Service = {
      url: `http://${urlHost}:${port}`,
      host,
      port,
      apiKey: (options.apiKeys ?? [defaultApiKey])[0] ?? defaultApiKey,
      defineWorkflow: Effect.fn("Simulator.defineWorkflow")(function*(input) {
        const definition = yield* decodeWith(WorkflowDefinition, "workflow definition")(input)
        const record = yield* engine.defineWorkflow(definition)
        return record.workflow
      }),
      scriptWorkflow: Effect.fn("Simulator.scriptWorkflow")(function*(workflowId, input, scriptOptions) {
        const script = yield* decodeWith(RunScript, "run script")(input)
        const found = yield* engine.scriptWorkflow(workflowId, script, scriptOptions?.nextRuns)
        if (!found) return yield* Effect.fail(notFound("workflow", workflowId))
      }),
      scriptRun: Effect.fn("Simulator.scriptRun")(function*(runId, input) {
        const script = yield* decodeWith(RunScript, "run script")(input)
        const record = yield* engine.scriptRun(runId, script).pipe(Effect.mapError(fromApiError))
        return record.run
      }),
      startRun: Effect.fn("Simulator.startRun")(function*(input) {
        const request = yield* decodeWith(ControlRequest.StartRun, "run start")(input)
        const record = yield* engine.startRun(
          request.workflow,
          request.trigger === "dashboard"
            ? { type: "dashboard", inputParameters: request.input_parameters }
            : {
              type: "event_trigger",
              context: request.context,
              eventId: request.event_id,
              eventType: request.event_type
            }
        ).pipe(Effect.mapError(fromApiError))
        return record.run
      }),
      retrieveRun: Effect.fn("Simulator.retrieveRun")(function*(runId) {
        const record = engine.run(runId)
        if (record === undefined) return yield* Effect.fail(notFound("workflow run", runId))
        return record.run
      }),
      registerDestination: Effect.fn("Simulator.registerDestination")(function*(input) {
        const registration = yield* decodeWith(ControlRequest.DestinationRegistration, "destination")(input)
        const destination = yield* delivery.register({
          url: registration.url,
          secret: registration.secret,
          eventTypes: registration.event_types
        })
        return yield* toDestination(destination)
      }),
      rollSecret: Effect.fn("Simulator.rollSecret")(function*(destinationId, input) {
        const roll = yield* decodeWith(ControlRequest.SecretRoll, "secret roll")(input ?? {})
        const rolled = yield* delivery.rollSecret(destinationId, {
          secret: roll.secret,
          previousExpiresInMs: roll.previous_expires_in_ms
        })
        if (Option.isNone(rolled)) return yield* Effect.fail(notFound("destination", destinationId))
        return yield* toDestination(rolled.value)
      }),
      injectFault: Effect.fn("Simulator.injectFault")(function*(input) {
        const fault = yield* decodeWith(HttpFault, "fault")(input)
        server.injectFault(fault)
      }),
      clearFaults: Effect.sync(server.clearFaults),
      injectDeliveryFault: Effect.fn("Simulator.injectDeliveryFault")(function*(input) {
        const fault = yield* decodeWith(DeliveryFault, "delivery fault")(input)
        delivery.injectFault(fault)
      }),
      setProcessingDelay: (delay) => engine.setProcessingDelay(Duration.decode(delay)),
      events: (filter) =>
        Effect.sync(() =>
          engine.events()
            .map((event) => event.json)
            .filter((json) =>
              filter?.relatedObjectId === undefined ||
              (json.related_object as { readonly id?: unknown } | undefined)?.id === filter.relatedObjectId
            )
        ),
      deliveries: Effect.sync(delivery.attempts),
      requests: Effect.sync(server.requests)
    }
    return service
  })

/**
 * A layer that starts a simulator for its lifetime and provides it as {@link Simulator}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Simulator, ListenError> =>
  Layer.scoped(Simulator, make(options))

/**
 * A layer like {@link layer} whose options come from `config`, for programs that read the
 * simulator's host, port or seed from the environment.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<Options>
): Layer.Layer<Simulator, ListenError | ConfigError.ConfigError> =>
  Layer.scoped(Simulator, Effect.flatMap(config, make))
