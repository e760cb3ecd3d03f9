import { Workflow, WorkflowRun } from "@workflow-runs/core"
import * as Chunk from "effect/Chunk"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Event from "../Event.js"
import * as RequestObserver from "../RequestObserver.js"
import * as StripeError from "../StripeError.js"
import type * as Workflows from "../Workflows.js"
import { publishableKeyMessage } from "./config.js"
import type { Endpoint, EndpointError, RawResponse } from "./errors.js"
import { type ApiRequest, type ClientSettings, makeSender, type Transport } from "./http.js"
import { type BaseService, withInputSchema } from "./invoke.js"
import { listQuery } from "./query.js"
import { decodeCommonRun } from "./runDecoder.js"

const defaultApiBase = "https://api.stripe.com"
/**
 * The API version this library is written against.
 *
 * @internal
 */
export const defaultApiVersion = "2026-04-22.preview"

const invalid = (option: string, message: string) => ConfigError.InvalidData([option], message)

/**
 * Checks the options of the live layer and fills in the defaults.
 *
 * @internal
 */
export const resolveSettings = (options: Workflows.Options): Effect.Effect<ClientSettings, ConfigError.ConfigError> =>
  Effect.gen(function*() {
    const base = options.apiBase ?? defaultApiBase
    let apiBase: URL
    try {
      apiBase = new URL(base)
    } catch {
      return yield* Effect.fail(
        invalid("apiBase", `Expected an http or https URL, got ${JSON.stringify(String(base))}`)
      )
    }
    if (apiBase.protocol !== "http:" && apiBase.protocol !== "https:") {
      return yield* Effect.fail(
        invalid("apiBase", `Expected an http or https URL, got ${JSON.stringify(String(base))}`)
      )
    }
    if (Redacted.value(options.apiKey).trim() === "") {
      return yield* Effect.fail(
        invalid("apiKey", "Expected a secret key such as sk_test_... or sk_live_..., got an empty string")
      )
    }
    if (Redacted.value(options.apiKey).trim().startsWith("pk_")) {
      return yield* Effect.fail(invalid("apiKey", publishableKeyMessage))
    }
    const maxRetries = options.maxRetries ?? 2
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      return yield* Effect.fail(invalid("maxRetries", `Expected a non-negative integer, got ${maxRetries}`))
    }
    const durations: Array<[string, Duration.DurationInput | undefined, Duration.DurationInput]> = [
      ["timeout", options.timeout, Duration.seconds(80)],
      ["retryBaseDelay", options.retryBaseDelay, Duration.millis(500)],
      ["retryMaxDelay", options.retryMaxDelay, Duration.seconds(5)]
    ]
    const [timeout, retryBaseDelay, retryMaxDelay] = yield* Effect.forEach(durations, ([name, given, fallback]) => {
      const decoded = Duration.decodeUnknown(given ?? fallback)
      return Option.isSome(decoded)
        ? Effect.succeed(decoded.value)
        : Effect.fail(invalid(name, `Expected a duration such as "30 seconds", got ${JSON.stringify(given)}`))
    })
    // A zero timeout would fail every request before it is sent. The retry delays may be zero.
    if (!Duration.greaterThan(timeout!, Duration.zero)) {
      return yield* Effect.fail(
        invalid("timeout", `Expected a positive duration, such as "30 seconds", got ${Duration.format(timeout!)}`)
      )
    }
    return {
      apiKey: options.apiKey,
      apiBase,
      apiVersion: options.apiVersion ?? defaultApiVersion,
      stripeContext: options.stripeContext,
      maxRetries,
      timeout: timeout!,
      retryBaseDelay: retryBaseDelay!,
      retryMaxDelay: retryMaxDelay!
    }
  })

/**
 * A v2 list page: the items and the path of the next page, if any.
 *
 * @internal
 */
export const Page = <S extends Schema.Schema.Any>(item: S) =>
  Schema.Struct({
    data: Schema.Array(item),
    next_page_url: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true })
  })

const decodeError = (response: RawResponse, path: string, message: string) => {
  const requestId = response.headers["request-id"]
  return new StripeError.StripeDecodeError({
    status: response.status,
    path,
    message,
    body: response.body,
    ...(requestId === undefined ? {} : { requestId })
  })
}

const formatPath = (path: ReadonlyArray<PropertyKey>) => path.map(String).join(".")

/**
 * Makes a decoder of 2xx bodies for `schema`, which fails with a `StripeDecodeError` naming the
 * path. The parser is built once per schema rather than per response, and it runs synchronously:
 * the result is an `Either`, itself an effect. A `fastPath`, when given, runs first: it returns
 * the schema's value for the inputs it handles and `undefined` for the rest. The schema decodes
 * the rest and reports every error.
 *
 * @internal
 */
