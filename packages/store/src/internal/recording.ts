import type { Ids } from "@workflow-runs/core"
import type { Workflows } from "@workflow-runs/stripe"
import canonicalize from "canonicalize"
import type * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import * as Invocation from "../Invocation.js"

/** The outcome an invoke error gives an attempt. */
export type Settlement = "rejected" | "unknown"

/**
 * Tells whether Stripe rejected the request for good (`rejected`) or the run may exist
 * (`unknown`). A 5xx, a rate limit, a 409 `idempotency_key_in_use`, a lost connection or a 2xx
 * that does not decode leave the outcome open. Any other 4xx is a final rejection.
 */
export const settlementOf = (error: Workflows.InvokeWorkflowError): Settlement => {
  switch (error._tag) {
    case "InvalidWorkflowInputParameters":
    case "WorkflowNotInvokable":
    case "WorkflowNotFound":
    case "IdempotencyConflict":
    case "StripeAuthenticationError":
    case "StripePermissionError":
      return "rejected"
    case "StripeApiError":
      return error.status >= 400 && error.status < 500 && error.status !== 409 && error.status !== 429
        ? "rejected"
        : "unknown"
    case "StripeRateLimitError":
    case "StripeConnectionError":
    case "StripeDecodeError":
      return "unknown"
  }
}

const codeOf = (error: Workflows.InvokeWorkflowError): string | null => "code" in error ? error.code ?? null : null

const requestIdOf = (error: Workflows.InvokeWorkflowError): string | null =>
  "requestId" in error ? error.requestId ?? null : null

const has = (events: ReadonlyArray<Invocation.InvocationEvent>, tag: Invocation.InvocationEvent["_tag"]) =>
  events.some((event) => event._tag === tag)

/** A rule that picks the outcome event to append, if any, from the attempt's stored events. */
export type Decision = (
  events: ReadonlyArray<Invocation.InvocationEvent>,
  now: DateTime.Utc
) => Option.Option<Invocation.InvocationEvent>

// A success is recorded once, and also after a rejection: Stripe keeps no result for a request
// it rejected in validation, so a later request with the same key may still start a run.
/** The attempt started `runId`. */
export const succeededDecision =
  (key: Invocation.IdempotencyKey, runId: Ids.WorkflowRunId): Decision => (events, now) =>
    has(events, "InvocationSucceeded") ? Option.none() : Option.some(Invocation.succeeded(key, now, runId))

// A rejection or an unknown outcome never follows a success or a rejection: the attempt is
// settled, and this request's error reaches only its caller.
const settled = (events: ReadonlyArray<Invocation.InvocationEvent>) =>
  has(events, "InvocationSucceeded") || has(events, "InvocationRejected")

/** The attempt failed with `error`: rejected or unknown as {@link settlementOf} decides. */
export const failedDecision = (
  key: Invocation.IdempotencyKey,
  error: Workflows.InvokeWorkflowError
): Decision =>
(events, now) => {
  if (settled(events)) return Option.none()
  if (settlementOf(error) === "rejected") {
    return Option.some(Invocation.rejected({
      idempotencyKey: key,
      occurredAt: now,
      errorTag: error._tag,
      code: codeOf(error),
      message: error.message,
      requestId: requestIdOf(error)
    }))
  }
  return Option.some(Invocation.outcomeUnknown({
    idempotencyKey: key,
    occurredAt: now,
    occurrence: events.filter((event) => event._tag === "InvocationOutcomeUnknown").length + 1,
    errorTag: error._tag,
    message: error.message
  }))
}

/** Tells whether a stored request names the same invocation: the same workflow and parameters. */
export const sameInvocation = (
  stored: Invocation.InvocationRequested,
  workflowId: Ids.WorkflowId,
  inputParameters: Readonly<Record<string, unknown>>
): boolean => stored.workflow === workflowId && canonicalize(stored.inputParameters) === canonicalize(inputParameters)

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Returns the parameters as the request body carries them: JSON, without `undefined` values.
 * Returns none when they are not a JSON object, because the adapter then rejects them before
 * any request.
 */
export const asJsonObject = (value: unknown): Option.Option<Record<string, unknown>> => {
  if (!isJsonObject(value)) return Option.none()
  try {
    const parsed: unknown = JSON.parse(JSON.stringify(value))
    return isJsonObject(parsed) ? Option.some(parsed) : Option.none()
  } catch {
    return Option.none()
  }
}
