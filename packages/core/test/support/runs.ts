import { Ids, type OpenEnum, RunEvent, RunState, WorkflowRun } from "@workflow-runs/core"
import { DateTime, Schema } from "effect"
import { fixture } from "./decoding.js"

/**
 * The seed's invoke response, decoded: a `started` run with `started_at`.
 */
export const invokedRun = Schema.decodeUnknownSync(WorkflowRun.WorkflowRun)(
  fixture("invoke-workflow-response.json")
)

/**
 * Parses a UTC timestamp written in Stripe's form.
 */
export const at = (iso: string): DateTime.Utc => DateTime.unsafeMake(iso)

/**
 * What a snapshot reports about a run's progress. A `null` time means Stripe sent no time yet.
 */
export interface Progress {
  readonly status: "started" | "succeeded" | "failed" | OpenEnum.UnknownValue
  readonly startedAt?: DateTime.Utc | null
  readonly succeededAt?: DateTime.Utc | null
  readonly failedAt?: DateTime.Utc | null
  readonly errorMessage?: string | null
}

/**
 * Builds a snapshot of `run` with the given progress, shaped as Stripe sends it (every
 * `status_transitions` key present, `null` when empty).
 */
export const snapshotOf = (run: WorkflowRun.WorkflowRun, progress: Progress): WorkflowRun.WorkflowRun =>
  WorkflowRun.WorkflowRun.make({
    ...run,
    status: progress.status,
    statusDetails: new WorkflowRun.StatusDetails({
      started: {},
      succeeded: progress.status === "succeeded" ? {} : null,
      failed: progress.status === "failed"
        ? new WorkflowRun.FailedDetails({ errorMessage: progress.errorMessage ?? null })
        : null
    }),
    statusTransitions: new WorkflowRun.StatusTransitions({
      startedAt: progress.startedAt === undefined ? run.statusTransitions.startedAt ?? null : progress.startedAt,
      succeededAt: progress.succeededAt ?? null,
      failedAt: progress.failedAt ?? null
    })
  })

/**
 * Returns `run` under another id.
 */
export const withId = (run: WorkflowRun.WorkflowRun, id: string): WorkflowRun.WorkflowRun =>
  WorkflowRun.WorkflowRun.make({ ...run, id: Ids.WorkflowRunId.make(id) })

/**
 * Applies `snapshot` to `state` the way every writer does: derive the missing events, then fold
 * them onto the state's own events. Throws when either step fails, which a test reports.
 */
export const applySnapshot = (
  state: RunState.RunState,
  snapshot: WorkflowRun.WorkflowRun
): { readonly state: RunState.RunState; readonly events: ReadonlyArray<RunEvent.RunEvent> } => {
  const events = RunState.transitionsFrom(state, snapshot)
  if (events._tag === "Left") throw events.left
  const next = RunState.fold([...RunState.eventsOf(state), ...events.right])
  if (next._tag === "Left") throw next.left
  return { state: next.right, events: events.right }
}

const encodeEvents = Schema.encodeSync(Schema.Array(RunEvent.RunEvent))

/**
 * A state as plain JSON (its status and encoded events), so states can be compared with
 * `toStrictEqual`.
 */
export const stateJson = (state: RunState.RunState) => ({
  status: RunState.statusOf(state),
  events: encodeEvents(RunState.eventsOf(state))
})
