/**
 * Verification of the `Stripe-Signature` header of event notifications.
 *
 * The header is `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, and each `v1` is the HMAC-SHA256,
 * keyed with an endpoint secret (`whsec_...`, used as its UTF-8 text), of `<t>.` followed by the
 * raw request body. A notification is accepted when any `v1` matches any of the given secrets
 * (several secrets cover a rotation) and its timestamp is within the tolerance of now, in the
 * past or the future. Other schemes, such as the `v0` of test deliveries, are ignored.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { createHmac, timingSafeEqual } from "node:crypto"

/**
 * The request had no `Stripe-Signature` header, or an empty one.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignatureHeaderMissing extends Schema.TaggedError<SignatureHeaderMissing>(
  "@workflow-runs/stripe/SignatureHeaderMissing"
)("SignatureHeaderMissing", { message: Schema.String }) {}

/**
 * The `Stripe-Signature` header is not a list of `key=value` pairs with one integer `t`.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignatureHeaderMalformed extends Schema.TaggedError<SignatureHeaderMalformed>(
  "@workflow-runs/stripe/SignatureHeaderMalformed"
)("SignatureHeaderMalformed", { header: Schema.String, message: Schema.String }) {}

/**
 * The header carries no `v1` signature (for example only a `v0`).
 *
 * @since 0.1.0
 * @category errors
 */
export class V1SignatureMissing extends Schema.TaggedError<V1SignatureMissing>(
  "@workflow-runs/stripe/V1SignatureMissing"
)("V1SignatureMissing", { header: Schema.String, message: Schema.String }) {}

/**
 * The signature's timestamp is further from now than the tolerance: a replay of an old
 * notification, or a clock far off.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignatureTimestampOutOfTolerance extends Schema.TaggedError<SignatureTimestampOutOfTolerance>(
  "@workflow-runs/stripe/SignatureTimestampOutOfTolerance"
)("SignatureTimestampOutOfTolerance", {
  timestamp: Schema.Number,
  now: Schema.Number,
  toleranceSeconds: Schema.Number,
  message: Schema.String
}) {}

/**
 * No `v1` signature matches the body under any of the secrets: a wrong secret, or a body that
 * differs from the bytes Stripe signed (a parsed and re-serialized body always does).
 *
 * @since 0.1.0
 * @category errors
 */
export class SignatureMismatch extends Schema.TaggedError<SignatureMismatch>(
  "@workflow-runs/stripe/SignatureMismatch"
)("SignatureMismatch", { timestamp: Schema.Number, message: Schema.String }) {}

/**
 * Any reason a signature is rejected.
 *
 * @since 0.1.0
 * @category errors
 */
export type WebhookSignatureError =
  | SignatureHeaderMissing
  | SignatureHeaderMalformed
  | V1SignatureMissing
  | SignatureTimestampOutOfTolerance
  | SignatureMismatch

/**
 * Settings of {@link verify}.
 *
 * @since 0.1.0
 * @category options
 */
export interface VerifyOptions {
  /** The endpoint secrets (`whsec_...`); a signature under any of them is accepted. */
  readonly secrets: readonly [Redacted.Redacted<string>, ...Array<Redacted.Redacted<string>>]
  /** How far the timestamp may be from now, either way; 5 minutes by default, as in Stripe's clients. */
  readonly tolerance?: Duration.DurationInput | undefined
}

/**
 * The tolerance used when none is given: 300 seconds.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTolerance: Duration.Duration = Duration.seconds(300)

const toBytes = (payload: Uint8Array | string): Uint8Array =>
  typeof payload === "string" ? Buffer.from(payload, "utf8") : payload

const hmac = (secret: string, timestamp: number, payload: Uint8Array): Buffer =>
  createHmac("sha256", secret).update(`${timestamp}.`, "utf8").update(payload).digest()

/**
 * Computes a `Stripe-Signature` header for `payload` as Stripe does, with one `v1` signature
 * per secret.
 *
 * @since 0.1.0
 * @category signing
 */
