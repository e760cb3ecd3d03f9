import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Ids } from "@workflow-runs/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { IncomingMessage } from "node:http"
import * as ApiKey from "./ApiKey.js"
import type { Engine } from "./Engine.js"
import * as Json from "./Json.js"
import * as Pagination from "./Pagination.js"
import * as Query from "./Query.js"
import * as StripeError from "./StripeError.js"

/** @internal */
export interface ApiOptions {
  readonly apiKeys: ReadonlySet<string>
  readonly restrictedApiKeys: ReadonlySet<string>
  readonly listLimit: { readonly default: number; readonly max: number }
  readonly maxBodyBytes: number
}

/** @internal */
export interface ApiRequest {
  readonly method: string
  readonly pathname: string
  readonly search: string
  readonly requestId: string
  readonly headers: Readonly<Record<string, string | undefined>>
}

const json = (body: unknown) => HttpServerResponse.text(JSON.stringify(body), { contentType: "application/json" })

const fail = (error: StripeError.ApiError) => Effect.fail(error)

const workflowStatuses = ["active", "archived", "draft", "inactive"]
const runStatuses = ["started", "succeeded", "failed"]

const isWorkflowId = Schema.is(Ids.WorkflowId)
const isRunId = Schema.is(Ids.WorkflowRunId)
const isEventId = Schema.is(Ids.StripeEventId)

const decodeSegment = (segment: string, what: string): Either.Either<string, StripeError.ApiError> => {
  try {
    return Either.right(decodeURIComponent(segment))
  } catch {
    return Either.left(
      StripeError.notFound(`No ${what} has the id ${JSON.stringify(segment)}: it is not valid percent-encoding.`)
    )
  }
}

const resolveId = (segment: string, what: string, valid: (id: string) => boolean) =>
  Effect.flatMap(decodeSegment(segment, what), (id) =>
    valid(id)
      ? Effect.succeed(id)
      : fail(
        StripeError.notFound(
          `No ${what} has the id ${
            JSON.stringify(id)
          }: ids are 1 to 255 characters without "/" or control characters, other than "." and "..".`
        )
      ))

const maxBodyDepth = 64

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * Reads and parses a JSON request body, rejecting other content types, bodies over the size
 * limit, bodies that are not UTF-8, malformed JSON and JSON nested more than 64 levels deep.
 * An empty body reads as `undefined`.
 *
 * @internal
 */
export const readJsonBody = (request: HttpServerRequest.HttpServerRequest, maxBodyBytes: number) =>
  Effect.gen(function*() {
    const bytes = yield* readBytes(NodeHttpServerRequest.toIncomingMessage(request), maxBodyBytes)
    if (bytes === undefined) return yield* fail(tooLarge(maxBodyBytes))
    if (bytes.length === 0) return undefined
    const contentType = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
    if (contentType !== "application/json") {
      return yield* fail(
        StripeError.invalidRequest(
          "invalid_content_type",
          `Content-Type ${
            JSON.stringify(request.headers["content-type"] ?? "")
          } is not supported; send the body as JSON with Content-Type: application/json.`,
          415
        )
      )
    }
    let text: string
    try {
      text = utf8.decode(bytes)
    } catch {
      return yield* fail(StripeError.invalidRequest("invalid_json", "The request body is not valid UTF-8."))
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      return yield* fail(
        StripeError.invalidRequest(
          "invalid_json",
          `The request body is not valid JSON (${error instanceof Error ? error.message : String(error)}).`
        )
      )
    }
    // Fingerprinting and serializing the body recurse, so a deeper body would overflow the stack.
    if (Json.nestsDeeperThan(parsed, maxBodyDepth)) {
      return yield* fail(
        StripeError.invalidRequest(
          "request_body_too_deep",
          `The request body nests arrays or objects more than ${maxBodyDepth} levels deep; send a flatter body.`
        )
      )
    }
    return parsed
  })

// Reads the body, or returns `undefined` once it exceeds `maxBodyBytes`. The rest of an
// oversized body is read and discarded, because destroying the socket would reset the connection
// before the client reads the 413.
const readBytes = (incoming: IncomingMessage, maxBodyBytes: number) =>
  Effect.async<Buffer | undefined>((resume) => {
    if (incoming.readableEnded) return resume(Effect.succeed(Buffer.alloc(0)))
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBodyBytes) chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.succeed(size > maxBodyBytes ? undefined : Buffer.concat(chunks)))
    }
    const onError = () => {
      cleanup()
      resume(Effect.succeed(size > maxBodyBytes ? undefined : Buffer.concat(chunks)))
    }
    const cleanup = () => {
      incoming.off("data", onData)
      incoming.off("end", onEnd)
      incoming.off("error", onError)
    }
    if (Number(incoming.headers["content-length"] ?? "0") > maxBodyBytes) {
      incoming.resume()
      return resume(Effect.succeed(undefined))
    }
    incoming.on("data", onData)
    incoming.on("end", onEnd)
    incoming.on("error", onError)
  })

