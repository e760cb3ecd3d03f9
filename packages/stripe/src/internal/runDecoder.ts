import { Ids, WorkflowRun } from "@workflow-runs/core"
import * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"

// A hand-written decoder of the Workflow Run JSON that Stripe usually sends. The schema decode
// walks six nested classes through the generic parser: about 14 µs per run against about 2 µs
// here (measured on a 2-core AMD EPYC with Node 20, JSON.parse excluded). This decoder accepts
// only inputs the schema also accepts, and it builds exactly the value the schema builds: the
// same classes, with the keys in the order of the classes' fields. For any other input it
// returns `undefined`, and the caller runs the schema, which then decodes the input or reports
// the error with its own message. A property test checks both claims against the schema.

// `undefined` is this module's "not handled here": the schema decides.
type Maybe<A> = A | undefined

const isWorkflowRunId = Schema.is(Ids.WorkflowRunId)
const isWorkflowId = Schema.is(Ids.WorkflowId)

const knownRunStatuses: ReadonlySet<unknown> = new Set(["started", "succeeded", "failed"])
const knownTriggerTypes: ReadonlySet<unknown> = new Set(["event_trigger", "manual"])

// Builds the instance that `new Class(props, true)` builds: the class's prototype with `props`
// assigned in their order. The constructor would also fill in field defaults, which none of
// these classes has, and it costs more than the rest of this decoder together.
const instance = <A>(Class: { readonly prototype: A }, props: object): A =>
  Object.assign(Object.create(Class.prototype as object), props) as A

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key)

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

// The form `DateTime.formatIso` writes and Stripe sends.
const canonicalTimestamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

// The number written in `value` from `start` to `end`, all of them ASCII digits.
const digits = (value: string, start: number, end: number) => {
  let number = 0
  for (let index = start; index < end; index++) number = number * 10 + value.charCodeAt(index) - 48
  return number
}

const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)

