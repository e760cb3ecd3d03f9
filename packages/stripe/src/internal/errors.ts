import type { Ids } from "@workflow-runs/core"
import { WorkflowsError } from "@workflow-runs/core"
import * as StripeError from "../StripeError.js"

/**
 * A response as read from the wire: status, lower-case headers and the body text.
 *
 * @internal
 */
export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
}

/**
 * The endpoint a response came from, which decides how `not_found` and `cannot_proceed` read.
 *
 * @internal
 */
export type Endpoint =
  | { readonly _tag: "Invoke"; readonly workflowId: Ids.WorkflowId; readonly idempotencyKey: string }
  | { readonly _tag: "Workflow"; readonly workflowId: Ids.WorkflowId }
  | { readonly _tag: "WorkflowRun"; readonly runId: Ids.WorkflowRunId }
  | { readonly _tag: "Event"; readonly eventId: Ids.StripeEventId }
  | { readonly _tag: "List" }

/**
 * Every error a response can decode to.
 *
 * @internal
 */
export type ResponseError =
  | WorkflowsError.WorkflowsError
  | Exclude<StripeError.StripeError, StripeError.StripeConnectionError | StripeError.StripeDecodeError>

/**
 * The errors a response of each kind of endpoint decodes to.
 *
 * @internal
 */
export type EndpointError<E extends Endpoint> = E extends { readonly _tag: "Invoke" } ?
    | WorkflowsError.InvalidWorkflowInputParameters
    | WorkflowsError.WorkflowNotInvokable
    | WorkflowsError.WorkflowNotFound
    | WorkflowsError.IdempotencyConflict
    | StripeError.StripeError
  : E extends { readonly _tag: "Workflow" } ? WorkflowsError.WorkflowNotFound | StripeError.StripeError
  : E extends { readonly _tag: "WorkflowRun" } ? WorkflowsError.WorkflowRunNotFound | StripeError.StripeError
  : E extends { readonly _tag: "Event" } ? WorkflowsError.EventNotFound | StripeError.StripeError
  : StripeError.StripeError

interface ErrorBody {
  readonly type?: string
  readonly code?: string
  readonly message?: string
  readonly userMessage?: string
  readonly docUrl?: string
}

const stringField = (object: Record<string, unknown>, key: string): string | undefined =>
  typeof object[key] === "string" ? object[key] : undefined

/**
 * Reads Stripe's `{"error": {...}}` envelope, or nothing when the body is not one.
 *
 * @internal
 */
export const parseErrorBody = (body: string): ErrorBody | undefined => {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return undefined
  }
  if (typeof parsed !== "object" || parsed === null || !("error" in parsed)) return undefined
  const error = parsed.error
  if (typeof error !== "object" || error === null) return undefined
  const fields = error as Record<string, unknown>
  const result: { -readonly [K in keyof ErrorBody]: ErrorBody[K] } = {}
  const type = stringField(fields, "type")
  const code = stringField(fields, "code")
  const message = stringField(fields, "message")
  const userMessage = stringField(fields, "user_message")
  const docUrl = stringField(fields, "doc_url")
  if (type !== undefined) result.type = type
  if (code !== undefined) result.code = code
  if (message !== undefined) result.message = message
  if (userMessage !== undefined) result.userMessage = userMessage
  if (docUrl !== undefined) result.docUrl = docUrl
  return result
}

const fallbackMessage = (response: RawResponse): string =>
  response.body.length === 0
    ? `Stripe answered HTTP ${response.status} with an empty body`
    : `Stripe answered HTTP ${response.status} with a body that is not a Stripe error object`

type Kind =
  | "InvalidInput"
  | "NotInvokable"
  | "NotFound"
  | "IdempotencyConflict"
  | "Authentication"
  | "Permission"
  | "RateLimit"
  | "Api"

const kindOfCode: ReadonlyMap<string, Kind> = new Map(Object.entries(
  {
    invalid_workflow_input_parameters: "InvalidInput",
    workflow_not_invokable: "NotInvokable",
    not_found: "NotFound",
    resource_missing: "NotFound",
    idempotency_error: "IdempotencyConflict",
    api_key_invalid: "Authentication",
    permission_denied: "Permission",
    rate_limited: "RateLimit",
    rate_limit: "RateLimit",
    idempotency_key_in_use: "Api",
    missing_api_version: "Api"
  } satisfies Record<string, Kind>
))

