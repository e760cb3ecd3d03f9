/**
 * Anchors as copyable tokens, which an auditor keeps and later passes to `verify --expect`:
 *
 * - `wrc1.<events>.<streams>.<digest>`, the compact anchor: about 90 characters whatever the
 *   size of the log (see `HashChain.CompactAnchor`).
 * - `wra1.` and the base64url of the per-stream anchor's JSON, about 220 bytes per stream. Tokens
 *   printed by earlier versions are of this form and still verify.
 *
 * @since 0.1.0
 */
import { HashChain } from "@workflow-runs/store"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"

const prefix = "wra1."
const compactPrefix = "wrc1."

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
 * Encodes a per-stream anchor as a `wra1.` token.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (anchor: HashChain.Anchor): string =>
  `${prefix}${Buffer.from(JSON.stringify(Schema.encodeSync(HashChain.Anchor)(anchor)), "utf8").toString("base64url")}`

/**
 * Encodes a compact anchor as a `wrc1.` token.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeCompact = (anchor: HashChain.CompactAnchor): string =>
  `${compactPrefix}${anchor.events}.${anchor.streams}.${anchor.digest}`

const decodeJson = Schema.decodeUnknown(Schema.parseJson(HashChain.Anchor))

// The digest is read in either case and kept in lowercase, as `verify` prints it.
const compactPattern = /^wrc1\.(\d{1,15})\.(\d{1,15})\.([0-9a-fA-F]{64})$/

const decodeCompact = (token: string): Effect.Effect<HashChain.CompactAnchor, InvalidAnchor> => {
  const match = compactPattern.exec(token)
  if (match === null) {
    return Effect.fail(
      new InvalidAnchor({
        message: `${
          JSON.stringify(token.length > 120 ? `${token.slice(0, 120)}...` : token)
        } is not a compact anchor: expected wrc1.<events>.<streams>.<64 hexadecimal digits>, as verify printed it`
      })
    )
  }
  return Effect.succeed(
    new HashChain.CompactAnchor({
      events: Number(match[1]),
      streams: Number(match[2]),
      digest: match[3]!.toLowerCase()
    })
  )
}

/**
 * Decodes a token made by {@link encode} or {@link encodeCompact}, or a per-stream anchor's JSON,
 * and checks a per-stream anchor's digest.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decode = (
  text: string
): Effect.Effect<HashChain.Anchor | HashChain.CompactAnchor, InvalidAnchor> => {
  const trimmed = text.trim()
  if (trimmed.startsWith(compactPrefix)) return decodeCompact(trimmed)
  const json = trimmed.startsWith(prefix)
    ? Buffer.from(trimmed.slice(prefix.length), "base64url").toString("utf8")
    : trimmed
  const quoted = JSON.stringify(trimmed.length > 120 ? `${trimmed.slice(0, 120)}...` : trimmed)
  return decodeJson(json).pipe(
    Effect.mapError(() =>
      new InvalidAnchor({
        message: trimmed.startsWith(prefix)
          ? `${quoted} starts with ${prefix} but is not a per-stream anchor token; pass the whole token that verify --full-anchor printed`
          : `${quoted} is not a ${compactPrefix} or ${prefix} token or anchor JSON; pass the value verify printed`
      })
    ),
    Effect.filterOrFail(
      (anchor) => HashChain.anchorDigest(anchor.heads) === anchor.digest,
      () =>
        new InvalidAnchor({
          message: `${quoted} is an anchor whose digest does not match its heads; it was altered or cut short`
        })
    )
  )
}

/**
 * Decodes the value of `verify --expect`: a token, or `@path` for a file that contains one.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decodeArgument = (
  value: string
): Effect.Effect<HashChain.Anchor | HashChain.CompactAnchor, InvalidAnchor> => {
  if (!value.startsWith("@")) {
    // The messages of `decode` start with the value but do not name the option it came from.
    return Effect.mapError(decode(value), (error) => new InvalidAnchor({ message: `--expect ${error.message}` }))
  }
  const path = value.slice(1)
  if (path.trim() === "") {
    return Effect.fail(
      new InvalidAnchor({
        message: "--expect @ needs a path after @: pass @ and the path of a file that contains the anchor"
      })
    )
  }
  return Effect.try({
    try: () => readFileSync(path, "utf8"),
    catch: (cause) =>
      new InvalidAnchor({
        message: `Could not read the anchor file ${JSON.stringify(path)}: ${
          cause instanceof Error ? cause.message : String(cause)
        }; pass @ and the path of a file that contains the anchor verify printed`
      })
  }).pipe(
    Effect.flatMap((text) =>
      text.trim() === ""
        ? Effect.fail(
          new InvalidAnchor({
            message: `The anchor file ${
              JSON.stringify(path)
            } is empty; pass @ and the path of a file that contains the anchor verify printed`
          })
        )
        : decode(text)
    )
  )
}
