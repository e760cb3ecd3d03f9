import { describe, expect, it } from "@effect/vitest"
import { Ids, WorkflowsError } from "@workflow-runs/core"
import { StripeError } from "@workflow-runs/stripe"
import { settlementOf } from "../src/internal/recording.js"

const apiError = (status: number) => new StripeError.StripeApiError({ status, message: `HTTP ${status}`, body: "" })

describe("settlementOf", () => {
  it("treats final 4xx responses as rejected", () => {
    expect(settlementOf(apiError(400))).toBe("rejected")
    expect(settlementOf(apiError(404))).toBe("rejected")
    expect(settlementOf(apiError(422))).toBe("rejected")
    expect(
      settlementOf(
        new WorkflowsError.WorkflowNotInvokable({
          code: "workflow_not_invokable",
          message: "inactive",
          workflowId: Ids.WorkflowId.make("wf_1")
        })
      )
    ).toBe("rejected")
  })

  it("leaves retryable failures unknown", () => {
    expect(settlementOf(apiError(409))).toBe("unknown")
    expect(settlementOf(apiError(429))).toBe("unknown")
    expect(settlementOf(apiError(500))).toBe("unknown")
    expect(settlementOf(apiError(503))).toBe("unknown")
    expect(settlementOf(new StripeError.StripeRateLimitError({ status: 429, message: "slow down" }))).toBe("unknown")
    expect(
      settlementOf(new StripeError.StripeDecodeError({ status: 200, path: "id", message: "missing", body: "{}" }))
    ).toBe("unknown")
  })
})
