/**
 * The audit HTTP API under `/audit`, behind a bearer token: a run's history, run search with the
 * store's filters and cursor, totals, and `verify` with an optional expected anchor.
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Ids } from "@workflow-runs/core"
import { RunLog } from "@workflow-runs/store"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { createHash, timingSafeEqual } from "node:crypto"
import * as AnchorText from "./AnchorText.js"
import { toJson } from "./internal/json.js"
import { redactSecrets } from "./internal/redact.js"
import { checkTimeRange, parseIsoTime } from "./internal/time.js"

class BadParameter extends Schema.TaggedError<BadParameter>()("BadParameter", {
  name: Schema.String,
  message: Schema.String
}) {}

const badRequest = (message: string) =>
  HttpServerResponse.unsafeJson({ error: { type: "invalid_request", message } }, { status: 400 })

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest()

/**
 * Checks whether an `Authorization` header carries the token, compared in constant time (over SHA-256
 * digests, so the comparison does not reveal the token's length either).
 *
 * @since 0.1.0
 * @category authentication
 */
export const isAuthorized = (header: string | undefined, token: Redacted.Redacted<string>): boolean => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")
  const given = sha256(match?.[1] ?? "")
  const equal = timingSafeEqual(given, sha256(Redacted.value(token)))
  return match !== null && equal
}

type SearchParams = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

// A parameter given twice is rejected rather than one of its values picked silently.
const optionalParam = (params: SearchParams, name: string): Effect.Effect<Option.Option<string>, BadParameter> => {
  const value = params[name]
  if (typeof value === "object") {
    return Effect.fail(new BadParameter({ name, message: `${name} is given more than once; give it at most once` }))
  }
  return Effect.succeed(value === undefined || value === "" ? Option.none() : Option.some(value))
}

// Reads the query parameters of an endpoint that accepts `known`, and rejects any other name,
// so that a misspelt filter such as `worklow` fails instead of returning every run.
const searchParams = (known: ReadonlyArray<string>) =>
  Effect.flatMap(HttpServerRequest.ParsedSearchParams, (params) => {
    const unknown = Object.keys(params).find((name) => !known.includes(name))
    return unknown === undefined
      ? Effect.succeed(params)
      : Effect.fail(
        new BadParameter({
          name: unknown,
          message: `Unknown parameter ${JSON.stringify(unknown)}; ${
            known.length === 0 ? "this endpoint takes none" : `use ${known.join(", ")}`
          }`
        })
      )
  })

const timeParam = (params: SearchParams, name: string) =>
  Effect.flatMap(optionalParam(params, name), (text) =>
    Option.match(text, {
      onNone: () => Effect.succeed(undefined),
      onSome: (text) =>
        Option.match(parseIsoTime(text), {
          onNone: () =>
            Effect.fail(
              new BadParameter({
                name,
                message:
                  `${name} must be an ISO 8601 date or time with Z or an offset, in the years 0001 to 9999, with at most nine digits after the seconds, got ${
                    JSON.stringify(text)
                  }`
              })
            ),
          onSome: Effect.succeed
        })
    }))

// Reads both ends of a time range, and fails with `TimeRangeReversed` when `from` is after `to`.
const rangeParams = (params: SearchParams) =>
  Effect.gen(function*() {
    const from = yield* timeParam(params, "from")
    const to = yield* timeParam(params, "to")
    yield* checkTimeRange({
      from: from === undefined ? undefined : { text: String(params.from), time: from },
      to: to === undefined ? undefined : { text: String(params.to), time: to }
    }, "")
    return { from, to }
  })

const limitParam = (params: SearchParams) =>
  Effect.flatMap(optionalParam(params, "limit"), (text) =>
    Option.match(text, {
      onNone: () => Effect.succeed(undefined),
      onSome: (text) =>
        /^\d{1,4}$/.test(text) && Number(text) >= 1 && Number(text) <= 1000
          ? Effect.succeed(Number(text))
          : Effect.fail(
            new BadParameter({
              name: "limit",
              message: `limit must be an integer from 1 to 1000, got ${JSON.stringify(text)}`
            })
          )
    }))

const workflowParam = (params: SearchParams) =>
  Effect.flatMap(optionalParam(params, "workflow"), (text) =>
    Option.match(text, {
      onNone: () => Effect.succeed(undefined),
      onSome: (text) =>
        Schema.decodeUnknown(Ids.WorkflowId)(text).pipe(
          Effect.mapError(() =>
            new BadParameter({
              name: "workflow",
              message: `workflow must be a workflow id of 1 to 255 characters without "/" or control characters, got ${
                JSON.stringify(text)
              }`
            })
          )
        )
    }))

const statuses = ["started", "succeeded", "failed"] as const

const statusParam = (params: SearchParams) =>
  Effect.flatMap(optionalParam(params, "status"), (text) =>
    Option.match(text, {
      onNone: () => Effect.succeed(undefined),
      onSome: (text) =>
        (statuses as ReadonlyArray<string>).includes(text)
          ? Effect.succeed(text)
          : Effect.fail(
            new BadParameter({
              name: "status",
              message: `status must be one of ${statuses.join(", ")}, got ${JSON.stringify(text)}`
            })
          )
    }))

