import { assert, describe, it } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import { WebhookSignature, Workflows } from "@workflow-runs/stripe"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import { invokeRequests, withServer } from "./utils/live.js"

// Returns the cases per property, sized for CI on two cores, or RELIABILITY_FUZZ_RUNS for a longer search.
const runs = (ciDefault: number) => {
  const configured = Number(process.env.RELIABILITY_FUZZ_RUNS ?? "")
  return Number.isInteger(configured) && configured > 0 ? configured : ciDefault
}

const secrets = [Redacted.make("whsec_hostile_input")] as const

const signatureErrors = new Set([
  "SignatureHeaderMissing",
  "SignatureHeaderMalformed",
  "V1SignatureMissing",
  "SignatureTimestampOutOfTolerance",
  "SignatureMismatch"
])

const deep = () => {
  const root: Record<string, unknown> = {}
  let node = root
  for (let level = 0; level < 100_000; level++) {
    const child: Record<string, unknown> = {}
    node.a = child
    node = child
  }
  return root
}

const cyclic = () => {
  const value: Record<string, unknown> = { a: 1 }
  value.self = value
  return value
}

describe("hostile input to the library", () => {
  it.scopedLive("invokeWorkflow rejects unserializable parameters before sending", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = Ids.WorkflowId.make(String(server.defineWorkflow().id))
        const cases: ReadonlyArray<[string, unknown]> = [
          ["nested 100,000 levels deep", deep()],
          ["cyclic", cyclic()],
          ["with a bigint", { amount: 10n }],
          ["with a throwing toJSON", {
            toJSON: () => {
              throw new Error("no JSON here")
            }
          }],
          [
            "with a throwing getter",
            Object.defineProperty({}, "a", {
              enumerable: true,
              get: () => {
                throw new Error("no value")
              }
            })
          ],
          ["an array", [1, 2]],
          ["null", null],
          ["a string", "{\"a\":1}"]
        ]
        for (const [name, parameters] of cases) {
          const exit = yield* Effect.exit(Workflows.invokeWorkflow(workflow, parameters as Record<string, never>))
          assert.isTrue(Exit.isFailure(exit), name)
          const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
          assert.strictEqual(error?._tag, "InvalidWorkflowInputParameters", name)
          assert.include(error?.message, workflow, name)
        }
        assert.deepStrictEqual(invokeRequests(server), [])
      })
    ))

  it.scopedLive("keeps every valid id inside its own path segment", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const isRunId = Schema.is(Ids.WorkflowRunId)
        const ids = FastCheck.oneof(
          FastCheck.string({ unit: "binary", minLength: 1, maxLength: 40 }),
          FastCheck.constantFrom(
            ".",
            "..",
            "...",
            ".%2e",
            "%2e%2e",
            "a?b=1",
            "a#b",
            "a%2Fb",
            " ",
            "\\..\\",
            "a b",
            "😀"
          )
        ).filter(isRunId)
        const runtime = yield* Effect.runtime<Workflows.Workflows>()
        yield* Effect.promise(() =>
          FastCheck.assert(
            FastCheck.asyncProperty(ids, async (id) => {
              const before = server.requests().length
              const exit = await Runtime.runPromiseExit(runtime)(
                Workflows.retrieveWorkflowRun(Ids.WorkflowRunId.make(id))
              )
              const sent = server.requests().slice(before)
              assert.strictEqual(sent.length, 1)
              const path = new URL(sent[0]!.url, server.url).pathname
              const segments = path.split("/").slice(1)
              assert.deepStrictEqual(segments.slice(0, 3), ["v2", "extend", "workflow_runs"])
              assert.strictEqual(segments.length, 4)
              assert.strictEqual(decodeURIComponent(segments[3]!), id)
              assert.isTrue(Exit.isFailure(exit) && exit.cause._tag === "Fail", "an unknown run is a typed error")
            }),
            { numRuns: runs(60) }
          )
        )
      })
    ))

  it.effect("verify returns a typed result for any header and body", () =>
    Effect.gen(function*() {
      const now = Math.floor(Date.now() / 1000)
      const header = FastCheck.oneof(
        FastCheck.string({ unit: "binary", maxLength: 200 }),
        FastCheck.array(
          FastCheck.tuple(
            FastCheck.constantFrom("t", "v1", "v0", "T", "V1", " t", "v1 ", ""),
            FastCheck.oneof(
              FastCheck.string({ maxLength: 70 }),
              FastCheck.integer().map(String),
              FastCheck.constant(String(now))
            )
          ),
          { maxLength: 5 }
        ).map((pairs) => pairs.map(([key, value]) => `${key}=${value}`).join(",")),
        FastCheck.constant(undefined),
        FastCheck.constant(null)
      )
      const payload = FastCheck.oneof(
        FastCheck.uint8Array({ maxLength: 256 }),
        FastCheck.string({ unit: "binary", maxLength: 256 })
      )
      let checked = 0
      yield* Effect.promise(() =>
        FastCheck.assert(
          FastCheck.asyncProperty(header, payload, async (header, payload) => {
            const exit = await Effect.runPromiseExit(WebhookSignature.verify(payload, header, { secrets }))
            // A generated header can be valid only by forging HMAC-SHA256, so every one is rejected.
            assert.isTrue(Exit.isFailure(exit))
            const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
            assert.isTrue(signatureErrors.has(error?._tag ?? ""), `not a signature error: ${String(error?._tag)}`)
            checked++
          }),
          { numRuns: runs(300) }
        )
      )
      assert.isAtLeast(checked, runs(300))
    }))
})