const tooLarge = (maxBodyBytes: number) =>
  StripeError.invalidRequest(
    "request_body_too_large",
    `The request body is larger than ${maxBodyBytes} bytes; send a smaller body.`,
    413
  )

const unknownParameters = (query: Query.Query, allowed: ReadonlyArray<string>) => {
  const unknown = [...query.values.keys()].filter((name) => !allowed.includes(name))
  return unknown.length === 0 ? Effect.void : fail(
    StripeError.invalidRequest(
      "invalid_fields",
      `Unknown query parameter ${unknown.map((name) => JSON.stringify(name)).join(", ")}; this endpoint takes ${
        allowed.length === 0 ? "none" : allowed.join(", ")
      }.`
    )
  )
}

const readCursor = (
  query: Query.Query,
  list: string,
  options: ApiOptions,
  filters: ReadonlyArray<{ readonly name: string; readonly allowed?: ReadonlyArray<string> }>
) =>
  Effect.gen(function*() {
    const page = yield* Query.single(query, "page").pipe(Either.mapLeft(invalidField))
    if (page !== undefined) {
      const cursor = yield* Pagination.decode(page).pipe(Either.mapLeft(invalidField))
      if (cursor.filters.list?.[0] !== list) {
        return yield* fail(invalidField(`page ${JSON.stringify(page)} belongs to another list`))
      }
      return cursor
    }
    const rawLimit = yield* Query.single(query, "limit").pipe(Either.mapLeft(invalidField))
    let limit = options.listLimit.default
    if (rawLimit !== undefined) {
      const parsed = Number(rawLimit)
      if (!/^\d+$/.test(rawLimit) || parsed < 1) {
        return yield* fail(invalidField(`limit must be a positive integer, got ${JSON.stringify(rawLimit)}`))
      }
      limit = Math.min(parsed, options.listLimit.max)
    }
    const values: Record<string, ReadonlyArray<string>> = { list: [list] }
    for (const filter of filters) {
      const given = Query.array(query, filter.name)
      const invalid = filter.allowed === undefined ? [] : given.filter((value) => !filter.allowed!.includes(value))
      if (invalid.length > 0) {
        return yield* fail(
          invalidField(
            `${filter.name} ${JSON.stringify(invalid[0])} is not one of ${filter.allowed!.join(", ")}`
          )
        )
      }
      if (given.length > 0) values[filter.name] = given
    }
    return { direction: "next" as const, from: Number.MAX_SAFE_INTEGER, limit, filters: values }
  })

const invalidField = (message: string) => StripeError.invalidRequest("invalid_fields", `Invalid query: ${message}.`)

const pageBody = <A extends { readonly seq: number; readonly json: unknown }>(
  path: string,
  page: Pagination.Page<A>
) => ({
  data: page.data.map((item) => item.json),
  next_page_url: page.next === undefined ? null : `${path}?page=${Pagination.encode(page.next)}`,
  previous_page_url: page.previous === undefined ? null : `${path}?page=${Pagination.encode(page.previous)}`
})

const authenticate = (request: ApiRequest, options: ApiOptions) => {
  const header = request.headers["authorization"]
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (match === null) {
    return fail(
      StripeError.apiKeyInvalid(
        "You did not provide an API key. Send it as Authorization: Bearer <key> (the simulator's default test key is sk_test_workflow_runs_simulator)."
      )
    )
  }
  const key = match[1]!
  if (options.restrictedApiKeys.has(key)) {
    return fail(
      StripeError.permissionDenied(
        `The API key ${
          ApiKey.redact(key)
        } does not have access to the Workflows API; use a secret key with full access.`
      )
    )
  }
  if (!options.apiKeys.has(key)) {
    return fail(StripeError.apiKeyInvalid(`Invalid API key provided: ${ApiKey.redact(key)}.`))
  }
  return Effect.succeed(key)
}

const checkVersion = (request: ApiRequest) => {
  const version = request.headers["stripe-version"]
  if (version === undefined || version.trim() === "") {
    return fail(
      StripeError.missingApiVersion(
        "The Stripe-Version header is required on /v2 requests; send Stripe-Version: 2026-04-22.preview."
      )
    )
  }
  if (!version.endsWith(".preview")) {
    return fail(
      StripeError.invalidRequest(
        "invalid_api_version",
        `Stripe-Version ${
          JSON.stringify(version)
        } does not serve the Workflows API; send a preview version such as 2026-04-22.preview.`
      )
    )
  }
  return Effect.void
}

