import { assert, describe, it } from "@effect/vitest"
import { WebhookSignature } from "@workflow-runs/stripe"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import Stripe from "stripe"

const stripe = new Stripe("sk_test_signature_vectors")
const secret = "whsec_test_secret"
const options = { secrets: [Redacted.make(secret)] as const }
const payload = `{"id":"evt_test_1","object":"v2.core.event","type":"v2.extend.workflow_run.succeeded"}`
const timestamp = 1_700_000_000

const official = (body: string, signingSecret = secret, at = timestamp) =>
  stripe.webhooks.generateTestHeaderString({ payload: body, secret: signingSecret, timestamp: at })

/** Runs `effect` with the test clock at `seconds` past the epoch. */
const at = <A, E, R>(seconds: number, effect: Effect.Effect<A, E, R>) =>
  Effect.zipRight(TestClock.setTime(seconds * 1000), effect)

const rejection = (body: string | Uint8Array, header: string | undefined, now = timestamp) =>
  at(now, Effect.flip(WebhookSignature.verify(body, header, options)))

describe("WebhookSignature", () => {
  it.effect("accepts the reference vector", () =>
    at(
      timestamp,
      WebhookSignature.verify(
        payload,
        "t=1700000000,v1=2e494e075bfc39cb84fa414991c95d147c379df7a88a5d8dcb27ded9fe5514c6",
        options
      )
    ))

  it.effect("accepts a header from the official client", () =>
    Effect.gen(function*() {
      const header = official(payload)
      assert.strictEqual(header, WebhookSignature.makeHeader({ payload, secrets: [Redacted.make(secret)], timestamp }))
      yield* at(timestamp + 10, WebhookSignature.verify(payload, header, options))
      yield* at(timestamp + 10, WebhookSignature.verify(new TextEncoder().encode(payload), header, options))
    }))

  it.effect("rejects a changed byte", () =>
    Effect.gen(function*() {
      const error = yield* rejection(payload.replace("succeeded", "succeedee"), official(payload))
      assert.strictEqual(error._tag, "SignatureMismatch")
    }))

  it.effect("rejects a re-serialized body", () =>
    Effect.gen(function*() {
      const body =
        `{\n  "id": "evt_test_1",\n  "object": "v2.core.event",\n  "type": "v2.extend.workflow_run.failed"\n}`
      const reserialized = JSON.stringify(JSON.parse(body))
      assert.notStrictEqual(reserialized, body)
      const error = yield* rejection(reserialized, official(body))
      assert.strictEqual(error._tag, "SignatureMismatch")
    }))

  it.effect("rejects an old timestamp", () =>
    Effect.gen(function*() {
      const error = yield* rejection(payload, official(payload), timestamp + 301)
      assert.strictEqual(error._tag, "SignatureTimestampOutOfTolerance")
      if (error._tag === "SignatureTimestampOutOfTolerance") {
        assert.strictEqual(error.timestamp, timestamp)
        assert.strictEqual(error.toleranceSeconds, 300)
        assert.include(error.message, "old")
      }
    }))

  it.effect("rejects a far-future timestamp", () =>
    Effect.gen(function*() {
      const error = yield* rejection(payload, official(payload), timestamp - 301)
      assert.strictEqual(error._tag, "SignatureTimestampOutOfTolerance")
      assert.include(error.message, "in the future")
    }))

  it.effect("accepts timestamps at the tolerance either way", () =>
    Effect.gen(function*() {
      yield* at(timestamp + 300, WebhookSignature.verify(payload, official(payload), options))
      yield* at(timestamp - 300, WebhookSignature.verify(payload, official(payload), options))
    }))

  it.effect("applies a custom tolerance", () =>
    Effect.gen(function*() {
      const error = yield* at(
        timestamp + 11,
        Effect.flip(WebhookSignature.verify(payload, official(payload), { ...options, tolerance: "10 seconds" }))
      )
      assert.strictEqual(error._tag, "SignatureTimestampOutOfTolerance")
    }))

  it.effect("rejects another secret", () =>
    Effect.gen(function*() {
      const error = yield* rejection(payload, official(payload, "whsec_other_secret"))
      assert.strictEqual(error._tag, "SignatureMismatch")
    }))

  it.effect("rejects a v0-only header", () =>
    Effect.gen(function*() {
      const v0 = official(payload).replace("v1=", "v0=")
      const error = yield* rejection(payload, v0)
      assert.strictEqual(error._tag, "V1SignatureMissing")
    }))

  it.effect("ignores a v0 next to a matching v1", () =>
    Effect.gen(function*() {
      const header = `${official(payload)},v0=${"0".repeat(64)}`
      yield* at(timestamp, WebhookSignature.verify(payload, header, options))
    }))

  it.effect("rejects malformed headers", () =>
    Effect.gen(function*() {
      const v1 = official(payload).split(",")[1]
      for (const header of ["garbage", `${v1}`, `t=abc,${v1}`, `t=${timestamp},t=${timestamp},${v1}`, "t=,v1="]) {
        const error = yield* rejection(payload, header)
        assert.strictEqual(error._tag, "SignatureHeaderMalformed", header)
      }
    }))

  it.effect("rejects a missing header", () =>
    Effect.gen(function*() {
      for (const header of [undefined, "", "  "]) {
        const error = yield* rejection(payload, header)
        assert.strictEqual(error._tag, "SignatureHeaderMissing")
      }
    }))

  it.effect("accepts any matching v1 during a rotation", () =>
    Effect.gen(function*() {
      const oldSecret = Redacted.make("whsec_old")
      const newSecret = Redacted.make("whsec_new")
      const both = WebhookSignature.makeHeader({ payload, secrets: [oldSecret, newSecret], timestamp })
      yield* at(timestamp, WebhookSignature.verify(payload, both, { secrets: [newSecret] }))
      yield* at(timestamp, WebhookSignature.verify(payload, both, { secrets: [oldSecret] }))
      const onlyOld = official(payload, "whsec_old")
      yield* at(timestamp, WebhookSignature.verify(payload, onlyOld, { secrets: [newSecret, oldSecret] }))
      const wrongFirst = `t=${timestamp},v1=${"f".repeat(64)},${official(payload, "whsec_new").split(",")[1]}`
      yield* at(timestamp, WebhookSignature.verify(payload, wrongFirst, { secrets: [newSecret] }))
    }))

  it.effect("keeps the secret out of errors", () =>
    Effect.gen(function*() {
      const error = yield* rejection(payload, official(payload, "whsec_other_secret"))
      assert.notInclude(JSON.stringify(error), secret)
      assert.notInclude(String(error), secret)
    }))
})
