import * as Effect from "effect/Effect"
import { InvalidCursor } from "../StoreError.js"

/** Encodes a keyset position (a time and an id) as an opaque cursor. */
export const encodeCursor = (at: Date, id: string): string =>
  Buffer.from(JSON.stringify([at.toISOString(), id]), "utf8").toString("base64url")

/**
 * Decodes a cursor of {@link encodeCursor}. A cursor that does not encode back to the same text
 * is rejected. So a crafted cursor cannot carry a value that PostgreSQL fails on, such as `"1"`
 * as a time, a year outside 0001 to 9999 or a NUL in the id.
 */
export const decodeCursor = (
  cursor: string
): Effect.Effect<{ readonly at: string; readonly id: string }, InvalidCursor> =>
  Effect.try({
    try: () => {
      const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))
      if (
        !Array.isArray(value) || value.length !== 2 || typeof value[0] !== "string" || typeof value[1] !== "string"
      ) throw new Error("not a cursor")
      const [at, id] = value
      const time = new Date(at)
      if (
        Number.isNaN(time.getTime()) || !/^\d{4}-/.test(at) || id.includes("\u0000") ||
        encodeCursor(time, id) !== cursor
      ) throw new Error("not a cursor")
      return { at, id }
    },
    catch: () => new InvalidCursor({ cursor })
  })