/**
 * Serves the Workflows endpoints and `GET /v2/core/events/{id}`: authentication, the
 * `Stripe-Version` check, routing and the handlers.
 *
 * @internal
 */
export const make = (engine: Engine, options: ApiOptions) => {
  const listWorkflows = (query: Query.Query) =>
    Effect.gen(function*() {
      yield* unknownParameters(query, ["limit", "status", "page"])
      const cursor = yield* readCursor(query, "workflows", options, [{ name: "status", allowed: workflowStatuses }])
      const statuses = cursor.filters.status ?? ["active", "inactive"]
      const page = Pagination.page(
        engine.workflows(),
        (record) => statuses.includes(record.json.status),
        cursor
      )
      return json(pageBody("/v2/extend/workflows", page))
    })

  const listRuns = (query: Query.Query) =>
    Effect.gen(function*() {
      yield* unknownParameters(query, ["limit", "status", "workflow", "page"])
      const cursor = yield* readCursor(query, "workflow_runs", options, [
        { name: "status", allowed: runStatuses },
        { name: "workflow" }
      ])
      const statuses = cursor.filters.status
      const workflows = cursor.filters.workflow
      const page = Pagination.page(
        engine.runs(),
        (record) =>
          (statuses === undefined || statuses.includes(record.json.status)) &&
          (workflows === undefined || workflows.includes(record.json.workflow)),
        cursor
      )
      return json(pageBody("/v2/extend/workflow_runs", page))
    })

  const retrieve = <A extends { readonly json: unknown }>(
    segment: string,
    what: string,
    valid: (id: string) => boolean,
    lookup: (id: string) => A | undefined
  ) =>
    Effect.gen(function*() {
      const id = yield* resolveId(segment, what, valid)
      const record = lookup(id)
      if (record === undefined) {
        return yield* fail(StripeError.notFound(`No ${what} has the id ${JSON.stringify(id)}.`))
      }
      return json(record.json)
    })

  const invoke = (request: ApiRequest, segment: string, key: string) =>
    Effect.gen(function*() {
      const workflowId = yield* resolveId(segment, "workflow", isWorkflowId)
      const serverRequest = yield* HttpServerRequest.HttpServerRequest
      const body = yield* readJsonBody(serverRequest, options.maxBodyBytes)
      const context = request.headers["stripe-context"]
      const record = yield* engine.invoke({
        workflowId,
        body,
        fingerprint: Json.canonical(body ?? null),
        idempotencyKey: request.headers["idempotency-key"],
        scope: `${key}\u0000${context ?? ""}\u0000POST ${request.pathname}`,
        requestId: request.requestId,
        context
      })
      return json(record.json)
    })

  return (request: ApiRequest) =>
    Effect.gen(function*() {
      const key = yield* authenticate(request, options)
      if (request.pathname.startsWith("/v2/")) yield* checkVersion(request)
      const query = yield* Query.parse(request.search).pipe(Either.mapLeft(invalidField))
      const segments = request.pathname.split("/").slice(1)
      const route = `${request.method} ${segments.length}`
      const [v2, area, resource, id, action] = segments
      if (v2 === "v2" && area === "extend" && resource === "workflows") {
        if (route === "GET 3") return yield* listWorkflows(query)
        if (route === "GET 4") {
          return yield* Effect.zipRight(
            unknownParameters(query, []),
            retrieve(id!, "workflow", isWorkflowId, engine.workflow)
          )
        }
        if (route === "POST 5" && action === "invoke") return yield* invoke(request, id!, key)
      }
      if (v2 === "v2" && area === "extend" && resource === "workflow_runs") {
        if (route === "GET 3") return yield* listRuns(query)
        if (route === "GET 4") {
          return yield* Effect.zipRight(
            unknownParameters(query, []),
            retrieve(id!, "workflow run", isRunId, engine.run)
          )
        }
      }
      if (v2 === "v2" && area === "core" && resource === "events" && route === "GET 4") {
        return yield* Effect.zipRight(unknownParameters(query, []), retrieve(id!, "event", isEventId, engine.event))
      }
      return yield* fail(
        StripeError.notFound(
          `Unrecognized request URL (${request.method}: ${request.pathname}). The simulator serves GET /v2/extend/workflows, GET /v2/extend/workflows/{id}, POST /v2/extend/workflows/{id}/invoke, GET /v2/extend/workflow_runs, GET /v2/extend/workflow_runs/{id} and GET /v2/core/events/{id}.`
        )
      )
    })
}
