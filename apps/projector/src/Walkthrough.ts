/**
 * A walk through the core model: decode Stripe's invoke response, derive the run-transition
 * events that snapshots imply, and replay them through the state machine. It is what `demo`
 * prints until the projector service exists.
 *
 * @since 0.1.0
 */
import { RunEvent, RunState, WorkflowRun } from "@workflow-runs/core"
import * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

/**
 * The example response of Stripe's invoke endpoint, byte for byte.
 *
 * @since 0.1.0
 */
export const seedResponse = `{
  "id": "wfrun_test_61UTL7vuMHzp5fHTd16TT0rUFzSQLefl99yAJBArITFo",
  "object": "v2.extend.workflow_run",
  "created": "2026-04-08T14:33:27.076Z",
  "status": "started",
  "status_details": {
    "failed": null,
    "started": {},
    "succeeded": null
  },
  "status_transitions": {
    "failed_at": null,
    "started_at": "2026-04-08T14:33:27.335Z",
    "succeeded_at": null
  },
  "trigger": {
    "manual": {
      "input_parameters": {
        "customer_id": "cus_SJjFsJvGPQKfH1",
        "amount": 5000,
        "notify": true,
        "tags": [
          "signup",
          "promotion"
        ]
      }
    },
    "type": "manual"
  },
  "workflow": "wf_test_61UNwDso5RkJhsXt116TT0rUFzSQLefl99yAJBArIFXc",
  "livemode": false
}
`

const decodeRun = Schema.decodeUnknown(Schema.parseJson(WorkflowRun.WorkflowRun))
const encodeRun = Schema.encode(WorkflowRun.WorkflowRun)

const describeEvent = (event: RunEvent.RunEvent): string =>
  `${DateTime.formatIso(event.occurredAt)}  ${event._tag.padEnd(12)} ${event.eventId}` +
  (event._tag === "RunFailed" && event.errorMessage !== null ? `  "${event.errorMessage}"` : "")

/**
 * Applies a snapshot to a state the way every writer does, printing the events it implies.
 */
const apply = Effect.fnUntraced(function*(label: string, state: RunState.RunState, snapshot: WorkflowRun.WorkflowRun) {
  const events = yield* Either.match(RunState.transitionsFrom(state, snapshot), {
    onLeft: (error) => Effect.fail(error),
    onRight: (events) => Effect.succeed(events)
  })
  yield* Console.log(`\n${label}: snapshot status ${String(snapshot.status)}, ${events.length} new event(s)`)
  for (const event of events) yield* Console.log(`  ${describeEvent(event)}`)
  const next = RunState.fold([...RunState.eventsOf(state), ...events])
  if (Either.isLeft(next)) return yield* Effect.fail(next.left)
  yield* Console.log(`  state: ${RunState.statusOf(next.right)}`)
  return next.right
})

const finished = (
  run: WorkflowRun.WorkflowRun,
  status: "succeeded" | "failed",
  at: string,
  errorMessage?: string
): WorkflowRun.WorkflowRun => {
  const time = DateTime.unsafeMake(at)
  return WorkflowRun.WorkflowRun.make({
    ...run,
    status,
    statusDetails: new WorkflowRun.StatusDetails({
      started: {},
      succeeded: status === "succeeded" ? {} : null,
      failed: status === "failed" ? new WorkflowRun.FailedDetails({ errorMessage: errorMessage ?? null }) : null
    }),
    statusTransitions: new WorkflowRun.StatusTransitions({
      startedAt: run.statusTransitions.startedAt ?? null,
      succeededAt: status === "succeeded" ? time : null,
      failedAt: status === "failed" ? time : null
    })
  })
}

/**
 * Runs the walk-through and prints each step.
 *
 * @since 0.1.0
 */
export const walkthrough = Effect.gen(function*() {
  yield* Console.log("Decoding the example response of POST /v2/extend/workflows/{id}/invoke")
  const run = yield* decodeRun(seedResponse)
  yield* Console.log(`  run ${run.id} of workflow ${run.workflow}`)
  yield* Console.log(`  status ${String(run.status)}, created ${DateTime.formatIso(run.created)}`)
  yield* Console.log(
    `  input parameters ${JSON.stringify(run.inputParameters._tag === "Some" ? run.inputParameters.value : null)}`
  )
  const encoded = yield* encodeRun(run)
  const roundTrip = JSON.stringify(encoded) === JSON.stringify(JSON.parse(seedResponse))
  yield* Console.log(`  encoding it again gives Stripe's JSON back: ${roundTrip ? "yes" : "no"}`)

  let state = RunState.initial
  state = yield* apply("Invoke returns the started run", state, run)
  const succeeded = finished(run, "succeeded", "2026-04-08T14:33:31.902Z")
  state = yield* apply("The succeeded notification arrives", state, succeeded)
  state = yield* apply("Stripe delivers it again", state, succeeded)
  state = yield* apply("The started notification arrives late", state, run)

  const other = WorkflowRun.WorkflowRun.make({ ...run, id: WorkflowRun.WorkflowRun.fields.id.make(`${run.id}_2`) })
  const failed = finished(other, "failed", "2026-04-08T14:34:02.118Z", "Step 2 failed: customer has no email")
  yield* apply("A second run's failed notification arrives before anything else", RunState.initial, failed)

  const invalid = RunState.transition(state, RunEvent.failed(run.id, DateTime.unsafeMake("2026-04-08T14:40:00Z"), null))
  if (Either.isLeft(invalid)) {
    yield* Console.log(`\nA terminal state is final: ${invalid.left.message}`)
  }
})
