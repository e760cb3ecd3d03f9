import { describe, expect, it } from "@effect/vitest"
import { Context, Data, Effect, Layer, Ref } from "effect"
import * as EffectContender from "../src/EffectContender.js"
import { runStarted } from "../src/Workload.js"

class StaleVersion extends Data.TaggedError("StaleVersion")<{ readonly actual: number }> {}

// A stand-in store: stream versions in a Ref, and a flag its finalizer sets.
class Versions extends Context.Tag("test/Versions")<Versions, Ref.Ref<ReadonlyMap<string, number>>>() {}

const contender = (closed: { value: boolean }, poolSizes: Array<number>, makeCalls: { count: number }) =>
  EffectContender.make({
    name: "in-memory",
    role: "subject",
    mechanism: "a Ref update",
    guarantees: ["expected versions"],
    layer: (context) =>
      Layer.scoped(
        Versions,
        Effect.acquireRelease(
          Effect.sync(() => poolSizes.push(context.poolSize)).pipe(
            Effect.zipRight(Ref.make<ReadonlyMap<string, number>>(new Map()))
          ),
          () => Effect.sync(() => (closed.value = true))
        )
      ),
    makeAppend: Effect.map(Versions, (versions) => {
      makeCalls.count += 1
      return (stream: string, expectedVersion: number, events: ReadonlyArray<unknown>) =>
        Effect.gen(function*() {
          const actual = (yield* Ref.get(versions)).get(stream) ?? 0
          if (actual !== expectedVersion) return yield* new StaleVersion({ actual })
          yield* Ref.update(versions, (current) => new Map([...current, [stream, actual + events.length]]))
        })
    })
  })

describe("EffectContender", () => {
  it.live("makes the append once, runs it and closes the layer", () =>
    Effect.gen(function*() {
      const closed = { value: false }
      const poolSizes: Array<number> = []
      const makeCalls = { count: 0 }
      const session = yield* Effect.promise(() =>
        contender(closed, poolSizes, makeCalls).setup({ url: "postgres://unused", schema: "unused", poolSize: 16 })
      )
      expect(poolSizes).toEqual([16])
      yield* Effect.promise(() => session.append("wfrun_a", 0, [runStarted("wfrun_a")]))
      yield* Effect.promise(() => session.append("wfrun_a", 1, [runStarted("wfrun_a")]))
      const stale = yield* Effect.flip(Effect.tryPromise(() => session.append("wfrun_a", 1, [runStarted("wfrun_a")])))
      expect(String(stale.cause)).toMatch(/StaleVersion/)
      expect(makeCalls.count).toBe(1)
      expect(closed.value).toBe(false)
      yield* Effect.promise(() => session.teardown())
      expect(closed.value).toBe(true)
    }))

  it.live("setup rejects when the layer fails", () =>
    Effect.gen(function*() {
      const failing = EffectContender.make({
        name: "broken",
        role: "subject",
        mechanism: "none",
        guarantees: [],
        layer: () => Layer.fail(new StaleVersion({ actual: -1 })),
        makeAppend: Effect.succeed(() => Effect.void)
      })
      const error = yield* Effect.flip(
        Effect.tryPromise(() => failing.setup({ url: "postgres://unused", schema: "unused", poolSize: 1 }))
      )
      expect(String(error.cause)).toMatch(/StaleVersion/)
    }))
})
