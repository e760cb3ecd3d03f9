/**
 * The result of verifying the log's hash chains.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Anchor, CompactAnchor } from "./HashChain.js"

/**
 * Where a stream's chain breaks: the first version whose event, hash or head does not match
 * what the stored events imply.
 *
 * @since 0.1.0
 * @category models
 */
export class BrokenChain extends Schema.Class<BrokenChain>("@workflow-runs/store/BrokenChain")({
  stream: Schema.String,
  version: Schema.Int,
  reason: Schema.String
}) {}

/**
 * A head of the expected anchor that the log no longer matches.
 *
 * @since 0.1.0
 * @category models
 */
export class AnchorMismatch extends Schema.Class<AnchorMismatch>("@workflow-runs/store/AnchorMismatch")({
  stream: Schema.String,
  version: Schema.Int,
  expectedHash: Schema.String,
  actualHash: Schema.NullOr(Schema.String)
}) {}

/**
 * A compact anchor that the log's settled prefix no longer matches: `actual` is what the first
 * `expected.events` events give now, or null when the log has fewer settled events.
 *
 * @since 0.1.0
 * @category models
 */
export class DigestMismatch extends Schema.Class<DigestMismatch>("@workflow-runs/store/DigestMismatch")({
  expected: CompactAnchor,
  actual: Schema.NullOr(CompactAnchor),
  reason: Schema.String
}) {}

/**
 * The outcome of `verify`: every broken chain, every mismatch against the expected anchor, and
 * the anchors of the log as verified (per stream, and compact), for the auditor to keep.
 *
 * @since 0.1.0
 * @category models
 */
export class Report extends Schema.Class<Report>("@workflow-runs/store/VerificationReport")({
  streams: Schema.Int,
  events: Schema.Int,
  broken: Schema.Array(BrokenChain),
  anchorMismatches: Schema.Array(AnchorMismatch),
  digestMismatch: Schema.NullOr(DigestMismatch),
  anchor: Anchor,
  compactAnchor: CompactAnchor
}) {
  /**
   * Whether every chain is intact and the expected anchor, per stream or compact, still matches.
   *
   * @since 0.1.0
   */
  get ok(): boolean {
    return this.broken.length === 0 && this.anchorMismatches.length === 0 && this.digestMismatch === null
  }
}
