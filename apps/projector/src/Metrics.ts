/**
 * The projector's metrics, kept with Effect's `Metric` module, and their rendering in the
 * Prometheus text exposition format for `GET /metrics`.
 *
 * @since 0.1.0
 */
import { RequestObserver } from "@workflow-runs/stripe"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import type * as MetricPair from "effect/MetricPair"
import * as MetricState from "effect/MetricState"
import * as Option from "effect/Option"

/**
 * Notifications received on the webhook route, whatever became of them.
 *
 * @since 0.1.0
 * @category metrics
 */
export const notificationsReceived = Metric.counter("workflow_runs_notifications_received_total", {
  description: "Event notifications received on POST /webhooks/stripe",
  incremental: true
})

/**
 * Notifications whose event id the inbox already held.
 *
 * @since 0.1.0
 * @category metrics
 */
export const notificationsDuplicate = Metric.counter("workflow_runs_notifications_duplicate_total", {
  description: "Notifications skipped because the inbox already held their event id",
  incremental: true
})

/**
 * Notifications rejected with a 4xx or 5xx, tagged with the reason.
 *
 * @since 0.1.0
 * @category metrics
 */
export const notificationsRejected = Metric.counter("workflow_runs_notifications_rejected_total", {
  description: "Notifications rejected with an error status",
  incremental: true
})

/**
 * Run events appended to the log by the projector and the reconciler.
 *
 * @since 0.1.0
 * @category metrics
 */
export const eventsAppended = Metric.counter("workflow_runs_events_appended_total", {
  description: "Run events appended to the log",
  incremental: true
})

/**
 * Appends that lost the compare-and-set on a run's version and were retried.
 *
 * @since 0.1.0
 * @category metrics
 */
export const appendConflicts = Metric.counter("workflow_runs_append_conflicts_total", {
  description: "Appends retried after a stream version conflict",
  incremental: true
})

/**
 * Seconds from a notification's `created` to the commit of what it implied.
 *
 * @since 0.1.0
 * @category metrics
 */
export const projectionLag = Metric.histogram(
  "workflow_runs_projection_lag_seconds",
  MetricBoundaries.exponential({ start: 0.01, factor: 2, count: 14 }),
  "Seconds from a notification's creation to its commit in the log"
)

/**
 * Calls to the Stripe API, tagged with the operation and outcome.
 *
 * @since 0.1.0
 * @category metrics
 */
export const stripeCalls = Metric.counter("workflow_runs_stripe_calls_total", {
  description: "Calls to the Stripe API",
  incremental: true
})

/**
 * HTTP attempts sent to the Stripe API, tagged with the operation and outcome (`ok`, the HTTP
 * status, `transport` or `timeout`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const stripeAttempts = Metric.counter("workflow_runs_stripe_attempts_total", {
  description: "HTTP attempts sent to the Stripe API",
  incremental: true
})

/**
 * Requests to Stripe sent again, tagged with the source: `adapter` for the client's own retries
 * within one call (with one Idempotency-Key for an invoke), `reconciler` for invocation attempts
 * the reconciler sends again with their stored key.
 *
 * @since 0.1.0
 * @category metrics
 */
export const stripeRetries = Metric.counter("workflow_runs_stripe_retries_total", {
  description: "Requests to Stripe sent again, by the adapter within a call or by the reconciler",
  incremental: true
})

/**
 * Seconds each Stripe call took, retries and backoff included.
 *
 * @since 0.1.0
 * @category metrics
 */
export const stripeLatency = Metric.histogram(
  "workflow_runs_stripe_latency_seconds",
  MetricBoundaries.exponential({ start: 0.005, factor: 2, count: 14 }),
  "Seconds per Stripe call, retries included"
)

/**
 * Seconds each HTTP attempt to Stripe took.
 *
 * @since 0.1.0
 * @category metrics
 */
export const stripeAttemptLatency = Metric.histogram(
  "workflow_runs_stripe_attempt_latency_seconds",
  MetricBoundaries.exponential({ start: 0.005, factor: 2, count: 14 }),
  "Seconds per HTTP attempt to Stripe"
)

/**
 * Counts an invocation attempt the reconciler sends again.
 *
 * @since 0.1.0
 * @category metrics
 */
export const countReconcilerRetry: Effect.Effect<void> = Metric.increment(
  Metric.tagged(Metric.tagged(stripeRetries, "source", "reconciler"), "operation", "invoke_workflow")
)

