/**
 * Stripe's webhook signature: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`, where
 * each `v1` is the HMAC-SHA256 of `<t>.<raw body>` keyed by one active secret, the `whsec_`
 * string taken as UTF-8 bytes.
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import { createHmac } from "node:crypto"

/**
 * Computes the hex `v1` signature of `payload` at `timestamp` (Unix seconds) with `secret`.
 *
 * @since 0.1.0
 * @category signing
 */
export const computeSignature = (payload: string, secret: Redacted.Redacted<string>, timestamp: number): string =>
  createHmac("sha256", Buffer.from(Redacted.value(secret), "utf8")).update(`${timestamp}.${payload}`, "utf8").digest(
    "hex"
  )

/**
 * Builds the `Stripe-Signature` header of `payload`: one `v1` per secret, newest first, so a
 * receiver that has either the rolled or the previous secret accepts it.
 *
 * @since 0.1.0
 * @category signing
 */
export const signatureHeader = (
  payload: string,
  secrets: ReadonlyArray<Redacted.Redacted<string>>,
  timestamp: number
): string =>
  [`t=${timestamp}`, ...secrets.map((secret) => `v1=${computeSignature(payload, secret, timestamp)}`)].join(",")
