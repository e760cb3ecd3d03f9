import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as EventStore from "../EventStore.js"

/**
 * Follows a paged feed: reads pages until one is short, then waits `pollInterval`.
 */
export const feedFrom = <E>(
  readFeed: (after: EventStore.Checkpoint, limit: number) => Effect.Effect<ReadonlyArray<EventStore.StoredEvent>, E>,
  options?: EventStore.FeedOptions
): Stream.Stream<EventStore.StoredEvent, E> => {
  const batchSize = options?.batchSize ?? 500
  const pollInterval = options?.pollInterval ?? "100 millis"
  return Stream.paginateChunkEffect(
    { after: options?.after ?? EventStore.start, wait: false },
    (state) =>
      Effect.gen(function*() {
        if (state.wait) yield* Effect.sleep(pollInterval)
        const events = yield* readFeed(state.after, batchSize)
        const last = events[events.length - 1]
        const after = last === undefined ? state.after : EventStore.checkpointOf(last)
        return [Chunk.unsafeFromArray(events), Option.some({ after, wait: events.length < batchSize })] as const
      })
  )
}