/**
 * The observer that feeds the Stripe metrics from the Workflows client; provide it to the layer
 * that builds the client.
 *
 * @since 0.1.0
 * @category layers
 */
export const stripeObserver: Layer.Layer<RequestObserver.RequestObserver> = RequestObserver.layer({
  onAttempt: (attempt) =>
    Effect.all([
      Metric.increment(attemptCounter(attempt.operation, String(attempt.outcome))),
      Metric.update(attemptLatency(attempt.operation), Duration.toSeconds(attempt.duration))
    ], { discard: true }),
  onRetry: (retry) => Metric.increment(adapterRetryCounter(retry.operation)),
  onCall: (call) =>
    Effect.all([
      Metric.increment(callCounter(call.operation, call.outcome)),
      Metric.update(callLatency(call.operation), Duration.toSeconds(call.duration))
    ], { discard: true })
})

// Makes each tagged metric once per tag values. The registry caches a metric's entry by the
// identity of its tags, so a metric tagged anew on every call would hash its key on every update.
const taggedOnce = <Args extends ReadonlyArray<string>, A>(make: (...values: Args) => A) => {
  const cache = new Map<string, A>()
  return (...values: Args): A => {
    const key = values.join("\u0000")
    const found = cache.get(key)
    if (found !== undefined) return found
    const metric = make(...values)
    cache.set(key, metric)
    return metric
  }
}

const attemptCounter = taggedOnce((operation: string, outcome: string) =>
  Metric.tagged(Metric.tagged(stripeAttempts, "operation", operation), "outcome", outcome)
)

const attemptLatency = taggedOnce((operation: string) => Metric.tagged(stripeAttemptLatency, "operation", operation))

const adapterRetryCounter = taggedOnce((operation: string) =>
  Metric.tagged(Metric.tagged(stripeRetries, "source", "adapter"), "operation", operation)
)

const callCounter = taggedOnce((operation: string, outcome: string) =>
  Metric.tagged(Metric.tagged(stripeCalls, "operation", operation), "outcome", outcome)
)

const callLatency = taggedOnce((operation: string) => Metric.tagged(stripeLatency, "operation", operation))

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, "\\\"")

const labels = (pairs: ReadonlyArray<readonly [string, string]>) =>
  pairs.length === 0 ? "" : `{${pairs.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(",")}}`

const number = (value: number | bigint): string => {
  if (typeof value === "bigint" || Number.isFinite(value)) return String(value)
  return value > 0 ? "+Inf" : "-Inf"
}

const renderPair = (pair: MetricPair.MetricPair.Untyped, lines: Array<string>, typed: Set<string>) => {
  const name = pair.metricKey.name
  const tags = pair.metricKey.tags.map((tag) => [tag.key, tag.value] as const)
  const state = pair.metricState
  const header = (type: string) => {
    if (typed.has(name)) return
    typed.add(name)
    const help = Option.getOrElse(pair.metricKey.description, () => name)
    lines.push(`# HELP ${name} ${help.replace(/\n/g, " ")}`, `# TYPE ${name} ${type}`)
  }
  if (MetricState.isCounterState(state)) {
    header("counter")
    lines.push(`${name}${labels(tags)} ${number(state.count)}`)
  } else if (MetricState.isGaugeState(state)) {
    header("gauge")
    lines.push(`${name}${labels(tags)} ${number(state.value)}`)
  } else if (MetricState.isHistogramState(state)) {
    header("histogram")
    for (const [bound, count] of state.buckets) {
      lines.push(`${name}_bucket${labels([...tags, ["le", number(bound)]])} ${count}`)
    }
    if (!state.buckets.some(([bound]) => bound === Number.POSITIVE_INFINITY)) {
      lines.push(`${name}_bucket${labels([...tags, ["le", "+Inf"]])} ${state.count}`)
    }
    lines.push(`${name}_sum${labels(tags)} ${number(state.sum)}`, `${name}_count${labels(tags)} ${state.count}`)
  }
}

/**
 * Renders every metric of the process in the Prometheus text format (version 0.0.4), the
 * projector's own ones first.
 *
 * @since 0.1.0
 * @category rendering
 */
export const render: Effect.Effect<string> = Effect.map(Metric.snapshot, (pairs) => {
  const lines: Array<string> = []
  const typed = new Set<string>()
  const sorted = [...pairs].sort((a, b) => a.metricKey.name.localeCompare(b.metricKey.name))
  for (const pair of sorted) renderPair(pair, lines, typed)
  return `${lines.join("\n")}\n`
})
