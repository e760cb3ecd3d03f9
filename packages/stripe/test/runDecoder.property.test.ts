import { assert, describe, it } from "@effect/vitest"
import { WorkflowRun } from "@workflow-runs/core"
import * as Arbitrary from "effect/Arbitrary"
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import { bodyDecoder } from "../src/internal/client.js"
import { decodeCommonRun } from "../src/internal/runDecoder.js"

const decodeWithSchema = Schema.decodeUnknownEither(WorkflowRun.WorkflowRun)
const encode = Schema.encodeSync(WorkflowRun.WorkflowRun)

// Stripe's JSON of a generated run, as it arrives on the wire.
const wireRun = Arbitrary.make(WorkflowRun.WorkflowRun).map((run) =>
  JSON.parse(JSON.stringify(encode(run))) as Record<string, unknown>
)

// A value with its class, key order and every nested value spelled out, so two values compare
// equal only when they are built the same way, not merely when they are structurally equal.
const shape = (value: unknown): unknown => {
  if (DateTime.isDateTime(value)) return ["DateTime", DateTime.isUtc(value), value.epochMillis]
  if (Array.isArray(value)) return value.map(shape)
  if (typeof value === "object" && value !== null) {
    return [
      Object.getPrototypeOf(value)?.constructor?.name,
      Object.keys(value).map((key) => [key, shape((value as Record<string, unknown>)[key])])
    ]
  }
  return value
}

const timestampForms = FastCheck.constantFrom(
  "2026-04-08T14:33:27.076Z",
  "2026-04-08T14:33:27Z",
  "2026-04-08T14:33:27.0761Z",
  "2026-04-08t14:33:27.076z",
  "2026-04-08T14:33:27.076+01:00",
  "2026-02-30T14:33:27.076Z",
  "2026-12-31T23:59:60.000Z",
  "0000-01-01T00:00:00.000Z",
  "9999-12-31T23:59:59.999Z",
  "2026-04-08 14:33:27.076Z",
  ""
)

const pad = (value: number, length: number) => String(value).padStart(length, "0")

// Strings of the canonical timestamp form with every field in and around its valid range.
const canonicalForms = FastCheck.tuple(
  FastCheck.oneof(FastCheck.integer({ min: 0, max: 9999 }), FastCheck.constantFrom(0, 99, 100, 1900, 2000, 2024, 2100)),
  FastCheck.integer({ min: 0, max: 13 }),
  FastCheck.integer({ min: 0, max: 32 }),
  FastCheck.integer({ min: 0, max: 24 }),
  FastCheck.integer({ min: 0, max: 60 }),
  FastCheck.integer({ min: 0, max: 61 }),
  FastCheck.integer({ min: 0, max: 999 })
).map(([year, month, day, hour, minute, second, millisecond]) =>
  `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${
    pad(millisecond, 3)
  }Z`
)

const replacement = FastCheck.oneof(
  FastCheck.jsonValue({ maxDepth: 2 }),
  timestampForms,
  FastCheck.constantFrom("started", "succeeded", "failed", "canceled", "manual", "event_trigger", ".", "a/b", "")
)

// Paths into a run's JSON whose values the mutation below replaces or removes.
const paths: ReadonlyArray<ReadonlyArray<string>> = [
  ["id"],
  ["object"],
  ["created"],
  ["status"],
  ["status_details"],
  ["status_details", "failed"],
  ["status_details", "failed", "error_message"],
  ["status_details", "started"],
  ["status_details", "succeeded"],
  ["status_transitions"],
  ["status_transitions", "failed_at"],
  ["status_transitions", "started_at"],
  ["status_transitions", "succeeded_at"],
  ["trigger"],
  ["trigger", "type"],
  ["trigger", "manual"],
  ["trigger", "manual", "input_parameters"],
  ["trigger", "event_trigger"],
  ["trigger", "event_trigger", "id"],
  ["workflow"],
  ["livemode"]
]

const mutate = (run: Record<string, unknown>, path: ReadonlyArray<string>, value: unknown, remove: boolean) => {
  const copy = structuredClone(run)
  let parent: Record<string, unknown> = copy
  for (const key of path.slice(0, -1)) {
    const next = parent[key]
    if (typeof next !== "object" || next === null) return copy
    parent = next as Record<string, unknown>
  }
  const last = path[path.length - 1]!
  if (remove) delete parent[last]
  else parent[last] = value
  return copy
}

const mutatedRun = FastCheck.tuple(
  wireRun,
  FastCheck.array(
    FastCheck.tuple(FastCheck.constantFrom(...paths), replacement, FastCheck.boolean()),
    { minLength: 1, maxLength: 3 }
  )
).map(([run, mutations]) =>
  mutations.reduce((current, [path, value, remove]) => mutate(current, path, value, remove), run)
)

