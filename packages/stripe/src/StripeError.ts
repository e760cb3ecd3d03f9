/**
 * The infrastructure errors of the Stripe API: authentication, permission, rate limiting, any
 * other error response, a failed connection and a response that does not decode. The documented
 * Workflows errors (invalid input parameters, not invokable, not found, idempotency conflict)
 * come from `@workflow-runs/core`'s `WorkflowsError` module.
 *
 * - {@link StripeAuthenticationError}: 401, or code `api_key_invalid`
 * - {@link StripePermissionError}: 403, or code `permission_denied`
 * - {@link StripeRateLimitError}: 429, or code `rate_limited` or type `rate_limit`, after the retries
 * - {@link StripeApiError}: any other error response, with its raw body
 * - {@link StripeConnectionError}: no response (network failure or timeout), after the retries
 * - {@link StripeDecodeError}: a 2xx response whose body does not decode, with the failing path
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * The details of an error response: the HTTP status, the `Request-Id` header and the fields of
 * the `error` object, each present only when Stripe sent it.
 *
 * @since 0.1.0
 * @category models
 */
export const ResponseErrorFields = {
  status: Schema.Number,
  requestId: Schema.optional(Schema.String),
  type: Schema.optional(Schema.String),
  code: Schema.optional(Schema.String),
  message: Schema.String,
  userMessage: Schema.optional(Schema.String),
  docUrl: Schema.optional(Schema.String)
}

const describe = (error: {
  readonly status: number
  readonly message: string
  readonly code?: string | undefined
  readonly requestId?: string | undefined
}) => {
  const code = error.code === undefined ? "" : ` ${error.code}`
  const request = error.requestId === undefined ? "" : ` (request ${error.requestId})`
  return `HTTP ${error.status}${code}: ${error.message}${request}`
}

/**
 * The API key is missing, invalid or revoked (401, code `api_key_invalid`). Check
 * `STRIPE_API_KEY`.
 *
 * @since 0.1.0
 * @category errors
 */
export class StripeAuthenticationError extends Schema.TaggedError<StripeAuthenticationError>(
  "@workflow-runs/stripe/StripeAuthenticationError"
)("StripeAuthenticationError", ResponseErrorFields) {
  override toString(): string {
    return `StripeAuthenticationError: ${describe(this)}`
  }
}

/**
 * The API key has no access to this resource (403, code `permission_denied`).
 *
 * @since 0.1.0
 * @category errors
 */
export class StripePermissionError extends Schema.TaggedError<StripePermissionError>(
  "@workflow-runs/stripe/StripePermissionError"
)("StripePermissionError", ResponseErrorFields) {
  override toString(): string {
    return `StripePermissionError: ${describe(this)}`
  }
}

/**
 * Stripe responded 429 (too many requests) to every attempt until the retries ran out.
 *
 * @since 0.1.0
 * @category errors
 */
export class StripeRateLimitError extends Schema.TaggedError<StripeRateLimitError>(
  "@workflow-runs/stripe/StripeRateLimitError"
)("StripeRateLimitError", ResponseErrorFields) {
  override toString(): string {
    return `StripeRateLimitError: ${describe(this)}`
  }
}

/**
 * Any other error response: a 5xx, a 409 `idempotency_key_in_use` that outlasted the retries,
 * a missing API version, or a body that is not a Stripe error. `body` is the response body as
 * received (possibly empty or not JSON).
 *
 * @since 0.1.0
 * @category errors
 */
export class StripeApiError extends Schema.TaggedError<StripeApiError>("@workflow-runs/stripe/StripeApiError")(
  "StripeApiError",
  { ...ResponseErrorFields, body: Schema.String }
) {
  override toString(): string {
    return `StripeApiError: ${describe(this)}`
  }
}

/**
 * No response arrived: the connection failed (`reason: "Transport"`) or an attempt exceeded its
 * timeout (`reason: "Timeout"`), on the last of `attempts` attempts. The live client's message
 * names the socket error and the attempt count, such as `connect ECONNREFUSED 127.0.0.1:1 after
 * 3 attempts`, and `cause` is Node's error of the last attempt, which carries no request headers.
 *
 * @since 0.1.0
 * @category errors
 */
export class StripeConnectionError extends Schema.TaggedError<StripeConnectionError>(
  "@workflow-runs/stripe/StripeConnectionError"
)("StripeConnectionError", {
  reason: Schema.Literal("Transport", "Timeout"),
  method: Schema.String,
  path: Schema.String,
  attempts: Schema.Number,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override toString(): string {
    return `StripeConnectionError: ${this.method} ${this.path}: ${this.message}`
  }
}

/**
 * A 2xx response whose body is not the expected object. `path` locates the first failing field
 * (such as `status_transitions.started_at`), empty when the body is not JSON at all.
 *
 * @since 0.1.0
 * @category errors
 */
export class StripeDecodeError extends Schema.TaggedError<StripeDecodeError>(
  "@workflow-runs/stripe/StripeDecodeError"
)("StripeDecodeError", {
  status: Schema.Number,
  requestId: Schema.optional(Schema.String),
  path: Schema.String,
  message: Schema.String,
  body: Schema.String
}) {
  override toString(): string {
    const request = this.requestId === undefined ? "" : ` (request ${this.requestId})`
    return `StripeDecodeError: at "${this.path}": ${this.message}${request}`
  }
}

/**
 * Any infrastructure error. Every method of the `Workflows` service can fail with these.
 *
 * @since 0.1.0
 * @category errors
 */
export type StripeError =
  | StripeAuthenticationError
  | StripePermissionError
  | StripeRateLimitError
  | StripeApiError
  | StripeConnectionError
  | StripeDecodeError

/**
 * The schema of {@link StripeError}.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StripeError = Schema.Union(
  StripeAuthenticationError,
  StripePermissionError,
  StripeRateLimitError,
  StripeApiError,
  StripeConnectionError,
  StripeDecodeError
)
