import { type OpenEnum, RunEvent, Timestamp, type WorkflowRun } from "@workflow-runs/core"
import * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"
import * as Invocation from "../Invocation.js"
import { escapeJson, escapeJsonIfNeeded } from "./jsonText.js"

/** An event ready for the append statement: every field in its stored form. */
export interface EncodedEvent {
  readonly eventId: string
  readonly type: string
  /** Escaped for `jsonb`. */
  readonly data: Record<string, unknown>
  readonly occurredAt: string
  /** The head columns this event sets. */
  readonly patch: Record<string, unknown>
}

const encodeRunEvent = Schema.encodeSync(RunEvent.RunEvent)
const decodeRunEventSync = Schema.decodeUnknownSync(RunEvent.RunEvent)
const encodeInvocationEvent = Schema.encodeSync(Invocation.InvocationEvent)
const decodeInvocationEventSync = Schema.decodeUnknownSync(Invocation.InvocationEvent)

const split = (encoded: Record<string, unknown>) => {
  const { _tag, eventId, occurredAt, ...data } = encoded
  return { type: _tag as string, eventId: eventId as string, occurredAt: occurredAt as string, data }
}

const runPatch = (event: RunEvent.RunEvent, data: Record<string, unknown>, at: string): Record<string, unknown> => {
  switch (event._tag) {
    case "RunStarted": {
      const trigger = data.trigger as Record<string, unknown>
      const manual = trigger.manual as Record<string, unknown> | null | undefined
      return {
        status: "started",
        workflow_id: event.workflow,
        livemode: event.livemode,
        trigger_type: trigger.type,
        input_parameters: manual?.input_parameters ?? null,
        started_at: at
      }
    }
    case "RunSucceeded":
      return { status: "succeeded", finished_at: at }
    case "RunFailed":
      return { status: "failed", finished_at: at, error_message: data.errorMessage ?? null }
  }
}

const invocationPatch = (
  event: Invocation.InvocationEvent,
  data: Record<string, unknown>
): Record<string, unknown> => {
  const at = DateTime.formatIso(event.occurredAt)
  switch (event._tag) {
    case "InvocationRequested":
      return {
        outcome: "pending",
        workflow_id: event.workflow,
        input_parameters: data.inputParameters,
        actor: event.actor,
        requested_at: at
      }
    case "InvocationSucceeded":
      return { outcome: "succeeded", run_id: event.runId, error: null, settled_at: at }
    case "InvocationRejected":
      return {
        outcome: "rejected",
        error: { tag: event.errorTag, code: event.code, message: event.message, request_id: event.requestId },
        settled_at: at
      }
    case "InvocationOutcomeUnknown":
      return { outcome: "unknown", error: { tag: event.errorTag, message: event.message } }
  }
}

const openValue = (value: string | OpenEnum.UnknownValue): string => typeof value === "string" ? value : value.value

// Writes the trigger as `RunTrigger`'s schema encodes it: Stripe's keys, and an absent branch left out.
const encodeTrigger = (trigger: WorkflowRun.RunTrigger): Record<string, unknown> => {
  const encoded: Record<string, unknown> = {}
  if (Object.hasOwn(trigger, "eventTrigger")) {
    const eventTrigger = trigger.eventTrigger
    encoded.event_trigger = eventTrigger == null
      ? null
      : { id: eventTrigger.id, context: eventTrigger.context, type: eventTrigger.type }
  }
  if (Object.hasOwn(trigger, "manual")) {
    const manual = trigger.manual
    encoded.manual = manual == null ? null : { input_parameters: manual.inputParameters }
  }
  encoded.type = openValue(trigger.type)
  return encoded
}

// The event's fields besides its tag, run id, event id and time, as `RunEvent`'s schema encodes them.
const runData = (event: RunEvent.RunEvent): Record<string, unknown> => {
  switch (event._tag) {
    case "RunStarted":
      return { workflow: event.workflow, trigger: encodeTrigger(event.trigger), livemode: event.livemode }
    case "RunSucceeded":
      return {}
    case "RunFailed":
      return { errorMessage: event.errorMessage }
  }
}

/**
 * Encodes a run event for the log. The run id is the stream's, so it is left out of `data`.
 *
 * The append path calls this for every event, so it writes the fields by hand instead of
 * walking the schema. The output equals that of `Schema.encode(RunEvent.RunEvent)`, which the
 * tests check. It does not validate the ids and strings again, because the events' constructors
 * and the decoding of Stripe's responses did. A time that the schema cannot encode goes
 * through the schema, which rejects it.
 */
export const encodeRun = (event: RunEvent.RunEvent): EncodedEvent => {
  if (!Timestamp.isInRange(event.occurredAt)) {
    // Throws the schema's error for the time.
    encodeRunEvent(event)
  }
  const occurredAt = DateTime.formatIso(event.occurredAt)
  const data = escapeJsonIfNeeded(runData(event)) as Record<string, unknown>
  return { eventId: event.eventId, type: event._tag, occurredAt, data, patch: runPatch(event, data, occurredAt) }
}

/** Decodes a stored run event whose `data` is already unescaped. */
export const decodeRun = (
  runId: string,
  stored: { readonly type: string; readonly eventId: string; readonly occurredAt: string; readonly data: unknown }
): RunEvent.RunEvent =>
  decodeRunEventSync({
    ...(stored.data as Record<string, unknown>),
    _tag: stored.type,
    runId,
    eventId: stored.eventId,
    occurredAt: stored.occurredAt
  })

/** Encodes an invocation event for the log. The key is the stream's, so it is left out of `data`. */
export const encodeInvocation = (event: Invocation.InvocationEvent): EncodedEvent => {
  const { idempotencyKey: _key, ...fields } = encodeInvocationEvent(event) as unknown as Record<string, unknown>
  const { data, eventId, occurredAt, type } = split(fields)
  const escaped = escapeJson(data) as Record<string, unknown>
  return { eventId, type, occurredAt, data: escaped, patch: invocationPatch(event, escaped) }
}

/** Decodes a stored invocation event whose `data` is already unescaped. */
export const decodeInvocation = (
  idempotencyKey: string,
  stored: { readonly type: string; readonly eventId: string; readonly occurredAt: string; readonly data: unknown }
): Invocation.InvocationEvent =>
  decodeInvocationEventSync({
    ...(stored.data as Record<string, unknown>),
    _tag: stored.type,
    idempotencyKey,
    eventId: stored.eventId,
    occurredAt: stored.occurredAt
  })