export const makeHeader = (options: {
  readonly payload: Uint8Array | string
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  /** Unix seconds. */
  readonly timestamp: number
}): string => {
  const bytes = toBytes(options.payload)
  const signatures = options.secrets.map((secret) =>
    `v1=${hmac(Redacted.value(secret), options.timestamp, bytes).toString("hex")}`
  )
  return [`t=${options.timestamp}`, ...signatures].join(",")
}

interface ParsedHeader {
  readonly timestamp: number
  readonly v1: ReadonlyArray<string>
}

const parseHeader = (header: string): ParsedHeader | SignatureHeaderMalformed => {
  const malformed = (message: string) => new SignatureHeaderMalformed({ header, message })
  let timestamp: number | undefined
  const v1: Array<string> = []
  for (const item of header.split(",")) {
    const separator = item.indexOf("=")
    if (separator <= 0) {
      return malformed(`Expected key=value pairs in the Stripe-Signature header, got ${JSON.stringify(item)}`)
    }
    const key = item.slice(0, separator).trim()
    const value = item.slice(separator + 1).trim()
    if (key === "t") {
      if (timestamp !== undefined) return malformed("The Stripe-Signature header has more than one timestamp")
      if (!/^\d{1,15}$/.test(value)) {
        return malformed(`Expected the timestamp t to be Unix seconds, got ${JSON.stringify(value)}`)
      }
      timestamp = Number(value)
    } else if (key === "v1") {
      v1.push(value)
    }
  }
  if (timestamp === undefined) return malformed("The Stripe-Signature header has no timestamp t")
  return { timestamp, v1 }
}

const matches = (expected: Buffer, candidate: string): boolean => {
  if (!/^[0-9a-fA-F]{64}$/.test(candidate)) return false
  return timingSafeEqual(expected, Buffer.from(candidate, "hex"))
}

/**
 * {@link verify} without a span of its own, for a caller that verifies inside its own span.
 *
 * @internal
 */
export const verifyUntraced = Effect.fnUntraced(function*(
  payload: Uint8Array | string,
  header: string | null | undefined,
  options: VerifyOptions
) {
  if (header === undefined || header === null || header.trim().length === 0) {
    return yield* new SignatureHeaderMissing({ message: "The request has no Stripe-Signature header" })
  }
  const parsed = parseHeader(header)
  if (parsed instanceof SignatureHeaderMalformed) return yield* parsed
  if (parsed.v1.length === 0) {
    return yield* new V1SignatureMissing({
      header,
      message: "The Stripe-Signature header has no v1 signature; only v1 is accepted"
    })
  }

  const tolerance = Duration.toSeconds(
    options.tolerance === undefined ? defaultTolerance : Duration.decode(options.tolerance)
  )
  const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
  if (Math.abs(now - parsed.timestamp) > tolerance) {
    return yield* new SignatureTimestampOutOfTolerance({
      timestamp: parsed.timestamp,
      now,
      toleranceSeconds: tolerance,
      message: `The signature timestamp ${parsed.timestamp} is ${Math.abs(now - parsed.timestamp)} s ${
        parsed.timestamp < now ? "old" : "in the future"
      }, more than the tolerance of ${tolerance} s`
    })
  }

  const bytes = toBytes(payload)
  const verified = options.secrets.some((secret) => {
    const expected = hmac(Redacted.value(secret), parsed.timestamp, bytes)
    // Every candidate is compared, so the time taken does not reveal which one matched.
    return parsed.v1.map((candidate) => matches(expected, candidate)).includes(true)
  })
  if (!verified) {
    return yield* new SignatureMismatch({
      timestamp: parsed.timestamp,
      message: "No v1 signature matches the payload under the configured secrets"
    })
  }
})

/**
 * Verifies the `Stripe-Signature` header of a notification against its raw body, the bytes as
 * received. The current time comes from `Clock`.
 *
 * @since 0.1.0
 * @category verification
 */
export const verify = Effect.fn("WebhookSignature.verify")(function*(
  payload: Uint8Array | string,
  header: string | null | undefined,
  options: VerifyOptions
) {
  return yield* verifyUntraced(payload, header, options)
})
