import { assert, describe, it } from "@effect/vitest"
import type { Ids } from "@workflow-runs/core"
import { Workflows } from "@workflow-runs/stripe"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { withServer } from "./utils/live.js"

type Call = "invoke" | "retrieveWorkflow" | "retrieveWorkflowRun" | "retrieveEvent" | "listWorkflowRuns"

interface Row {
  readonly label: string
  readonly call: Call
  readonly status: number
  readonly body: string | object
  readonly tag: string
}

const stripeError = (type: string | undefined, code: string | undefined) => ({
  error: {
    ...(type === undefined ? {} : { type }),
    ...(code === undefined ? {} : { code }),
    message: `Message for ${code ?? type ?? "nothing"}`,
    user_message: "Something went wrong.",
    doc_url: "https://docs.stripe.com/error-codes"
  }
})

const rows: ReadonlyArray<Row> = [
  // By code.
  {
    label: "invalid input parameters",
    call: "invoke",
    status: 400,
    body: stripeError("invalid_request_error", "invalid_workflow_input_parameters"),
    tag: "InvalidWorkflowInputParameters"
  },
  {
    label: "workflow not invokable",
    call: "invoke",
    status: 400,
    body: stripeError("cannot_proceed", "workflow_not_invokable"),
    tag: "WorkflowNotInvokable"
  },
  {
    label: "unknown workflow on invoke",
    call: "invoke",
    status: 404,
    body: stripeError("invalid_request_error", "not_found"),
    tag: "WorkflowNotFound"
  },
  {
    label: "unknown workflow",
    call: "retrieveWorkflow",
    status: 404,
    body: stripeError("invalid_request_error", "not_found"),
    tag: "WorkflowNotFound"
  },
  {
    label: "unknown run",
    call: "retrieveWorkflowRun",
    status: 404,
    body: stripeError("invalid_request_error", "not_found"),
    tag: "WorkflowRunNotFound"
  },
  {
    label: "unknown event",
    call: "retrieveEvent",
    status: 404,
    body: stripeError("invalid_request_error", "not_found"),
    tag: "EventNotFound"
  },
  {
    label: "same key, different body",
    call: "invoke",
    status: 409,
    body: stripeError("idempotency_error", "idempotency_error"),
    tag: "IdempotencyConflict"
  },
  {
    label: "same key in flight",
    call: "invoke",
    status: 409,
    body: stripeError("api_error", "idempotency_key_in_use"),
    tag: "StripeApiError"
  },
  {
    label: "wrong API key",
    call: "invoke",
    status: 401,
    body: stripeError("invalid_request_error", "api_key_invalid"),
    tag: "StripeAuthenticationError"
  },
  {
    label: "key without access",
    call: "retrieveWorkflowRun",
    status: 403,
    body: stripeError("invalid_request_error", "permission_denied"),
    tag: "StripePermissionError"
  },
  {
    label: "missing API version",
    call: "invoke",
    status: 400,
    body: stripeError("invalid_request_error", "missing_api_version"),
    tag: "StripeApiError"
  },
  {
    label: "too many requests",
    call: "invoke",
    status: 429,
    body: stripeError("rate_limit", "rate_limited"),
    tag: "StripeRateLimitError"
  },
  {
    label: "server error 500",
    call: "invoke",
    status: 500,
    body: stripeError("api_error", "internal_error"),
    tag: "StripeApiError"
  },
  {
    label: "server error 502",
    call: "retrieveWorkflow",
    status: 502,
    body: stripeError("api_error", undefined),
    tag: "StripeApiError"
  },
  {
    label: "server error 503",
    call: "retrieveEvent",
    status: 503,
    body: stripeError("api_error", "unavailable"),
    tag: "StripeApiError"
  },
  // The code wins over the status.
  {
    label: "not_found with status 400",
    call: "retrieveWorkflowRun",
    status: 400,
    body: stripeError("invalid_request_error", "not_found"),
    tag: "WorkflowRunNotFound"
  },
  {
    label: "api_key_invalid with status 400",
    call: "invoke",
    status: 400,
    body: stripeError("invalid_request_error", "api_key_invalid"),
    tag: "StripeAuthenticationError"
  },
  // A code that does not fit the endpoint.
  {
    label: "input error from a retrieve",
    call: "retrieveWorkflow",
    status: 400,
    body: stripeError("invalid_request_error", "invalid_workflow_input_parameters"),
    tag: "StripeApiError"
  },
  {
    label: "not_found from a list",
    call: "listWorkflowRuns",
    status: 404,
    body: stripeError("invalid_request_error", "not_found"),
    tag: "StripeApiError"
  },
  // By type, when the code is unknown or missing.
  {
    label: "type cannot_proceed",
    call: "invoke",
    status: 400,
    body: stripeError("cannot_proceed", "workflow_archived"),
    tag: "WorkflowNotInvokable"
  },
  {
    label: "type idempotency_error",
    call: "invoke",
    status: 409,
    body: stripeError("idempotency_error", undefined),
    tag: "IdempotencyConflict"
  },
  {
    label: "type rate_limit",
    call: "retrieveWorkflow",
    status: 400,
    body: stripeError("rate_limit", undefined),
    tag: "StripeRateLimitError"
  },
  // By status, when neither code nor type decides.
  {
    label: "an inherited property name as code and type",
    call: "invoke",
    status: 400,
    body: stripeError("toString", "constructor"),
    tag: "StripeApiError"
  },
  {
    label: "status 401 with an unknown code",
    call: "invoke",
    status: 401,
    body: stripeError("invalid_request_error", "some_new_code"),
    tag: "StripeAuthenticationError"
  },
  { label: "status 403 with an empty body", call: "invoke", status: 403, body: "", tag: "StripePermissionError" },
  {
    label: "status 404 with an HTML body",
    call: "retrieveWorkflowRun",
    status: 404,
    body: "<html>Not Found</html>",
    tag: "WorkflowRunNotFound"
  },
  { label: "status 429 with an empty body", call: "retrieveEvent", status: 429, body: "", tag: "StripeRateLimitError" },
  {
    label: "status 500 with a non-JSON body",
    call: "invoke",
    status: 500,
    body: "upstream connect error",
    tag: "StripeApiError"
  },
  { label: "status 418 with an empty body", call: "invoke", status: 418, body: "", tag: "StripeApiError" },
  {
    label: "status 400 with JSON that is no error",
    call: "invoke",
    status: 400,
    body: { message: "nope" },
    tag: "StripeApiError"
  }
]