export const bodyDecoder = <A, I>(schema: Schema.Schema<A, I>, fastPath?: (json: unknown) => A | undefined) => {
  const parse = Schema.decodeUnknownEither(schema)
  return (response: RawResponse): Either.Either<A, StripeError.StripeDecodeError> => {
    let json: unknown
    try {
      json = JSON.parse(response.body)
    } catch {
      return Either.left(decodeError(response, "", "The response body is not JSON"))
    }
    const fast = fastPath?.(json)
    if (fast !== undefined) return Either.right(fast)
    const decoded = parse(json)
    if (Either.isRight(decoded)) return Either.right(decoded.right)
    const [first] = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
    const path = first === undefined ? "" : formatPath(first.path)
    return Either.left(decodeError(response, path, first?.message ?? decoded.left.message))
  }
}

/**
 * Decodes a 2xx body with `schema`, or fails with a `StripeDecodeError` naming the path.
 *
 * @internal
 */
export const decodeBody = <A, I>(schema: Schema.Schema<A, I>, response: RawResponse) => bodyDecoder(schema)(response)

/**
 * Builds the live service over a transport.
 *
 * @internal
 */
export const makeLive = (settings: ClientSettings, transport: Transport) =>
  Effect.gen(function*() {
    const send = makeSender(transport, settings, yield* Effect.serviceOption(RequestObserver.RequestObserver))

    // Each decoder is built once, with the service, not per request.
    const request = <A, E extends Endpoint>(
      decode: (response: RawResponse) => Either.Either<A, StripeError.StripeDecodeError>,
      spec: ApiRequest<E>
    ): Effect.Effect<A, EndpointError<E>> =>
      Effect.flatMap(send(spec), (response) => {
        const decoded: Effect.Effect<A, StripeError.StripeError> = decode(response)
        return decoded as Effect.Effect<A, EndpointError<E>>
      })
    const decodeRun = bodyDecoder(WorkflowRun.WorkflowRun, decodeCommonRun)
    const decodeWorkflow = bodyDecoder(Workflow.Workflow)
    const decodeEvent = bodyDecoder(Event.Event)

    const list = <A, I>(
      schema: Schema.Schema<A, I>,
      firstPath: string,
      options: Workflows.RequestOptions,
      operation: RequestObserver.Operation
    ) => {
      const page = bodyDecoder(Page(schema))
      const endpoint: Endpoint = { _tag: "List" }
      return Stream.paginateChunkEffect(firstPath, (path) =>
        request(page, {
          method: "GET",
          path,
          endpoint,
          operation,
          stripeContext: options.stripeContext,
          timeout: options.timeout,
          triggeringEventId: options.triggeringEventId
        }).pipe(
          Effect.map((result) => [Chunk.fromIterable(result.data), Option.fromNullable(result.next_page_url)] as const)
        ))
    }

    const base: BaseService = {
      invokeWorkflow: (workflowId, body, options) =>
        request(decodeRun, {
          method: "POST",
          path: `/v2/extend/workflows/${encodeURIComponent(workflowId)}/invoke`,
          body,
          idempotencyKey: options.idempotencyKey,
          stripeContext: options.stripeContext,
          timeout: options.timeout,
          triggeringEventId: options.triggeringEventId,
          endpoint: { _tag: "Invoke", workflowId, idempotencyKey: options.idempotencyKey },
          operation: "invoke_workflow",
          parentSpan: options.span
        }),

      retrieveWorkflow: Effect.fn("Workflows.retrieveWorkflow")(function*(workflowId, options = {}) {
        yield* Effect.annotateCurrentSpan({ workflow_id: workflowId })
        return yield* request(decodeWorkflow, {
          method: "GET",
          path: `/v2/extend/workflows/${encodeURIComponent(workflowId)}`,
          endpoint: { _tag: "Workflow", workflowId },
          operation: "retrieve_workflow",
          ...options
        })
      }),

      listWorkflows: (options = {}) =>
        list(
          Workflow.Workflow,
          `/v2/extend/workflows${listQuery({ status: options.status, limit: options.limit })}`,
          options,
          "list_workflows"
        ).pipe(Stream.withSpan("Workflows.listWorkflows")),

      retrieveWorkflowRun: Effect.fn("Workflows.retrieveWorkflowRun")(function*(runId, options = {}) {
        yield* Effect.annotateCurrentSpan({ run_id: runId })
        return yield* request(decodeRun, {
          method: "GET",
          path: `/v2/extend/workflow_runs/${encodeURIComponent(runId)}`,
          endpoint: { _tag: "WorkflowRun", runId },
          operation: "retrieve_workflow_run",
          ...options
        })
      }),

      listWorkflowRuns: (options = {}) =>
        list(
          WorkflowRun.WorkflowRun,
          `/v2/extend/workflow_runs${
            listQuery({ status: options.status, workflow: options.workflow, limit: options.limit })
          }`,
          options,
          "list_workflow_runs"
        ).pipe(Stream.withSpan("Workflows.listWorkflowRuns")),

      retrieveEvent: Effect.fn("Workflows.retrieveEvent")(function*(eventId, options = {}) {
        yield* Effect.annotateCurrentSpan({ event_id: eventId })
        return yield* request(decodeEvent, {
          method: "GET",
          path: `/v2/core/events/${encodeURIComponent(eventId)}`,
          endpoint: { _tag: "Event", eventId },
          operation: "retrieve_event",
          ...options
        })
      })
    }

    return withInputSchema(base)
  })
