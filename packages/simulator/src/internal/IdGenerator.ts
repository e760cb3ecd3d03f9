import { createHash, randomBytes } from "node:crypto"

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/**
 * Generates ids in Stripe's test-mode formats. With a seed, the bytes come from SHA-256 in
 * counter mode over the seed, so a test that makes the same calls in the same order gets the
 * same ids. Without one, they come from the operating system's random source.
 *
 * @internal
 */
export interface IdGenerator {
  readonly workflow: () => string
  readonly run: () => string
  readonly event: () => string
  readonly request: () => string
  readonly destination: () => string
  readonly webhookSecret: () => string
}

const seededBytes = (seed: string) => {
  let counter = 0
  let buffer = Buffer.alloc(0)
  return (length: number): Buffer => {
    while (buffer.length < length) {
      const block = createHash("sha256").update(`${seed}:${counter++}`).digest()
      buffer = Buffer.concat([buffer, block])
    }
    const out = buffer.subarray(0, length)
    buffer = buffer.subarray(length)
    return out
  }
}

// Each call into the operating system's random source has a fixed cost that showed up in CPU
// profiles of invoke, so random bytes are drawn in blocks of 4 KiB.
const pooledRandomBytes = () => {
  let pool = Buffer.alloc(0)
  return (length: number): Buffer => {
    if (pool.length < length) pool = randomBytes(Math.max(4096, length))
    const out = pool.subarray(0, length)
    pool = pool.subarray(length)
    return out
  }
}

/** @internal */
export const make = (seed: string | undefined): IdGenerator => {
  const bytes = seed === undefined ? pooledRandomBytes() : seededBytes(seed)
  const characters = (length: number) => {
    // 62 does not divide 256, so the first characters are slightly more likely; ids only need to
    // be unique, not uniform.
    const drawn = bytes(length)
    let out = ""
    for (const byte of drawn) out += alphabet[byte % alphabet.length]
    return out
  }
  return {
    workflow: () => `wf_test_61${characters(42)}`,
    run: () => `wfrun_test_61${characters(42)}`,
    event: () => `evt_test_65${characters(44)}`,
    request: () => `req_${characters(14)}`,
    destination: () => `ed_test_61${characters(42)}`,
    webhookSecret: () => `whsec_${characters(32)}`
  }
}
