/**
 * The state of an idempotency key: free (never seen, expired or released), claimed by a request
 * still in flight, or committed to the run it created. A claimed key also stores the body's
 * fingerprint, so a reuse with another body is distinguished from a retry.
 *
 * @internal
 */
export type Claim =
  | { readonly _tag: "Claimed" }
  | { readonly _tag: "Conflict" }
  | { readonly _tag: "InFlight" }
  | { readonly _tag: "Committed"; readonly runId: string }

interface Entry {
  readonly fingerprint: string
  readonly expiresAt: number
  runId: string | undefined
}

// Expired entries are swept once per this many claims, so memory stays bounded by the keys of
// one expiry window without a timer.
const sweepInterval = 1_000

/**
 * Idempotency keys, each scoped by the caller's account and endpoint. Every method is
 * synchronous, so a claim's check and write cannot interleave with another request's.
 *
 * @internal
 */
export const make = (ttlMillis: number) => {
  const entries = new Map<string, Entry>()
  let claims = 0

  const sweep = (now: number) => {
    for (const [scoped, entry] of entries) {
      if (entry.expiresAt <= now) entries.delete(scoped)
    }
  }

  return {
    claim: (scoped: string, fingerprint: string, now: number): Claim => {
      if (++claims % sweepInterval === 0) sweep(now)
      const entry = entries.get(scoped)
      if (entry !== undefined && entry.expiresAt > now) {
        if (entry.fingerprint !== fingerprint) return { _tag: "Conflict" }
        if (entry.runId === undefined) return { _tag: "InFlight" }
        return { _tag: "Committed", runId: entry.runId }
      }
      entries.set(scoped, { fingerprint, expiresAt: now + ttlMillis, runId: undefined })
      return { _tag: "Claimed" }
    },
    commit: (scoped: string, runId: string) => {
      const entry = entries.get(scoped)
      if (entry !== undefined) entry.runId = runId
    },
    release: (scoped: string) => {
      entries.delete(scoped)
    }
  }
}
