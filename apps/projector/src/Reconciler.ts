/**
 * The reconciler: brings into the log what notifications missed. It re-reads runs still
 * `started` after a while, lists Stripe's recent runs (runs whose notifications were dropped,
 * and runs started from the Dashboard or by events), and settles invocation attempts left
 * `unknown` by sending them again with their stored idempotency key through the recording layer. One instance at a time
 * does the work, under a lease in `projection_checkpoints`, so any number may run.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Ids, type WorkflowRun } from "@workflow-runs/core"
import { Consumer, EventStore, Invocation, RecordingWorkflows } from "@workflow-runs/store"
import { Workflows } from "@workflow-runs/stripe"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Metrics from "./Metrics.js"
import * as RunProjector from "./RunProjector.js"

/**
 * Settings of the reconciler.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** This instance's id, stored as the lease owner. */
  readonly owner: string
  /** Runs still `started` for longer than this are read again from Stripe; default 1 minute. */
  readonly staleAfter?: Duration.DurationInput | undefined
  /**
   * Attempts `unknown` for longer than this are sent again; default 10 seconds, which leaves
   * the writer that sent them time to settle them itself.
   */
  readonly settleAfter?: Duration.DurationInput | undefined
  /** How many of Stripe's most recent runs each pass lists; default 100. */
  readonly recentRuns?: number | undefined
  /** The wait between passes; default 30 seconds. */
  readonly interval?: Duration.DurationInput | undefined
  /** How long the lease lasts without renewal; default 2 minutes. */
  readonly lease?: Duration.DurationInput | undefined
}

/**
 * The counts of one reconciler pass.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pass {
  readonly staleRuns: number
  readonly listedRuns: number
  readonly eventsAppended: number
  readonly attemptsSettled: number
}

const leaseName = "reconciler"

const recordSnapshot = (projector: RunProjector.Service, run: WorkflowRun.WorkflowRun) =>
  projector.record(run, { source: "reconciler" }, Option.none()).pipe(
    Effect.map((recorded) => recorded.appended),
    Effect.catchAll((error) =>
      Effect.as(
        Effect.logError("Could not record a run the reconciler read", error).pipe(
          Effect.annotateLogs({ run_id: run.id })
        ),
        0
      )
    )
  )

/**
 * Runs one pass of the reconciler, without the lease: for tests and the CLI.
 *
 * @since 0.1.0
 * @category reconciling
 */
export const reconcileOnce = Effect.fn("Reconciler.reconcileOnce")(function*(options: Omit<Options, "owner">) {
  const sql = yield* SqlClient.SqlClient
  const store = yield* EventStore.EventStore
  const projector = yield* RunProjector.RunProjector
  const workflows = yield* Workflows.Workflows
  const recording = yield* RecordingWorkflows.RecordingWorkflows
  let eventsAppended = 0

  const staleSeconds = Duration.toSeconds(options.staleAfter ?? "1 minute")
  const stale = yield* sql<{ run_id: string }>`
    select run_id from workflow_runs
    where status = 'started' and updated_at < clock_timestamp() - make_interval(secs => ${staleSeconds})
    order by updated_at limit 500`
  for (const row of stale) {
    const runId = Ids.WorkflowRunId.make(row.run_id)
    const run = yield* workflows.retrieveWorkflowRun(runId).pipe(
      Effect.tapError((error) =>
        Effect.logWarning("Could not re-read a started run", error).pipe(Effect.annotateLogs({ run_id: runId }))
      ),
      Effect.option
    )
    if (Option.isSome(run)) eventsAppended += yield* recordSnapshot(projector, run.value)
  }

  const recent = yield* workflows.listWorkflowRuns({ limit: Math.min(options.recentRuns ?? 100, 100) }).pipe(
    Stream.take(options.recentRuns ?? 100),
    Stream.runCollect,
    Effect.tapError((error) => Effect.logWarning("Could not list recent runs", error)),
    Effect.orElseSucceed(() => Chunk.empty<WorkflowRun.WorkflowRun>())
  )
  for (const run of recent) eventsAppended += yield* recordSnapshot(projector, run)

  const settleSeconds = Duration.toSeconds(options.settleAfter ?? "10 seconds")
  const unknown = yield* sql<{ idempotency_key: string }>`
    select idempotency_key from invocations
    where outcome = 'unknown' and updated_at < clock_timestamp() - make_interval(secs => ${settleSeconds})
    order by updated_at limit 100`
  let attemptsSettled = 0
  for (const row of unknown) {
    const key = Invocation.IdempotencyKey.make(row.idempotency_key)
    const settled = yield* settleAttempt(key).pipe(
      Effect.catchAll((error) =>
        Effect.as(
          Effect.logWarning("Could not settle an invocation attempt; the next pass tries again", error).pipe(
            Effect.annotateLogs({ idempotency_key: key })
          ),
          false
        )
      )
    )
    if (settled) attemptsSettled++
  }

  return {
    staleRuns: stale.length,
    listedRuns: Chunk.size(recent),
    eventsAppended,
    attemptsSettled
  } satisfies Pass

  // The recording layer sends the attempt again with its stored key, workflow and parameters and
  // records the run's transitions and the outcome, each in a transaction of its own.
  function settleAttempt(key: Invocation.IdempotencyKey) {
    return Effect.gen(function*() {
      yield* Metrics.countReconcilerRetry
      const retried = yield* Effect.either(recording.retryInvocation(key))
      if (retried._tag === "Left") {
        yield* Effect.logWarning("The retried invocation failed; the attempt's outcome is recorded", retried.left)
          .pipe(Effect.annotateLogs({ idempotency_key: key }))
      }
      const attempt = yield* store.readInvocation(key)
      const last = attempt.events.at(-1)?._tag
      return last === "InvocationSucceeded" || last === "InvocationRejected"
    })
  }
})

/**
 * Runs passes forever while this instance holds the lease; another instance's lease makes it
 * wait and try again. Every caught error is logged and the next pass goes on.
 *
 * @since 0.1.0
 * @category reconciling
 */
export const run = (options: Options) => {
  const lease = { name: leaseName, owner: options.owner, lease: options.lease ?? "2 minutes" }
  const pass = Consumer.acquire(lease).pipe(
    Effect.zipRight(reconcileOnce(options)),
    Effect.tap((pass) =>
      pass.eventsAppended > 0 || pass.attemptsSettled > 0
        ? Effect.logInfo("Reconciled runs").pipe(Effect.annotateLogs({ ...pass }))
        : Effect.void
    ),
    Effect.catchTag("LeaseHeld", (held) =>
      Effect.logDebug("Another instance holds the reconciler's lease").pipe(
        Effect.annotateLogs({ holder: held.holder })
      )),
    Effect.catchAll((error) => Effect.logError("The reconciler's pass failed; the next pass tries again", error))
  )
  return pass.pipe(
    Effect.repeat(Schedule.spaced(options.interval ?? "30 seconds")),
    Effect.ensuring(Effect.ignore(Consumer.release(lease))),
    Effect.asVoid
  )
}