const kindOfType: ReadonlyMap<string, Kind> = new Map(Object.entries(
  {
    idempotency_error: "IdempotencyConflict",
    rate_limit: "RateLimit",
    cannot_proceed: "NotInvokable",
    authentication_error: "Authentication"
  } satisfies Record<string, Kind>
))

const kindOfStatus = (status: number): Kind => {
  switch (status) {
    case 401:
      return "Authentication"
    case 403:
      return "Permission"
    case 404:
      return "NotFound"
    case 409:
      return "Api"
    case 429:
      return "RateLimit"
    default:
      return "Api"
  }
}

/**
 * Decodes a non-2xx response into its typed error: by the error's `code` first, then its `type`,
 * then the HTTP status. A kind that does not apply to the endpoint (a `not_found` from a list,
 * an input error from a retrieve) becomes a {@link StripeError.StripeApiError}.
 *
 * @internal
 */
export const fromResponse = <E extends Endpoint>(response: RawResponse, endpoint: E): EndpointError<E> =>
  decodeResponse(response, endpoint) as EndpointError<E>

const decodeResponse = (response: RawResponse, endpoint: Endpoint): ResponseError => {
  const error = parseErrorBody(response.body)
  // Maps, not object literals, so a code such as "toString" finds no inherited property.
  const kind = (error?.code !== undefined ? kindOfCode.get(error.code) : undefined) ??
    (error?.type !== undefined ? kindOfType.get(error.type) : undefined) ??
    kindOfStatus(response.status)

  const requestId = response.headers["request-id"]
  const message = error?.message ?? fallbackMessage(response)
  const sent = {
    ...(requestId === undefined ? {} : { requestId }),
    ...(error?.userMessage === undefined ? {} : { userMessage: error.userMessage }),
    ...(error?.docUrl === undefined ? {} : { docUrl: error.docUrl })
  }
  const infrastructure = {
    status: response.status,
    message,
    ...sent,
    ...(error?.type === undefined ? {} : { type: error.type }),
    ...(error?.code === undefined ? {} : { code: error.code })
  }
  const api = () => new StripeError.StripeApiError({ ...infrastructure, body: response.body })
  const domain = (code: string) => ({ code: error?.code ?? code, message, ...sent })

  switch (kind) {
    case "Authentication":
      return new StripeError.StripeAuthenticationError(infrastructure)
    case "Permission":
      return new StripeError.StripePermissionError(infrastructure)
    case "RateLimit":
      return new StripeError.StripeRateLimitError(infrastructure)
    case "Api":
      return api()
    case "IdempotencyConflict":
      return new WorkflowsError.IdempotencyConflict({
        ...domain(WorkflowsError.IdempotencyConflict.code),
        ...(endpoint._tag === "Invoke" ? { idempotencyKey: endpoint.idempotencyKey } : {})
      })
    case "InvalidInput":
      return endpoint._tag === "Invoke"
        ? new WorkflowsError.InvalidWorkflowInputParameters({
          ...domain(WorkflowsError.InvalidWorkflowInputParameters.code),
          workflowId: endpoint.workflowId
        })
        : api()
    case "NotInvokable":
      return endpoint._tag === "Invoke"
        ? new WorkflowsError.WorkflowNotInvokable({
          ...domain(WorkflowsError.WorkflowNotInvokable.code),
          workflowId: endpoint.workflowId
        })
        : api()
    case "NotFound":
      switch (endpoint._tag) {
        case "Invoke":
        case "Workflow":
          return new WorkflowsError.WorkflowNotFound({
            ...domain(WorkflowsError.WorkflowNotFound.code),
            workflowId: endpoint.workflowId
          })
        case "WorkflowRun":
          return new WorkflowsError.WorkflowRunNotFound({
            ...domain(WorkflowsError.WorkflowRunNotFound.code),
            runId: endpoint.runId
          })
        case "Event":
          return new WorkflowsError.EventNotFound({
            ...domain(WorkflowsError.EventNotFound.code),
            eventId: endpoint.eventId
          })
        case "List":
          return api()
      }
  }
}
