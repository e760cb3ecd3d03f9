import * as HttpServerResponse from "@effect/platform/HttpServerResponse"

/**
 * A Stripe error response: status, `error.type`, `error.code`, message, and the
 * `Stripe-Should-Retry` value (left out when Stripe sends none).
 *
 * @internal
 */
export interface ApiError {
  readonly status: number
  readonly type: string
  readonly code: string
  readonly message: string
  readonly userMessage?: string
  readonly shouldRetry?: boolean
}

/** @internal */
export const invalidInputParameters = (message: string): ApiError => ({
  status: 400,
  type: "invalid_request_error",
  code: "invalid_workflow_input_parameters",
  message,
  shouldRetry: false
})

/** @internal */
export const workflowNotInvokable = (message: string): ApiError => ({
  status: 400,
  type: "cannot_proceed",
  code: "workflow_not_invokable",
  message,
  shouldRetry: false
})

/** @internal */
export const notFound = (message: string): ApiError => ({
  status: 404,
  type: "invalid_request_error",
  code: "not_found",
  message,
  shouldRetry: false
})

/** @internal */
export const idempotencyError = (message: string): ApiError => ({
  status: 409,
  type: "idempotency_error",
  code: "idempotency_error",
  message,
  shouldRetry: false
})

/** @internal */
export const idempotencyKeyInUse = (message: string): ApiError => ({
  status: 409,
  type: "api_error",
  code: "idempotency_key_in_use",
  message,
  shouldRetry: true
})

/** @internal */
export const apiKeyInvalid = (message: string): ApiError => ({
  status: 401,
  type: "invalid_request_error",
  code: "api_key_invalid",
  message,
  shouldRetry: false
})

/** @internal */
export const permissionDenied = (message: string): ApiError => ({
  status: 403,
  type: "invalid_request_error",
  code: "permission_denied",
  message,
  shouldRetry: false
})

/** @internal */
export const missingApiVersion = (message: string): ApiError => ({
  status: 400,
  type: "invalid_request_error",
  code: "missing_api_version",
  message,
  shouldRetry: false
})

/**
 * A request the simulator cannot read or does not serve: bad JSON, wrong content type, bad query
 * parameters, an unsupported API version. `code` names the problem.
 *
 * @internal
 */
export const invalidRequest = (code: string, message: string, status = 400): ApiError => ({
  status,
  type: "invalid_request_error",
  code,
  message,
  shouldRetry: false
})

/** @internal */
export const internal = (message: string): ApiError => ({
  status: 500,
  type: "api_error",
  code: "internal_server_error",
  message
})

/**
 * Builds the error the simulator writes for an injected status without a body of its own.
 *
 * @internal
 */
export const forStatus = (status: number): ApiError => {
  const message = `Injected by the simulator's control API (HTTP ${status})`
  if (status === 429) return { status, type: "rate_limit", code: "rate_limited", message }
  if (status >= 500) return { status, type: "api_error", code: "api_error", message }
  return { status, type: "invalid_request_error", code: "injected_error", message }
}

/**
 * Encodes an error as Stripe's body `{"error": {type, code, message, user_message?}}`.
 *
 * @internal
 */
export const body = (error: ApiError) => ({
  error: {
    type: error.type,
    code: error.code,
    message: error.message,
    ...(error.userMessage === undefined ? {} : { user_message: error.userMessage })
  }
})

/**
 * Builds the response of `error`, with its `Stripe-Should-Retry` header when it has one.
 *
 * @internal
 */
export const toResponse = (error: ApiError): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(JSON.stringify(body(error)), {
    status: error.status,
    contentType: "application/json",
    headers: error.shouldRetry === undefined ? {} : { "stripe-should-retry": String(error.shouldRetry) }
  })