const call = (name: Call): Effect.Effect<unknown, { readonly _tag: string }, Workflows.Workflows> => {
  switch (name) {
    case "invoke":
      return Workflows.invokeWorkflow("wf_test_1" as Ids.WorkflowId, {})
    case "retrieveWorkflow":
      return Workflows.retrieveWorkflow("wf_test_1" as Ids.WorkflowId)
    case "retrieveWorkflowRun":
      return Workflows.retrieveWorkflowRun("wfrun_test_1" as Ids.WorkflowRunId)
    case "retrieveEvent":
      return Workflows.retrieveEvent("evt_test_1" as Ids.StripeEventId)
    case "listWorkflowRuns":
      return Stream.runDrain(Workflows.listWorkflowRuns())
  }
}

describe("error responses", () => {
  for (const row of rows) {
    it.scopedLive(`${row.label} becomes ${row.tag}`, () =>
      withServer((server) =>
        Effect.gen(function*() {
          server.script({ _tag: "Respond", status: row.status, body: row.body })
          const error = (yield* Effect.flip(call(row.call))) as unknown as Record<string, unknown>
          assert.strictEqual(error._tag, row.tag)
          assert.strictEqual(error.requestId, "req_scripted_1")
          assert.strictEqual(server.requests().length, 1)
          if (typeof row.body === "object" && "error" in row.body) {
            const sent = row.body.error as Record<string, string>
            assert.strictEqual(error.message, sent.message)
            assert.strictEqual(error.userMessage, "Something went wrong.")
            assert.strictEqual(error.docUrl, "https://docs.stripe.com/error-codes")
            if (sent.code !== undefined) assert.strictEqual(error.code, sent.code)
          } else {
            assert.include(String(error.message), `HTTP ${row.status}`)
          }
          if (row.tag === "StripeApiError") {
            assert.strictEqual(error.body, typeof row.body === "string" ? row.body : JSON.stringify(row.body))
            assert.strictEqual(error.status, row.status)
          }
        }), { maxRetries: 0 }))
  }

  it.scopedLive("a 2xx that is not JSON is a decode error", () =>
    withServer((server) =>
      Effect.gen(function*() {
        server.script({ _tag: "Respond", status: 200, body: "<html>" })
        const error = yield* Effect.flip(Workflows.retrieveWorkflowRun("wfrun_test_1" as Ids.WorkflowRunId))
        assert.strictEqual(error._tag, "StripeDecodeError")
        if (error._tag === "StripeDecodeError") {
          assert.strictEqual(error.path, "")
          assert.strictEqual(error.body, "<html>")
          assert.strictEqual(error.requestId, "req_scripted_1")
        }
      })
    ))

  it.scopedLive("a 2xx with a bad field names its path", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        server.script({
          _tag: "Respond",
          status: 200,
          body: {
            id: "wfrun_test_1",
            object: "v2.extend.workflow_run",
            created: "2026-04-08T14:33:27.076Z",
            status: "started",
            status_transitions: { started_at: "yesterday" },
            trigger: { type: "manual", manual: { input_parameters: {} } },
            workflow: workflow.id,
            livemode: false
          }
        })
        const error = yield* Effect.flip(Workflows.retrieveWorkflowRun("wfrun_test_1" as Ids.WorkflowRunId))
        assert.strictEqual(error._tag, "StripeDecodeError")
        if (error._tag === "StripeDecodeError") assert.strictEqual(error.path, "status_transitions.started_at")
      })
    ))

  it.scopedLive("a refused connection is a connection error", () =>
    withServer((server) =>
      Effect.gen(function*() {
        server.script({ _tag: "Drop" })
        const error = yield* Effect.flip(Workflows.retrieveWorkflow("wf_test_1" as Ids.WorkflowId))
        assert.strictEqual(error._tag, "StripeConnectionError")
        if (error._tag === "StripeConnectionError") {
          assert.strictEqual(error.reason, "Transport")
          assert.strictEqual(error.attempts, 1)
          assert.strictEqual(error.path, "/v2/extend/workflows/wf_test_1")
        }
      }), { maxRetries: 0 }))
})
