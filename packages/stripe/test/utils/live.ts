/**
 * Helpers for tests of the live layer against the scripted server.
 */
import { Workflows } from "@workflow-runs/stripe"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as StripeServer from "./StripeServer.js"

/** Options of the live layer under test, without the key and base the server gives. */
export type LiveOptions = Omit<Workflows.Options, "apiKey" | "apiBase">

/**
 * Starts a scripted server and runs `body` with the live layer pointed at it. Retries wait
 * 1 ms unless `options` sets `retryBaseDelay`.
 */
export const withServer = <A, E>(
  body: (server: StripeServer.StripeServer) => Effect.Effect<A, E, Workflows.Workflows | Scope.Scope>,
  options: LiveOptions = {}
): Effect.Effect<A, E, Scope.Scope> =>
  Effect.flatMap(StripeServer.start(), (server) =>
    body(server).pipe(
      Effect.provide(
        Workflows.layer({
          apiKey: Redacted.make(server.apiKey),
          apiBase: server.url,
          retryBaseDelay: "1 millis",
          ...options
        }).pipe(Layer.orDie)
      )
    ))

/** The invoke requests the server received. */
export const invokeRequests = (server: StripeServer.StripeServer) =>
  server.requests().filter((request) => request.method === "POST")