const history = Effect.gen(function*() {
  const { runId } = yield* HttpRouter.params
  yield* searchParams([])
  const log = yield* RunLog.RunLog
  const id = yield* Schema.decodeUnknown(Ids.WorkflowRunId)(runId).pipe(
    Effect.mapError(() => new BadParameter({ name: "runId", message: `Invalid run id ${JSON.stringify(runId)}` }))
  )
  const result = yield* log.history(id)
  if (Option.isNone(result.run) && result.events.length === 0) {
    return HttpServerResponse.unsafeJson({ error: { type: "not_found", message: `No run ${id} in the log` } }, {
      status: 404
    })
  }
  return HttpServerResponse.unsafeJson(toJson({ run: Option.getOrNull(result.run), events: result.events }))
})

const runs = Effect.gen(function*() {
  const params = yield* searchParams(["workflow", "status", "from", "to", "limit", "after"])
  const log = yield* RunLog.RunLog
  const workflowId = yield* workflowParam(params)
  const status = yield* statusParam(params)
  const { from, to } = yield* rangeParams(params)
  const page = yield* log.runs({
    workflowId,
    status,
    from,
    to,
    limit: yield* limitParam(params),
    after: Option.getOrUndefined(yield* optionalParam(params, "after"))
  })
  return HttpServerResponse.unsafeJson(toJson({ items: page.items, next: Option.getOrNull(page.next) }))
})

const totals = Effect.gen(function*() {
  const params = yield* searchParams(["from", "to"])
  const log = yield* RunLog.RunLog
  const range = yield* rangeParams(params)
  const from = range.from ?? DateTime.make(0).pipe(Option.getOrThrow, DateTime.toUtc)
  const to = range.to ?? (yield* DateTime.now)
  return HttpServerResponse.unsafeJson(toJson({ from, to, totals: yield* log.totals({ from, to }) }))
})

const verify = Effect.gen(function*() {
  const params = yield* searchParams(["expect"])
  const log = yield* RunLog.RunLog
  const expect = yield* Option.match(yield* optionalParam(params, "expect"), {
    onNone: () => Effect.succeed(undefined),
    onSome: (text) =>
      AnchorText.decode(text).pipe(
        Effect.mapError((error) => new BadParameter({ name: "expect", message: error.message }))
      )
  })
  const report = yield* log.verify({ expect })
  return HttpServerResponse.unsafeJson(
    toJson({
      ok: report.ok,
      streams: report.streams,
      events: report.events,
      broken: report.broken,
      anchorMismatches: report.anchorMismatches,
      digestMismatch: report.digestMismatch,
      compactAnchor: AnchorText.encodeCompact(report.compactAnchor),
      anchor: AnchorText.encode(report.anchor)
    }),
    { status: report.ok ? 200 : 409 }
  )
})

const handleErrors = <R>(
  route: Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, R>,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
) =>
  route.pipe(
    Effect.catchAll((error) => {
      if (typeof error === "object" && error !== null && "_tag" in error) {
        if (error._tag === "BadParameter" || error._tag === "InvalidCursor" || error._tag === "TimeRangeReversed") {
          const message = String((error as unknown as { message: unknown }).message)
          return Effect.succeed(badRequest(redactSecrets(message, secrets)))
        }
      }
      return Effect.as(
        Effect.logError("An audit query failed", error),
        HttpServerResponse.unsafeJson(
          { error: { type: "unavailable", message: "The audit query failed; try again" } },
          {
            status: 503
          }
        )
      )
    })
  )

/**
 * The audit routes, which respond with 401 to a request without the token. A 400 quotes the
 * bad parameter with the token and `otherSecrets` redacted.
 *
 * @since 0.1.0
 * @category routes
 */
export const router = (
  token: Redacted.Redacted<string>,
  otherSecrets: ReadonlyArray<Redacted.Redacted<string>> = []
) => {
  const secrets = [token, ...otherSecrets]
  return HttpRouter.empty.pipe(
    HttpRouter.get("/runs", handleErrors(runs, secrets)),
    HttpRouter.get("/runs/:runId", handleErrors(history, secrets)),
    HttpRouter.get("/totals", handleErrors(totals, secrets)),
    HttpRouter.get("/verify", handleErrors(verify, secrets)),
    HttpRouter.use((app) =>
      Effect.flatMap(
        HttpServerRequest.HttpServerRequest,
        (request) =>
          isAuthorized(request.headers.authorization, token)
            ? app
            : Effect.succeed(
              HttpServerResponse.unsafeJson(
                { error: { type: "unauthorized", message: "Send Authorization: Bearer <AUDIT_API_TOKEN>" } },
                { status: 401, headers: { "www-authenticate": "Bearer" } }
              )
            )
      )
    )
  )
}
