import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * Reads a request body as the exact bytes sent, or `None` once it is larger than `limit`. An
 * oversized body is drained rather than cut off, so the client can still read the 413.
 */
export const readRawBody = (
  request: HttpServerRequest.HttpServerRequest,
  limit: number
): Effect.Effect<Option.Option<Uint8Array>> =>
  Effect.async((resume) => {
    const incoming = NodeHttpServerRequest.toIncomingMessage(request)
    if (incoming.readableEnded) return resume(Effect.succeed(Option.some(new Uint8Array())))
    if (Number(incoming.headers["content-length"] ?? "0") > limit) {
      incoming.resume()
      return resume(Effect.succeed(Option.none()))
    }
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
    }
    const finish = () => {
      incoming.off("data", onData)
      incoming.off("end", finish)
      incoming.off("error", finish)
      resume(Effect.succeed(size > limit ? Option.none() : Option.some(new Uint8Array(Buffer.concat(chunks)))))
    }
    incoming.on("data", onData)
    incoming.on("end", finish)
    incoming.on("error", finish)
  })
