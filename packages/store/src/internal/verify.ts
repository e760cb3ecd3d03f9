import * as HashChain from "../HashChain.js"
import { AnchorMismatch, BrokenChain, DigestMismatch, Report } from "../Verification.js"

/** A stored event as `verify` reads it: `data` and `metadata` in their stored (escaped) form. */
export interface VerifiedRow {
  readonly stream: string
  readonly version: number
  readonly eventId: string
  readonly type: string
  readonly data: unknown
  readonly metadata: unknown
  readonly occurredAt: string
  readonly hash: string
  /** Whether the event is in the settled prefix this verification anchors. */
  readonly inSettledPrefix: boolean
  /** Whether the event is in the prefix the expected compact anchor covers. */
  readonly inExpectedPrefix: boolean
}

/** A stream head as its head table stores it. */
export interface HeadRow {
  readonly stream: string
  readonly version: number
  readonly hash: string
}

/**
 * Recomputes the chains of a log read in (stream, version) order, stream by stream. Only the
 * current stream's state is kept, so the log can be checked page by page.
 */
export class Verifier {
  private readonly broken: Array<BrokenChain> = []
  private readonly lastHashes = new Map<string, { version: number; hash: string }>()
  private readonly hashesAt = new Map<string, string>()
  private current: { stream: string; version: number; previous: Uint8Array; broken: boolean } | undefined
  private events = 0
  private readonly settledPrefix = new Prefix()
  private readonly expectedPrefix = new Prefix()

  constructor(private readonly anchorHeads: ReadonlyMap<string, number>) {}

  add(row: VerifiedRow): void {
    this.events++
    if (this.current === undefined || this.current.stream !== row.stream) {
      this.current = { stream: row.stream, version: 0, previous: HashChain.genesis, broken: false }
    }
    const current = this.current
    const fail = (version: number, reason: string) => {
      if (!current.broken) this.broken.push(new BrokenChain({ stream: row.stream, version, reason }))
      current.broken = true
    }
    if (row.version !== current.version + 1) {
      fail(current.version + 1, `version ${current.version + 1} is missing; the next stored version is ${row.version}`)
    }
    const digest = HashChain.digest(row)
    const expected = HashChain.chain(current.previous, digest)
    const expectedHex = HashChain.toHex(expected)
    if (expectedHex !== row.hash) {
      fail(row.version, "the stored hash does not match the event's content and its predecessor")
    }
    // Continue from the stored hash, so one edited event does not hide a later break.
    current.previous = Buffer.from(row.hash, "hex")
    current.version = row.version
    this.lastHashes.set(row.stream, { version: row.version, hash: row.hash })
    if (this.anchorHeads.get(row.stream) === row.version) this.hashesAt.set(row.stream, row.hash)
    if (row.inSettledPrefix) this.settledPrefix.add(row)
    if (row.inExpectedPrefix) this.expectedPrefix.add(row)
  }

  /**
   * Builds the report. `expected` is the anchor to check, and `settledEvents` the size of the
   * log's settled prefix now, which an expected compact anchor may not exceed.
   */
  finish(
    heads: ReadonlyArray<HeadRow>,
    expected: HashChain.Anchor | HashChain.CompactAnchor | undefined,
    settledEvents: number
  ): Report {
    const headByStream = new Map(heads.map((head) => [head.stream, head]))
    const brokenStreams = new Set(this.broken.map((broken) => broken.stream))
    for (const [stream, last] of this.lastHashes) {
      const head = headByStream.get(stream)
      // A chain is reported once, where it first breaks.
      if (brokenStreams.has(stream)) continue
      if (head === undefined) {
        this.broken.push(new BrokenChain({ stream, version: last.version, reason: "the stream has no head row" }))
      } else if (head.version !== last.version || head.hash !== last.hash) {
        this.broken.push(
          new BrokenChain({
            stream,
            version: Math.min(head.version, last.version + 1),
            reason: `the head is at version ${head.version} but the log ends at version ${last.version}${
              head.version === last.version ? " with another hash" : ""
            }`
          })
        )
      }
    }
    for (const head of heads) {
      if (!this.lastHashes.has(head.stream)) {
        this.broken.push(
          new BrokenChain({ stream: head.stream, version: 1, reason: "the stream has a head but no events" })
        )
      }
    }
    const expectedHeads = expected !== undefined && "heads" in expected ? expected.heads : []
    const anchorMismatches = expectedHeads.flatMap((head) => {
      const actual = this.hashesAt.get(head.stream) ?? null
      return actual === head.hash
        ? []
        : [
          new AnchorMismatch({
            stream: head.stream,
            version: head.version,
            expectedHash: head.hash,
            actualHash: actual
          })
        ]
    })
    const anchor = HashChain.makeAnchor(
      [...this.lastHashes].map(([stream, last]) => new HashChain.AnchorHead({ stream, ...last }))
    )
    return new Report({
      streams: this.lastHashes.size,
      events: this.events,
      broken: this.broken,
      anchorMismatches,
      digestMismatch: expected !== undefined && "events" in expected
        ? this.checkCompact(expected, settledEvents)
        : null,
      anchor,
      compactAnchor: this.settledPrefix.anchor()
    })
  }

  private checkCompact(expected: HashChain.CompactAnchor, settledEvents: number): DigestMismatch | null {
    if (expected.events > settledEvents) {
      return new DigestMismatch({
        expected,
        actual: null,
        reason:
          `the anchor covers ${expected.events} event(s) but the log has only ${settledEvents} settled event(s); events were removed, or the anchor is from another log`
      })
    }
    const actual = this.expectedPrefix.anchor()
    if (actual.streams === expected.streams && actual.digest === expected.digest) return null
    return new DigestMismatch({
      expected,
      actual,
      reason:
        `the heads of the first ${expected.events} event(s) no longer match the anchor; an event within them was changed, removed or inserted`
    })
  }
}

/** The heads of the streams within a prefix of the feed, and how many events the prefix has. */
class Prefix {
  private readonly heads = new Map<string, { version: number; hash: string }>()
  private events = 0

  add(row: VerifiedRow): void {
    this.events++
    const head = this.heads.get(row.stream)
    if (head === undefined || head.version < row.version) {
      this.heads.set(row.stream, { version: row.version, hash: row.hash })
    }
  }

  anchor(): HashChain.CompactAnchor {
    const heads = [...this.heads].map(([stream, head]) => new HashChain.AnchorHead({ stream, ...head }))
    return new HashChain.CompactAnchor({
      events: this.events,
      streams: this.heads.size,
      digest: HashChain.anchorDigest(heads)
    })
  }
}