// A response of the simulator to an invoke, as it sent it.
const simulatorRun = {
  id: "wfrun_test_61MUpMqqPUUCtne3C4EOxjKaZtTNWyqYyz6K9dBuNSXE",
  object: "v2.extend.workflow_run",
  created: "2026-12-05T01:52:16.216Z",
  status: "started",
  status_details: { failed: null, started: {}, succeeded: null },
  status_transitions: { failed_at: null, started_at: "2026-12-05T01:52:16.216Z", succeeded_at: null },
  trigger: { manual: { input_parameters: { customer_id: "cus_1", amount: 1000 } }, type: "manual" },
  workflow: "wf_test_61UNwDso5RkJhsXt116TT0rUFzSQLefl99yAJBArIFXc",
  livemode: false
}

const checkAgainstSchema = (input: unknown) => {
  const fast = decodeCommonRun(input)
  const decoded = decodeWithSchema(input)
  if (fast === undefined) return
  assert.isTrue(Either.isRight(decoded), "the fast decoder accepted an input the schema rejects")
  if (Either.isRight(decoded)) {
    assert.deepStrictEqual(shape(fast), shape(decoded.right))
    assert.strictEqual(Object.getPrototypeOf(fast), WorkflowRun.WorkflowRun.prototype)
  }
}

describe("decodeCommonRun", () => {
  it("builds the schema's value for generated runs", () => {
    FastCheck.assert(
      FastCheck.property(wireRun, (input) => {
        const fast = decodeCommonRun(input)
        const decoded = decodeWithSchema(input)
        assert.isTrue(Either.isRight(decoded))
        // Open-enum values this version does not know, and timestamps before the year 0100, are
        // left to the schema.
        const known = typeof input.status === "string" && ["started", "succeeded", "failed"].includes(input.status) &&
          ["manual", "event_trigger"].includes((input.trigger as { type: string }).type)
        const early = /"00\d\d-/.test(JSON.stringify(input))
        if (known && !early) assert.isDefined(fast, "the fast decoder left a common run to the schema")
        checkAgainstSchema(input)
      }),
      { numRuns: 500 }
    )
  })

  it("never accepts what the schema rejects", () => {
    FastCheck.assert(FastCheck.property(mutatedRun, checkAgainstSchema), { numRuns: 2000 })
  })

  it("decodes canonical timestamps as the schema does", () => {
    FastCheck.assert(
      FastCheck.property(wireRun, canonicalForms, canonicalForms, (run, created, startedAt) => {
        const transitions = run.status_transitions as Record<string, unknown>
        checkAgainstSchema({ ...run, created, status_transitions: { ...transitions, started_at: startedAt } })
      }),
      { numRuns: 3000 }
    )
  })

  it("follows the leap-year rule", () => {
    const run = (created: string) => ({ ...simulatorRun, created })
    assert.isDefined(decodeCommonRun(run("2000-02-29T00:00:00.000Z")))
    assert.isDefined(decodeCommonRun(run("2024-02-29T00:00:00.000Z")))
    assert.isUndefined(decodeCommonRun(run("1900-02-29T00:00:00.000Z")))
    assert.isUndefined(decodeCommonRun(run("2100-02-29T00:00:00.000Z")))
    assert.isUndefined(decodeCommonRun(run("2023-02-29T00:00:00.000Z")))
    for (const created of ["2000-02-29T00:00:00.000Z", "1900-02-29T00:00:00.000Z"]) checkAgainstSchema(run(created))
  })

  it("leaves other shapes to the schema", () => {
    FastCheck.assert(FastCheck.property(FastCheck.anything(), checkAgainstSchema), { numRuns: 500 })
  })

  it("decodes the simulator's invoke response", () => {
    const fast = decodeCommonRun(simulatorRun)
    assert.isDefined(fast)
    assert.deepStrictEqual(shape(fast), shape(Schema.decodeUnknownSync(WorkflowRun.WorkflowRun)(simulatorRun)))
  })
})

describe("bodyDecoder with a fast path", () => {
  const withFastPath = bodyDecoder(WorkflowRun.WorkflowRun, decodeCommonRun)
  const schemaOnly = bodyDecoder(WorkflowRun.WorkflowRun)
  const response = (body: string) => ({ status: 200, headers: { "request-id": "req_1" }, body })

  it("returns what the schema alone returns, errors included", () => {
    const body = FastCheck.oneof(
      mutatedRun.map((run) => JSON.stringify(run)),
      wireRun.map((run) => JSON.stringify(run)),
      FastCheck.string()
    )
    FastCheck.assert(
      FastCheck.property(body, (text) => {
        const fast = withFastPath(response(text))
        const slow = schemaOnly(response(text))
        assert.strictEqual(fast._tag, slow._tag)
        if (Either.isRight(fast) && Either.isRight(slow)) assert.deepStrictEqual(shape(fast.right), shape(slow.right))
        else assert.deepStrictEqual(fast, slow)
      }),
      { numRuns: 1000 }
    )
  })
})
