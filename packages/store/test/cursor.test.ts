import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { decodeCursor, encodeCursor } from "../src/internal/cursor.js"

const craft = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64url")

describe("cursor", () => {
  it.effect("decodes what it encodes", () =>
    Effect.gen(function*() {
      const cursor = encodeCursor(new Date("2026-05-01T10:00:05.123Z"), "wfrun_test_1")
      expect(yield* decodeCursor(cursor)).toEqual({ at: "2026-05-01T10:00:05.123Z", id: "wfrun_test_1" })
    }))

  it.effect("rejects cursors it did not encode", () =>
    Effect.gen(function*() {
      const cursors = [
        "not-a-cursor",
        craft(["1", "wfrun_test_1"]),
        craft(["March 7 2024", "wfrun_test_1"]),
        craft(["2026-05-01T10:00:05Z", "wfrun_test_1"]),
        craft(["-271821-04-20T00:00:00.000Z", "wfrun_test_1"]),
        craft(["+275760-09-13T00:00:00.000Z", "wfrun_test_1"]),
        craft(["2026-05-01T10:00:05.123Z", "wfrun\u0000"]),
        craft(["2026-05-01T10:00:05.123Z", "wfrun_test_1", "extra"]),
        `${encodeCursor(new Date("2026-05-01T10:00:05.123Z"), "wfrun_test_1")}!!`
      ]
      for (const cursor of cursors) {
        const error = yield* Effect.flip(decodeCursor(cursor))
        expect(error).toMatchObject({ _tag: "InvalidCursor", cursor })
      }
    }))
})
