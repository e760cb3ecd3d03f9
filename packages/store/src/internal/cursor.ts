import * as Effect from "effect/Effect"
import { InvalidCursor } from "../StoreError.js"

/** Encodes a keyset position (a time and an id) as an opaque cursor. */
export const encodeCursor = (at: Date, id: string): string =>
  Buffer.from(JSON.stringify([at.toISOString(), id]), "utf8").toString("base64url")

/** Decodes a cursor of {@link encodeCursor}. */
export const decodeCursor = (
  cursor: string
): Effect.Effect<{ readonly at: string; readonly id: string }, InvalidCursor> =>
  Effect.try({
    try: () => {
      const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))
      if (
        !Array.isArray(value) || value.length !== 2 || typeof value[0] !== "string" || typeof value[1] !== "string" ||
        Number.isNaN(Date.parse(value[0]))
      ) throw new Error("not a cursor")
      return { at: value[0], id: value[1] }
    },
    catch: () => new InvalidCursor({ cursor })
  })
