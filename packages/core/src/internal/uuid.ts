import { createHash } from "node:crypto"

const hexToBytes = (hex: string): Buffer => Buffer.from(hex.replace(/-/g, ""), "hex")

const format = (bytes: Uint8Array): string => {
  const hex = Buffer.from(bytes).toString("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/**
 * Computes a name-based UUID, version 5 (SHA-1), as RFC 9562 section 5.5 defines it.
 *
 * @internal
 */
export const uuidV5 = (namespace: string, name: string): string => {
  const digest = createHash("sha1").update(hexToBytes(namespace)).update(name, "utf8").digest()
  const bytes = digest.subarray(0, 16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x50
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  return format(bytes)
}