// Reads the canonical form field by field, without the cost of parsing it with `Date`. A value
// that passes these checks is a real calendar date without a leap second in the years 0100 to
// 9999, so the `Timestamp` schema accepts it, and `Date.UTC` gives the instant that its
// `new Date(value)` gives. The years 0000 to 0099 are left to the schema, because `Date.UTC`
// reads them as 1900 to 1999.
const timestamp = (value: unknown): Maybe<DateTime.Utc> => {
  if (typeof value !== "string" || !canonicalTimestamp.test(value)) return undefined
  const year = digits(value, 0, 4)
  const month = digits(value, 5, 7)
  const day = digits(value, 8, 10)
  const hour = digits(value, 11, 13)
  const minute = digits(value, 14, 16)
  const second = digits(value, 17, 19)
  const millisecond = digits(value, 20, 23)
  if (year < 100 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined
  const lastDay = month === 2 && isLeapYear(year) ? 29 : daysInMonth[month - 1]!
  if (day > lastDay) return undefined
  return DateTime.unsafeMake(Date.UTC(year, month - 1, day, hour, minute, second, millisecond))
}

// The `OpenObject` schema copies every own enumerable string key by assignment, as here.
const openObject = (value: unknown): Maybe<Record<string, unknown>> => {
  if (!isObject(value)) return undefined
  const output: Record<string, unknown> = {}
  for (const key of Object.keys(value)) output[key] = value[key]
  return output
}

// A nullable field that may be absent: `absent` when the key is missing, `null` as `null`.
const absent = Symbol("absent")

const nullableField = <A>(
  input: Record<string, unknown>,
  key: string,
  decode: (value: unknown) => Maybe<A>
): Maybe<A | null | typeof absent> => {
  if (!hasOwn(input, key)) return absent
  const value = input[key]
  return value === null ? null : decode(value)
}

const failedDetails = (value: unknown): Maybe<WorkflowRun.FailedDetails> => {
  if (!isObject(value)) return undefined
  const errorMessage = nullableField(
    value,
    "error_message",
    (message) => typeof message === "string" ? message : undefined
  )
  if (errorMessage === undefined) return undefined
  return instance(WorkflowRun.FailedDetails, errorMessage === absent ? {} : { errorMessage })
}

const statusDetails = (value: unknown): Maybe<WorkflowRun.StatusDetails> => {
  if (!isObject(value)) return undefined
  const failed = nullableField(value, "failed", failedDetails)
  const started = nullableField(value, "started", openObject)
  const succeeded = nullableField(value, "succeeded", openObject)
  if (failed === undefined || started === undefined || succeeded === undefined) return undefined
  const props: Record<string, unknown> = {}
  if (failed !== absent) props.failed = failed
  if (started !== absent) props.started = started
  if (succeeded !== absent) props.succeeded = succeeded
  return instance(WorkflowRun.StatusDetails, props)
}

const statusTransitions = (value: unknown): Maybe<WorkflowRun.StatusTransitions> => {
  if (!isObject(value)) return undefined
  const failedAt = nullableField(value, "failed_at", timestamp)
  const startedAt = nullableField(value, "started_at", timestamp)
  const succeededAt = nullableField(value, "succeeded_at", timestamp)
  if (failedAt === undefined || startedAt === undefined || succeededAt === undefined) return undefined
  const props: Record<string, unknown> = {}
  if (failedAt !== absent) props.failedAt = failedAt
  if (startedAt !== absent) props.startedAt = startedAt
  if (succeededAt !== absent) props.succeededAt = succeededAt
  return instance(WorkflowRun.StatusTransitions, props)
}

const eventTrigger = (value: unknown): Maybe<WorkflowRun.EventTrigger> => {
  if (!isObject(value)) return undefined
  const { context, id, type } = value
  if (typeof id !== "string" || typeof context !== "string" || typeof type !== "string") return undefined
  return instance(WorkflowRun.EventTrigger, { id, context, type })
}

const manualTrigger = (value: unknown): Maybe<WorkflowRun.ManualTrigger> => {
  if (!isObject(value)) return undefined
  const inputParameters = openObject(value.input_parameters)
  if (inputParameters === undefined) return undefined
  return instance(WorkflowRun.ManualTrigger, { inputParameters })
}

const runTrigger = (value: unknown): Maybe<WorkflowRun.RunTrigger> => {
  if (!isObject(value)) return undefined
  const eventTriggerValue = nullableField(value, "event_trigger", eventTrigger)
  const manual = nullableField(value, "manual", manualTrigger)
  const type = value.type
  if (eventTriggerValue === undefined || manual === undefined || !knownTriggerTypes.has(type)) return undefined
  const props: Record<string, unknown> = {}
  if (eventTriggerValue !== absent) props.eventTrigger = eventTriggerValue
  if (manual !== absent) props.manual = manual
  props.type = type
  return instance(WorkflowRun.RunTrigger, props)
}

/**
 * Decodes the common form of a Workflow Run to the value `Schema.decodeUnknown(WorkflowRun)`
 * returns, or returns `undefined` when the input needs the schema: an unknown status, a
 * timestamp in another form, or an input the schema rejects.
 *
 * @internal
 */
export const decodeCommonRun = (input: unknown): WorkflowRun.WorkflowRun | undefined => {
  if (!isObject(input)) return undefined
  const { id, livemode, object, status, workflow } = input
  if (
    !isWorkflowRunId(id) || object !== "v2.extend.workflow_run" || !knownRunStatuses.has(status) ||
    !isWorkflowId(workflow) || typeof livemode !== "boolean"
  ) return undefined
  const created = timestamp(input.created)
  const details = nullableField(input, "status_details", statusDetails)
  const transitions = statusTransitions(input.status_transitions)
  const trigger = runTrigger(input.trigger)
  if (created === undefined || details === undefined || transitions === undefined || trigger === undefined) {
    return undefined
  }
  const props: Record<string, unknown> = { id, object, created, status }
  if (details !== absent) props.statusDetails = details
  props.statusTransitions = transitions
  props.trigger = trigger
  props.workflow = workflow
  props.livemode = livemode
  return instance(WorkflowRun.WorkflowRun, props)
}
