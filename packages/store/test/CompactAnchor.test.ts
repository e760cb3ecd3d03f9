import { describe, expect, layer as withLayer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Database from "../src/Database.js"
import * as EventStore from "../src/EventStore.js"
import * as HashChain from "../src/HashChain.js"
import * as PgEventStore from "../src/PgEventStore.js"
import * as RunLog from "../src/RunLog.js"
import { newRunId, started, succeeded } from "./support/fixtures.js"
import { rewriteFirstEvent } from "./support/tamper.js"

// Its own embedded server: a compact anchor covers the whole log, so runs that other test files
// rewrite on purpose would break it.
const layer = RunLog.layer.pipe(
  Layer.provideMerge(PgEventStore.layer),
  Layer.provideMerge(Database.layerEmbedded({ maxConnections: 8 }))
)

describe("compact anchor", () => {
  withLayer(layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("survives appends and catches a rewrite", () =>
      Effect.gen(function*() {
        const store = yield* EventStore.EventStore
        const log = yield* RunLog.RunLog
        const kept = newRunId()
        const grown = newRunId()
        yield* store.appendRun(kept, 0, [started(kept), succeeded(kept)])
        yield* store.appendRun(grown, 0, [started(grown)])

        const first = yield* log.verify()
        const anchor = first.compactAnchor
        expect(anchor.events).toBe(3)
        expect(anchor.streams).toBe(2)
        expect(anchor.digest).toBe(HashChain.anchorDigest(first.anchor.heads))
        expect((yield* log.verify({ expect: anchor })).digestMismatch).toBeNull()

        // Later appends, to a new stream and to an anchored one, sort after the anchored prefix.
        const later = newRunId()
        yield* store.appendRun(later, 0, [started(later), succeeded(later)])
        yield* store.appendRun(grown, 1, [succeeded(grown)])
        const grownLog = yield* log.verify({ expect: anchor })
        expect(grownLog.ok).toBe(true)
        expect(grownLog.compactAnchor.events).toBe(6)

        yield* rewriteFirstEvent(kept)
        const plain = yield* log.verify()
        expect(plain.broken).toEqual([])
        const checked = yield* log.verify({ expect: anchor })
        expect(checked.ok).toBe(false)
        expect(checked.digestMismatch?.expected).toEqual(anchor)
        expect(checked.digestMismatch?.actual?.events).toBe(3)
        expect(checked.digestMismatch?.actual?.digest).not.toBe(anchor.digest)
        expect(checked.digestMismatch?.reason).toContain("no longer match the anchor")

        const tooLong = new HashChain.CompactAnchor({ events: 1000, streams: 2, digest: anchor.digest })
        const short = yield* log.verify({ expect: tooLong })
        expect(short.ok).toBe(false)
        expect(short.digestMismatch?.actual).toBeNull()
        expect(short.digestMismatch?.reason).toContain("the log has only 6 settled event(s)")
      }))
  })
})
