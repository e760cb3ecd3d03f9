/**
 * Faults the simulator injects on request: responses and dropped connections for API requests,
 * and duplicated, reordered, delayed or dropped webhook deliveries.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * The requests a fault applies to: an HTTP method and a path pattern in which `*` matches one
 * path segment (`/v2/extend/workflows/*\/invoke`). Both left out match every API request.
 *
 * @since 0.1.0
 * @category models
 */
export class RequestMatch extends Schema.Class<RequestMatch>("@workflow-runs/simulator/RequestMatch")({
  method: Schema.optional(Schema.String),
  path: Schema.optional(Schema.String)
}) {}

/**
 * A response to send instead of handling the request. Without a `body` the simulator writes a
 * Stripe error body that fits the status (429 `rate_limit`, 5xx `api_error`, other 4xx
 * `invalid_request_error`).
 *
 * @since 0.1.0
 * @category models
 */
export class InjectedResponse extends Schema.Class<InjectedResponse>("@workflow-runs/simulator/InjectedResponse")({
  status: Schema.Int.pipe(Schema.between(100, 599)),
  headers: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), { default: () => ({}) }),
  body: Schema.optional(Schema.Unknown)
}) {}

/**
 * The point at which to drop the connection: `before_commit` closes the socket before the request has any
 * effect, `after_commit` applies the request (an invoke creates its run) and then closes the
 * socket instead of responding.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DropPoint = Schema.Literal("before_commit", "after_commit")

/**
 * @since 0.1.0
 * @category models
 */
export type DropPoint = typeof DropPoint.Type

/**
 * A fault on the next `count` API requests that match: a latency added before handling, then
 * either an injected response, a dropped connection, or normal handling.
 *
 * @since 0.1.0
 * @category models
 */
export class HttpFault extends Schema.Class<HttpFault>("@workflow-runs/simulator/HttpFault")({
  match: Schema.optionalWith(RequestMatch, { default: () => new RequestMatch({}) }),
  count: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { default: () => 1 }),
  latencyMs: Schema.optional(Schema.NonNegativeInt).pipe(Schema.fromKey("latency_ms")),
  response: Schema.optional(InjectedResponse),
  drop: Schema.optional(DropPoint)
}) {}

/**
 * The encoded (snake_case JSON) form of an {@link HttpFault}.
 *
 * @since 0.1.0
 * @category models
 */
export type HttpFaultInput = typeof HttpFault.Encoded

/**
 * The fault applied to the next `count` webhook deliveries: `duplicate` sends each twice, `reorder`
 * keeps each back until the next event of the same destination has been sent (or `delay_ms`
 * has passed), `delay` sends each after `delay_ms`, and `drop` never sends it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DeliveryFaultKind = Schema.Literal("duplicate", "reorder", "delay", "drop")

/**
 * @since 0.1.0
 * @category models
 */
export type DeliveryFaultKind = typeof DeliveryFaultKind.Type

/**
 * A fault on the next `count` deliveries, optionally of one destination only.
 *
 * @since 0.1.0
 * @category models
 */
export class DeliveryFault extends Schema.Class<DeliveryFault>("@workflow-runs/simulator/DeliveryFault")({
  kind: DeliveryFaultKind,
  count: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { default: () => 1 }),
  delayMs: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 1000 }).pipe(Schema.fromKey("delay_ms")),
  destination: Schema.optional(Schema.String)
}) {}

/**
 * The encoded (snake_case JSON) form of a {@link DeliveryFault}.
 *
 * @since 0.1.0
 * @category models
 */
export type DeliveryFaultInput = typeof DeliveryFault.Encoded

/**
 * Tells whether `path` matches `pattern`, where `*` stands for one path segment.
 *
 * @since 0.1.0
 * @category matching
 */
export const pathMatches = (pattern: string, path: string): boolean => {
  const expected = pattern.split("/")
  const actual = path.split("/")
  if (expected.length !== actual.length) return false
  return expected.every((segment, index) => segment === "*" || segment === actual[index])
}

/**
 * Tells whether a request matches `match`.
 *
 * @since 0.1.0
 * @category matching
 */
export const requestMatches = (match: RequestMatch, method: string, path: string): boolean =>
  (match.method === undefined || match.method.toUpperCase() === method.toUpperCase()) &&
  (match.path === undefined || pathMatches(match.path, path))
