/**
 * Append contenders written with Effect: a layer built from the harness's context and an
 * `append` function made once from its services, whose effects run on a `ManagedRuntime` that
 * lives from `setup` to `teardown`.
 */
import { type Effect, type Layer, ManagedRuntime } from "effect"
import type { AppendContender, AppendEvent, ContenderContext } from "./AppendContender.js"

/** An Effect-based append contender, before it is turned into an `AppendContender`. */
export interface Options<R, E> extends Omit<AppendContender, "setup"> {
  /**
   * The services `append` needs, built for one run; its resources (the pool, an embedded
   * server) are released by `teardown`. It should open at most `context.poolSize` connections.
   */
  readonly layer: (context: ContenderContext) => Layer.Layer<R, E, never>
  /**
   * Makes the measured call from the layer's services, once per run, as a program would get its
   * services once and call them many times. A failure of the call's effect counts as a rejected
   * append.
   */
  readonly makeAppend: Effect.Effect<
    (stream: string, expectedVersion: number, events: ReadonlyArray<AppendEvent>) => Effect.Effect<unknown, unknown>,
    never,
    R
  >
}

/** Makes an `AppendContender` from a layer and the effect that makes its `append`. */
export const make = <R, E>(options: Options<R, E>): AppendContender => {
  const { layer, makeAppend, ...description } = options
  return {
    ...description,
    setup: async (context) => {
      const runtime = ManagedRuntime.make(layer(context))
      // Builds the layer now, so that connection and migration failures surface in setup and
      // not inside the first measured call.
      await runtime.runtime().catch(async (error: unknown) => {
        await runtime.dispose()
        throw error
      })
      const append = await runtime.runPromise(makeAppend)
      return {
        append: async (stream, expectedVersion, events) => {
          await runtime.runPromise(append(stream, expectedVersion, events))
        },
        teardown: () => runtime.dispose()
      }
    }
  }
}
