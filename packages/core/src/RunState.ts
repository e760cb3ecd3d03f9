/**
 * The run status state machine: `started -> succeeded | failed`, terminal states final.
 *
 * `transition` and `fold` replay events; `transitionsFrom` derives the events a Stripe snapshot
 * implies that a state lacks. Every writer goes through `transitionsFrom`, so late, duplicate,
 * out-of-order and early notifications, the reconciler and the invoke path converge on the same
 * events.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { WorkflowRunId } from "./Ids.js"
import * as RunEvent from "./RunEvent.js"
import type { WorkflowRun } from "./WorkflowRun.js"

/**
 * The state of one run in the log: not started, started, or finished, with the events behind it.
 *
 * @since 0.1.0
 * @category models
 */
export type RunState = Data.TaggedEnum<{
  NotStarted: {}
  Started: { readonly started: RunEvent.RunStarted }
  Succeeded: { readonly started: RunEvent.RunStarted; readonly succeeded: RunEvent.RunSucceeded }
  Failed: { readonly started: RunEvent.RunStarted; readonly failed: RunEvent.RunFailed }
}>

/**
 * Constructors and matchers of {@link RunState}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const RunState = Data.taggedEnum<RunState>()

/**
 * The state before any event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const initial: RunState = RunState.NotStarted()

/**
 * The status a state stands for.
 *
 * @since 0.1.0
 * @category models
 */
export const StateStatus = Schema.Literal("not_started", "started", "succeeded", "failed")

/**
 * @since 0.1.0
 * @category models
 */
export type StateStatus = typeof StateStatus.Type

/**
 * Returns the status of `state`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const statusOf = (state: RunState): StateStatus =>
  RunState.$match(state, {
    NotStarted: () => "not_started" as const,
    Started: () => "started" as const,
    Succeeded: () => "succeeded" as const,
    Failed: () => "failed" as const
  })

/**
 * Returns the run id of `state`, none before the run started.
 *
 * @since 0.1.0
 * @category accessors
 */
export const runIdOf = (state: RunState): Option.Option<WorkflowRunId> =>
  state._tag === "NotStarted" ? Option.none() : Option.some(state.started.runId)

/**
 * Returns the events that led to `state`, in the order they were applied.
 *
 * @since 0.1.0
 * @category accessors
 */
export const eventsOf = (state: RunState): ReadonlyArray<RunEvent.RunEvent> =>
  RunState.$match(state, {
    NotStarted: () => [],
    Started: ({ started }) => [started],
    Succeeded: ({ started, succeeded }) => [started, succeeded],
    Failed: ({ failed, started }) => [started, failed]
  })

/**
 * Tells whether `state` is final.
 *
 * @since 0.1.0
 * @category accessors
 */
export const isTerminal = (state: RunState): boolean => state._tag === "Succeeded" || state._tag === "Failed"

/**
 * An event that the state machine cannot apply: a transition out of a terminal state, a terminal
 * transition before the start, a second start, or an event of another run.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRunTransition extends Schema.TaggedError<InvalidRunTransition>(
  "@workflow-runs/core/InvalidRunTransition"
)("InvalidRunTransition", {
  runId: WorkflowRunId,
  from: StateStatus,
  event: Schema.Literal("RunStarted", "RunSucceeded", "RunFailed"),
  reason: Schema.String
}) {
  override get message(): string {
    return `Run ${this.runId} cannot apply ${this.event} in state ${this.from}: ${this.reason}`
  }
}

const invalid = (state: RunState, event: RunEvent.RunEvent, reason: string) =>
  Either.left(new InvalidRunTransition({ runId: event.runId, from: statusOf(state), event: event._tag, reason }))

/**
 * Applies `event` to `state`, or fails with {@link InvalidRunTransition}.
 *
 * @since 0.1.0
 * @category state machine
 */
export const transition = (
  state: RunState,
  event: RunEvent.RunEvent
): Either.Either<RunState, InvalidRunTransition> => {
  if (state._tag !== "NotStarted" && state.started.runId !== event.runId) {
    return invalid(state, event, `the event belongs to run ${event.runId}, the state to run ${state.started.runId}`)
  }
  switch (state._tag) {
    case "NotStarted":
      return event._tag === "RunStarted"
        ? Either.right(RunState.Started({ started: event }))
        : invalid(state, event, "a run must start before it can finish")
    case "Started":
      switch (event._tag) {
        case "RunSucceeded":
          return Either.right(RunState.Succeeded({ started: state.started, succeeded: event }))
        case "RunFailed":
          return Either.right(RunState.Failed({ started: state.started, failed: event }))
        case "RunStarted":
          return invalid(state, event, "the run has already started")
      }
      break
    case "Succeeded":
    case "Failed":
      return invalid(state, event, "the run has already finished")
  }
}

/**
 * Replays `events` in order from the initial state.
 *
 * @since 0.1.0
 * @category state machine
 */
export const fold = (events: Iterable<RunEvent.RunEvent>): Either.Either<RunState, InvalidRunTransition> => {
  let state: RunState = initial
  for (const event of events) {
    const next = transition(state, event)
    if (Either.isLeft(next)) return next
    state = next.right
  }
  return Either.right(state)
}

const startedFrom = (snapshot: WorkflowRun): RunEvent.RunStarted =>
  RunEvent.started({
    runId: snapshot.id,
    occurredAt: Option.getOrElse(snapshot.startedAt, () => snapshot.created),
    workflow: snapshot.workflow,
    trigger: snapshot.trigger,
    livemode: snapshot.livemode
  })

// A terminal status only implies its transition once Stripe reports when it happened; until
// then the run stays started and waits for a later snapshot.
const terminalFrom = (snapshot: WorkflowRun): Option.Option<RunEvent.RunSucceeded | RunEvent.RunFailed> => {
  switch (snapshot.status) {
    case "succeeded":
      return Option.map(snapshot.succeededAt, (at) => RunEvent.succeeded(snapshot.id, at))
    case "failed":
      return Option.map(
        snapshot.failedAt,
        (at) => RunEvent.failed(snapshot.id, at, Option.getOrNull(snapshot.errorMessage))
      )
    default:
      // `started`, or a status this version does not know: nothing beyond the start is implied.
      return Option.none()
  }
}

/**
 * Returns the ordered events that `snapshot` implies and `state` lacks. It returns no event for a
 * snapshot that is older than the state, and fails with {@link InvalidRunTransition} when the
 * snapshot contradicts the state (another run, or the other terminal status).
 *
 * @since 0.1.0
 * @category state machine
 */
export const transitionsFrom = (
  state: RunState,
  snapshot: WorkflowRun
): Either.Either<ReadonlyArray<RunEvent.RunEvent>, InvalidRunTransition> => {
  const events: Array<RunEvent.RunEvent> = []
  let current: RunState = state
  if (current._tag === "NotStarted") {
    const started = startedFrom(snapshot)
    events.push(started)
    current = RunState.Started({ started })
  } else if (current.started.runId !== snapshot.id) {
    return invalid(current, startedFrom(snapshot), `the snapshot is of run ${snapshot.id}`)
  }
  const terminal = terminalFrom(snapshot)
  if (Option.isNone(terminal)) return Either.right(events)
  const next = terminal.value
  if (current._tag === "Started") {
    events.push(next)
    return Either.right(events)
  }
  // The state is terminal here, so a snapshot of the same terminal status implies nothing new.
  const recorded = current._tag === "Succeeded" ? current.succeeded : current.failed
  if (recorded._tag === next._tag) return Either.right(events)
  return invalid(current, next, "the snapshot reports the other terminal status")
}
