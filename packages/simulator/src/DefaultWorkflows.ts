/**
 * The workflows a simulator serves when its options name none: one of every status and trigger kind,
 * and the on-demand workflow of Stripe's invoke example, which declares the inputs `customer_id`
 * (string, required), `amount` (integer, required), `notify` (boolean) and `tags` (array of
 * strings).
 *
 * @since 0.1.0
 */
import type { WorkflowDefinitionInput } from "./WorkflowDefinition.js"

/**
 * The on-demand workflow of Stripe's invoke example; its runs succeed after 50 ms.
 *
 * @since 0.1.0
 * @category ids
 */
export const onboardCustomer = "wf_test_61UNwDso5RkJhsXt116TT0rUFzSQLefl99yAJBArIFXc"

/**
 * An on-demand workflow that accepts any input parameters; its runs succeed after 50 ms.
 *
 * @since 0.1.0
 * @category ids
 */
export const anyInput = "wf_test_61SimAnyInput000000000000000000000000000000"

/**
 * An on-demand workflow whose runs fail after 50 ms.
 *
 * @since 0.1.0
 * @category ids
 */
export const alwaysFails = "wf_test_61SimAlwaysFails0000000000000000000000000000"

/**
 * An event-triggered workflow (`customer.created`), which invoke rejects.
 *
 * @since 0.1.0
 * @category ids
 */
export const onCustomerCreated = "wf_test_61SimOnCustomerCreated000000000000000000000"

/**
 * An `inactive` on-demand workflow, which invoke rejects.
 *
 * @since 0.1.0
 * @category ids
 */
export const paused = "wf_test_61SimPaused000000000000000000000000000000000"

/**
 * A `draft` on-demand workflow, left out of lists without a `status` filter.
 *
 * @since 0.1.0
 * @category ids
 */
export const draft = "wf_test_61SimDraft0000000000000000000000000000000000"

/**
 * An `archived` on-demand workflow, left out of lists without a `status` filter.
 *
 * @since 0.1.0
 * @category ids
 */
export const archived = "wf_test_61SimArchived00000000000000000000000000000000"

/**
 * The default definitions, oldest first.
 *
 * @since 0.1.0
 * @category definitions
 */
export const definitions: ReadonlyArray<WorkflowDefinitionInput> = [
  { id: archived, title: "Archived follow-up", status: "archived" },
  { id: draft, title: "Draft refund review", status: "draft" },
  { id: paused, title: "Paused dunning", status: "inactive" },
  {
    id: onCustomerCreated,
    title: "Welcome new customers",
    trigger: { type: "event_trigger", event_type: "customer.created" }
  },
  {
    id: alwaysFails,
    title: "Charge with a failing step",
    script: { outcome: "failed", error_message: "Step 2 failed: the card was declined" }
  },
  { id: anyInput, title: "Accept any input" },
  {
    id: onboardCustomer,
    title: "Onboard customer",
    inputs: [
      { name: "customer_id", type: "string", required: true },
      { name: "amount", type: "integer", required: true },
      { name: "notify", type: "boolean" },
      { name: "tags", type: "array", items: "string" }
    ]
  }
]
