import { describe, expect, it } from "@effect/vitest"
import { Simulator } from "@workflow-runs/simulator"
import * as Effect from "effect/Effect"

describe("Simulator.make", () => {
  it.scopedLive("fails with a ListenError on a port in use", () =>
    Effect.gen(function*() {
      const first = yield* Simulator.make()
      const error = yield* Effect.flip(Simulator.make({ port: first.port }))

      expect(error._tag).toBe("ListenError")
      expect(error.code).toBe("EADDRINUSE")
      expect(error.message).toBe(
        `127.0.0.1:${first.port} is already in use (EADDRINUSE): choose another port, or port 0 for a free one`
      )
      expect(error.cause).toBeInstanceOf(Error)
    }))
})
