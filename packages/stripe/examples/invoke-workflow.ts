/**
 * Starts the fulfilment workflow of an order and turns every outcome into a decision the
 * caller can act on. Run it with `pnpm --filter @workflow-runs/stripe example:invoke <order id>`
 * and the `STRIPE_*` variables of `Workflows.layerConfig` set, plus `FULFILMENT_WORKFLOW_ID`.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Ids } from "@workflow-runs/core"
import { Workflows } from "@workflow-runs/stripe"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { pathToFileURL } from "node:url"

/**
 * The input parameters the fulfilment workflow declares.
 *
 * @since 0.1.0
 */
export const FulfilmentInput = Schema.Struct({
  order_id: Schema.NonEmptyString,
  amount: Schema.Int.pipe(Schema.positive()),
  express: Schema.Boolean
})

/**
 * The outcome of a fulfilment request.
 *
 * @since 0.1.0
 */
export type Fulfilment = Data.TaggedEnum<{
  Started: { readonly runId: Ids.WorkflowRunId }
  /** The workflow is paused or archived in the Dashboard; try again later. */
  Paused: { readonly reason: string }
  /** The order cannot be fulfilled as it is; `reason` is safe to show to the customer. */
  Rejected: { readonly reason: string }
  /** Stripe was unreachable or busy after the retries; the same key makes a retry safe. */
  RetryLater: { readonly idempotencyKey: string }
}>

/**
 * Constructors of {@link Fulfilment}.
 *
 * @since 0.1.0
 */
export const Fulfilment = Data.taggedEnum<Fulfilment>()

/**
 * Invokes the fulfilment workflow for an order. The idempotency key is derived from the order,
 * so calling this twice for one order starts one run.
 *
 * @since 0.1.0
 */
export const fulfil = Effect.fn("fulfil")(function*(
  workflowId: Ids.WorkflowId,
  order: typeof FulfilmentInput.Type
) {
  const idempotencyKey = `fulfil-${order.order_id}`
  return yield* Workflows.invokeWorkflow(workflowId, order, { idempotencyKey, inputSchema: FulfilmentInput }).pipe(
    Effect.map((run) => Fulfilment.Started({ runId: run.id })),
    Effect.catchTag("WorkflowNotInvokable", (error) => Effect.succeed(Fulfilment.Paused({ reason: error.message }))),
    Effect.catchTag(
      "InvalidWorkflowInputParameters",
      (error) => Effect.succeed(Fulfilment.Rejected({ reason: error.userMessage ?? error.message }))
    ),
    Effect.catchTags({
      StripeConnectionError: () => Effect.succeed(Fulfilment.RetryLater({ idempotencyKey })),
      StripeRateLimitError: () => Effect.succeed(Fulfilment.RetryLater({ idempotencyKey })),
      StripeApiError: (error) =>
        error.status >= 500 ? Effect.succeed(Fulfilment.RetryLater({ idempotencyKey })) : Effect.fail(error)
    })
  )
})

/**
 * The command: reads the workflow id from `FULFILMENT_WORKFLOW_ID`, fulfils the order given as
 * the first argument and prints the outcome.
 *
 * @since 0.1.0
 */
export const main = (orderId: string) =>
  Effect.gen(function*() {
    const workflowId = yield* Config.string("FULFILMENT_WORKFLOW_ID").pipe(
      Config.mapAttempt((id) => Ids.WorkflowId.make(id))
    )
    const outcome = yield* fulfil(workflowId, { order_id: orderId, amount: 5000, express: false })
    yield* Console.log(`${outcome._tag}: ${JSON.stringify(outcome)}`)
    return outcome
  })

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2] ?? "order_1").pipe(Effect.provide(Workflows.layerConfig()), NodeRuntime.runMain)
}
