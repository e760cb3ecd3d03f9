/**
 * The anchor of a verified log as one copyable token (`wra1.` and the base64url of its JSON),
 * which an auditor keeps and later passes to `verify --expect`.
 *
 * @since 0.1.0
 */
import { HashChain } from "@workflow-runs/store"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const prefix = "wra1."

/**
 * The text is not an anchor this version can read.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidAnchor extends Schema.TaggedError<InvalidAnchor>("@workflow-runs/projector/InvalidAnchor")(
  "InvalidAnchor",
  { message: Schema.String }
) {}

/**
 * Encodes an anchor as a token.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (anchor: HashChain.Anchor): string =>
  `${prefix}${Buffer.from(JSON.stringify(Schema.encodeSync(HashChain.Anchor)(anchor)), "utf8").toString("base64url")}`

const decodeJson = Schema.decodeUnknown(Schema.parseJson(HashChain.Anchor))

/**
 * Decodes a token made by {@link encode}, or the anchor's JSON, and checks its digest.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decode = (text: string): Effect.Effect<HashChain.Anchor, InvalidAnchor> => {
  const trimmed = text.trim()
  const json = trimmed.startsWith(prefix)
    ? Buffer.from(trimmed.slice(prefix.length), "base64url").toString("utf8")
    : trimmed
  return decodeJson(json).pipe(
    Effect.mapError(() =>
      new InvalidAnchor({
        message: `The anchor is not a ${prefix} token or anchor JSON; pass the value verify printed`
      })
    ),
    Effect.filterOrFail(
      (anchor) => HashChain.anchorDigest(anchor.heads) === anchor.digest,
      () => new InvalidAnchor({ message: "The anchor's digest does not match its heads; it was altered or cut short" })
    )
  )
}
