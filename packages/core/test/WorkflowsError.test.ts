import { describe, expect, it } from "@effect/vitest"
import { Ids, WorkflowsError } from "@workflow-runs/core"
import { Cause, Effect, Exit, Schema } from "effect"
import { decodeFailure } from "./support/decoding.js"

const workflowId = Ids.WorkflowId.make("wf_test_61UNwDso5RkJhsXt116TT0rUFzSQLefl99yAJBArIFXc")
const runId = Ids.WorkflowRunId.make("wfrun_test_61UTL7vuMHzp5fHTd16TT0rUFzSQLefl99yAJBArITFo")
const eventId = Ids.StripeEventId.make("evt_test_65Rzzzz")

const stripeFields = {
  message: "The input parameters are invalid: amount must be a number.",
  userMessage: "Check the amount and try again.",
  docUrl: "https://docs.stripe.com/error-codes/invalid-workflow-input-parameters",
  requestId: "req_8f3kD02mXq"
}

const errors: ReadonlyArray<[WorkflowsError.WorkflowsError, string, Record<string, string>]> = [
  [
    new WorkflowsError.InvalidWorkflowInputParameters({
      ...stripeFields,
      code: WorkflowsError.InvalidWorkflowInputParameters.code,
      workflowId
    }),
    "invalid_workflow_input_parameters",
    { workflowId }
  ],
  [
    new WorkflowsError.WorkflowNotInvokable({
      ...stripeFields,
      code: WorkflowsError.WorkflowNotInvokable.code,
      workflowId
    }),
    "workflow_not_invokable",
    { workflowId }
  ],
  [
    new WorkflowsError.WorkflowNotFound({ ...stripeFields, code: WorkflowsError.WorkflowNotFound.code, workflowId }),
    "not_found",
    { workflowId }
  ],
  [
    new WorkflowsError.WorkflowRunNotFound({ ...stripeFields, code: WorkflowsError.WorkflowRunNotFound.code, runId }),
    "not_found",
    { runId }
  ],
  [
    new WorkflowsError.EventNotFound({ ...stripeFields, code: WorkflowsError.EventNotFound.code, eventId }),
    "not_found",
    { eventId }
  ],
  [
    new WorkflowsError.IdempotencyConflict({
      ...stripeFields,
      code: WorkflowsError.IdempotencyConflict.code,
      idempotencyKey: "order-1842"
    }),
    "idempotency_error",
    { idempotencyKey: "order-1842" }
  ]
]

describe("WorkflowsError", () => {
  it.each(errors.map((row) => [row[0]._tag, ...row] as const))(
    "%s keeps what Stripe sent",
    (_, error, code, resource) => {
      expect(error.code).toBe(code)
      expect(error.message).toBe(stripeFields.message)
      expect(error.userMessage).toBe(stripeFields.userMessage)
      expect(error.docUrl).toBe(stripeFields.docUrl)
      expect(error.requestId).toBe(stripeFields.requestId)
      expect(error).toMatchObject(resource)
      expect(String(error)).toContain(stripeFields.requestId)
      expect(String(error)).toContain(Object.values(resource)[0])
    }
  )

  it.each(errors.map((row) => [row[0]._tag, row[0]] as const))("%s round-trips through its schema", (_, error) => {
    const encoded = Schema.encodeSync(WorkflowsError.WorkflowsError)(error)
    expect(encoded._tag).toBe(error._tag)
    expect(encoded).toMatchObject({ code: error.code, requestId: stripeFields.requestId })
    const decoded = Schema.decodeUnknownSync(WorkflowsError.WorkflowsError)(JSON.parse(JSON.stringify(encoded)))
    expect(decoded).toBeInstanceOf(error.constructor)
    expect(decoded).toEqual(error)
  })

  it.effect("is a typed failure that catchTag selects", () =>
    Effect.gen(function*() {
      const [error] = errors[3]!
      const exit = yield* Effect.exit(Effect.fail(error))
      expect(Exit.isFailure(exit) && Cause.failureOption(exit.cause)).toMatchObject({ value: error })
      const recovered = yield* Effect.fail(error).pipe(
        Effect.catchTag("WorkflowRunNotFound", (notFound) => Effect.succeed(notFound.runId))
      )
      expect(recovered).toBe(runId)
    }))

  it("leaves the optional fields out when Stripe sent none", () => {
    const error = new WorkflowsError.WorkflowNotFound({ code: "not_found", message: "No such workflow", workflowId })
    expect(error.userMessage).toBeUndefined()
    expect(error.requestId).toBeUndefined()
    expect(String(error)).toBe(`WorkflowNotFound: workflow ${workflowId}: No such workflow`)
    const encoded = Schema.encodeSync(WorkflowsError.WorkflowsError)(error)
    expect(Object.keys(encoded).sort()).toEqual(["_tag", "code", "message", "workflowId"])
  })

  it("names an unknown tag or a missing field", () => {
    const unknownTag = decodeFailure(WorkflowsError.WorkflowsError, { _tag: "RateLimited", code: "x", message: "y" })
    expect(unknownTag.paths).toContainEqual(["_tag"])
    const noMessage = decodeFailure(WorkflowsError.WorkflowsError, { _tag: "WorkflowRunNotFound", code: "not_found" })
    expect(noMessage.paths).toEqual([["message"]])
    const noRun = decodeFailure(WorkflowsError.WorkflowsError, { _tag: "WorkflowRunNotFound", code: "x", message: "y" })
    expect(noRun.paths).toEqual([["runId"]])
    expect(noRun.message).toContain(`["runId"]`)
  })
})
