import { assert, describe, it } from "@effect/vitest"
import type { Ids } from "@workflow-runs/core"
import * as FastCheck from "effect/FastCheck"
import { type Endpoint, fromResponse } from "../src/internal/errors.js"
import { isRetryable } from "../src/internal/http.js"

const endpoints: ReadonlyArray<Endpoint> = [
  { _tag: "Invoke", workflowId: "wf_1" as Ids.WorkflowId, idempotencyKey: "k" },
  { _tag: "Workflow", workflowId: "wf_1" as Ids.WorkflowId },
  { _tag: "WorkflowRun", runId: "wfrun_1" as Ids.WorkflowRunId },
  { _tag: "Event", eventId: "evt_1" as Ids.StripeEventId },
  { _tag: "List" }
]

const knownCodes = [
  "invalid_workflow_input_parameters",
  "workflow_not_invokable",
  "not_found",
  "idempotency_error",
  "idempotency_key_in_use",
  "api_key_invalid",
  "permission_denied",
  "missing_api_version",
  "rate_limited"
]

const tags = new Set([
  "InvalidWorkflowInputParameters",
  "WorkflowNotInvokable",
  "WorkflowNotFound",
  "WorkflowRunNotFound",
  "EventNotFound",
  "IdempotencyConflict",
  "StripeAuthenticationError",
  "StripePermissionError",
  "StripeRateLimitError",
  "StripeApiError"
])

const body = FastCheck.oneof(
  FastCheck.string(),
  FastCheck.json(),
  FastCheck.record({
    error: FastCheck.record({
      type: FastCheck.oneof(
        FastCheck.constantFrom("invalid_request_error", "api_error", "cannot_proceed"),
        FastCheck.string()
      ),
      code: FastCheck.oneof(FastCheck.constantFrom(...knownCodes), FastCheck.string()),
      message: FastCheck.string()
    }, { requiredKeys: [] })
  }).map((value) => JSON.stringify(value))
)

const response = FastCheck.record({
  status: FastCheck.integer({ min: 400, max: 599 }),
  body,
  shouldRetry: FastCheck.constantFrom(undefined, "true", "false")
})

describe("error decoding", () => {
  it.prop(
    "decodes any error response to a typed error",
    [response, FastCheck.constantFrom(...endpoints)],
    ([raw, endpoint]) => {
      const error = fromResponse({ status: raw.status, headers: { "request-id": "req_1" }, body: raw.body }, endpoint)
      assert.isTrue(tags.has(error._tag), error._tag)
      assert.strictEqual("requestId" in error ? error.requestId : undefined, "req_1")
      if (error._tag === "StripeApiError") assert.strictEqual(error.body, raw.body)
    }
  )

  it.prop("never retries a 4xx other than 409 and 429 without the header", [response], ([raw]) => {
    const retried = isRetryable(
      {
        _tag: "ErrorResponse",
        response: {
          status: raw.status,
          headers: raw.shouldRetry === undefined ? {} : { "stripe-should-retry": raw.shouldRetry },
          body: raw.body
        }
      } as Parameters<typeof isRetryable>[0]
    )
    if (raw.shouldRetry !== undefined) assert.strictEqual(retried, raw.shouldRetry === "true")
    else if (raw.status >= 500 || raw.status === 429) assert.isTrue(retried)
    else if (raw.status !== 409) assert.isFalse(retried)
  })
})
