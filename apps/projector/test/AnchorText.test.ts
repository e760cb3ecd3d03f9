import { describe, expect, it } from "@effect/vitest"
import { AnchorText } from "@workflow-runs/projector"
import { HashChain } from "@workflow-runs/store"
import { Effect } from "effect"

const heads = [
  new HashChain.AnchorHead({ stream: "run/wfrun_b", version: 2, hash: "b".repeat(64) }),
  new HashChain.AnchorHead({ stream: "run/wfrun_a", version: 1, hash: "a".repeat(64) })
]

describe("AnchorText", () => {
  it.effect("round-trips a compact anchor", () =>
    Effect.gen(function*() {
      const anchor = new HashChain.CompactAnchor({ events: 3, streams: 2, digest: HashChain.anchorDigest(heads) })
      const token = AnchorText.encodeCompact(anchor)
      expect(token).toBe(`wrc1.3.2.${anchor.digest}`)
      expect(yield* AnchorText.decode(` ${token}\n`)).toEqual(anchor)
    }))

  it.effect("still reads per-stream tokens", () =>
    Effect.gen(function*() {
      const anchor = HashChain.makeAnchor(heads)
      expect(yield* AnchorText.decode(AnchorText.encode(anchor))).toEqual(anchor)
    }))

  it.effect("rejects malformed compact tokens by value", () =>
    Effect.gen(function*() {
      const digest = "c".repeat(64)
      for (
        const token of [
          "wrc1.",
          "wrc1.3.2",
          `wrc1.x.2.${digest}`,
          `wrc1.3.2.${digest.slice(1)}`,
          `wrc1.3.2.${digest}.9`
        ]
      ) {
        const error = yield* Effect.flip(AnchorText.decode(token))
        expect(error).toBeInstanceOf(AnchorText.InvalidAnchor)
        expect(error.message).toContain(`${JSON.stringify(token)} is not a compact anchor`)
        expect(error.message).toContain("wrc1.<events>.<streams>.<64 hexadecimal digits>")
      }
    }))

  it.effect("rejects text that is no anchor", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(AnchorText.decode("anchor"))
      expect(error.message).toContain("is not a wrc1. or wra1. token")
    }))

  it.effect("names a wra1. token whose body is wrong", () =>
    Effect.gen(function*() {
      // The base64url of {"a":1}, JSON but no anchor.
      const error = yield* Effect.flip(AnchorText.decode("wra1.eyJhIjoxfQ"))
      expect(error.message).toBe(
        "\"wra1.eyJhIjoxfQ\" starts with wra1. but is not a per-stream anchor token; pass the whole token that verify --full-anchor printed"
      )
    }))

  it.effect("names an altered per-stream anchor", () =>
    Effect.gen(function*() {
      const anchor = HashChain.makeAnchor(heads)
      const token = AnchorText.encode(new HashChain.Anchor({ heads: anchor.heads.slice(1), digest: anchor.digest }))
      const error = yield* Effect.flip(AnchorText.decodeArgument(token))
      expect(error.message).toMatch(/^--expect "wra1\.[^"]+" is an anchor whose digest does not match its heads/)
      expect(error.message).toContain("it was altered or cut short")
    }))

  it.effect("asks for a path after a bare @", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(AnchorText.decodeArgument("@"))
      expect(error.message).toBe(
        "--expect @ needs a path after @: pass @ and the path of a file that contains the anchor"
      )
    }))

  it.effect("reads a compact digest in uppercase", () =>
    Effect.gen(function*() {
      const lower = yield* AnchorText.decode(`wrc1.3.2.${"ab".repeat(32)}`)
      const upper = yield* AnchorText.decode(`wrc1.3.2.${"AB".repeat(32)}`)
      expect(upper).toEqual(lower)
    }))
})
