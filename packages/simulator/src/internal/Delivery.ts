import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { DeliveryFault, DeliveryFaultKind } from "../Fault.js"
import { signatureHeader } from "../Webhook.js"
import type { IdGenerator } from "./IdGenerator.js"

/**
 * A thin event ready to send: its id and type, and the exact body every attempt sends.
 *
 * @internal
 */
export interface Notification {
  readonly id: string
  readonly type: string
  readonly payload: string
}

interface SecretEntry {
  readonly secret: Redacted.Redacted<string>
  expiresAt: number | null
}

/**
 * A registered webhook destination and the secrets that sign its deliveries.
 *
 * @internal
 */
export interface Destination {
  readonly id: string
  readonly url: string
  readonly eventTypes: ReadonlyArray<string> | undefined
  readonly secrets: Array<SecretEntry>
  readonly queue: Queue.Queue<Notification>
}

/**
 * One delivery attempt, or a delivery that a fault dropped. `status` is the receiver's HTTP
 * status, `null` when it did not respond (connection error, timeout) or nothing was sent.
 *
 * @internal
 */
export interface DeliveryAttempt {
  readonly eventId: string
  readonly eventType: string
  readonly destination: string
  readonly attempt: number
  readonly status: number | null
  readonly error: string | null
  readonly signature: string | null
  readonly fault: DeliveryFaultKind | null
  readonly at: string
}

/** @internal */
export interface DeliveryOptions {
  readonly ids: IdGenerator
  readonly retryDelays: ReadonlyArray<Duration.Duration>
  readonly timeout: Duration.Duration
  readonly maxLoggedAttempts: number
}

/** @internal */
export interface Delivery {
  readonly register: (options: {
    readonly url: string
    readonly secret: string | undefined
    readonly eventTypes: ReadonlyArray<string> | undefined
  }) => Effect.Effect<Destination>
  readonly rollSecret: (
    id: string,
    options: { readonly secret: string | undefined; readonly previousExpiresInMs: number }
  ) => Effect.Effect<Option.Option<Destination>>
  readonly activeSecrets: (destination: Destination) => Effect.Effect<ReadonlyArray<Redacted.Redacted<string>>>
  readonly destinations: () => ReadonlyArray<Destination>
  readonly publish: (notification: Notification) => void
  readonly injectFault: (fault: DeliveryFault) => void
  readonly attempts: () => ReadonlyArray<DeliveryAttempt>
}

interface ArmedFault {
  readonly fault: DeliveryFault
  remaining: number
}

/**
 * Starts the webhook sender: one queue and one sending fiber per destination, so first attempts
 * leave in event order unless a fault changes that. Retries run on their own fibers with the
 * configured delays. Signatures carry the wall-clock time, never the injected `Clock`, because
 * receivers check them against their own clock.
 *
 * @internal
 */
export const make = (options: DeliveryOptions): Effect.Effect<Delivery, never, Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* Layer.build(NodeHttpClient.layerUndici).pipe(
      Effect.map((context) => Context.get(context, HttpClient.HttpClient))
    )
    const scope = yield* Effect.scope
    const destinations = new Map<string, Destination>()
    const faults: Array<ArmedFault> = []
    const log: Array<DeliveryAttempt> = []

    // Registration may run on a request's fiber, which the HTTP server runs uninterruptibly. A
    // forked fiber inherits that flag, so it is made interruptible here, or closing the scope
    // would wait for it forever.
    const background = <A>(effect: Effect.Effect<A>) =>
      Effect.asVoid(Effect.forkIn(Effect.interruptible(effect), scope))

    const record = (attempt: Omit<DeliveryAttempt, "at">) => {
      log.push({ ...attempt, at: new Date().toISOString() })
      if (log.length > options.maxLoggedAttempts) log.splice(0, log.length - options.maxLoggedAttempts)
    }

    const activeSecrets = (destination: Destination) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        return destination.secrets
          .filter((entry) => entry.expiresAt === null || entry.expiresAt > now)
          .map((entry) => entry.secret)
      })

    const takeFault = (destination: Destination): DeliveryFault | undefined => {
      const index = faults.findIndex((armed) =>
        armed.fault.destination === undefined || armed.fault.destination === destination.id
      )
      if (index < 0) return undefined
      const armed = faults[index]!
      armed.remaining--
      if (armed.remaining <= 0) faults.splice(index, 1)
      return armed.fault
    }

    const send = (
      destination: Destination,
      notification: Notification,
      attempt: number,
      fault: DeliveryFaultKind | null
    ) =>
      Effect.gen(function*() {
        const secrets = yield* activeSecrets(destination)
        const signature = signatureHeader(notification.payload, secrets, Math.floor(Date.now() / 1000))
        const request = HttpClientRequest.post(destination.url).pipe(
          HttpClientRequest.setHeaders({
            "stripe-signature": signature,
            "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
          }),
          HttpClientRequest.bodyText(notification.payload, "application/json; charset=utf-8")
        )
        const outcome = yield* client.execute(request).pipe(
          Effect.flatMap((response) => Effect.as(response.text.pipe(Effect.ignore), response.status)),
          Effect.scoped,
          Effect.timeoutFail({
            duration: options.timeout,
            onTimeout: () => `no response within ${Duration.format(options.timeout)}`
          }),
          Effect.mapError((error) => typeof error === "string" ? error : error.message),
          Effect.either
        )
        const status = outcome._tag === "Right" ? outcome.right : null
        const error = outcome._tag === "Left"
          ? outcome.left
          : outcome.right >= 200 && outcome.right < 300
          ? null
          : `the destination answered HTTP ${outcome.right}`
        record({
          eventId: notification.id,
          eventType: notification.type,
          destination: destination.id,
          attempt,
          status,
          error,
          signature,
          fault
        })
        return error === null
      })

    // The first attempt runs on the destination's fiber. Retries run on a fiber of their own, so
    // a failing receiver does not hold back the events behind it.
    const deliver = (destination: Destination, notification: Notification, fault: DeliveryFaultKind | null) =>
      Effect.gen(function*() {
        const delivered = yield* send(destination, notification, 1, fault)
        if (delivered) return
        yield* background(retry(destination, notification, fault))
      })

    const retry = (destination: Destination, notification: Notification, fault: DeliveryFaultKind | null) =>
      Effect.gen(function*() {
        for (const [index, delay] of options.retryDelays.entries()) {
          yield* Effect.sleep(delay)
          const delivered = yield* send(destination, notification, index + 2, fault)
          if (delivered) return
        }
        yield* Effect.logDebug("webhook delivery gave up").pipe(
          Effect.annotateLogs({ event_id: notification.id, destination_id: destination.id })
        )
      })

    const handle = (destination: Destination, notification: Notification): Effect.Effect<void> =>
      Effect.gen(function*() {
        const fault = takeFault(destination)
        switch (fault?.kind) {
          case undefined:
            return yield* deliver(destination, notification, null)
          case "drop":
            return record({
              eventId: notification.id,
              eventType: notification.type,
              destination: destination.id,
              attempt: 0,
              status: null,
              error: "dropped by a delivery fault",
              signature: null,
              fault: "drop"
            })
          case "delay":
            return yield* Effect.forkIn(
              Effect.zipRight(
                Effect.sleep(Duration.millis(fault.delayMs)),
                deliver(destination, notification, "delay")
              ),
              scope
            )
          case "duplicate":
            yield* deliver(destination, notification, "duplicate")
            return yield* deliver(destination, notification, "duplicate")
          case "reorder": {
            const following = yield* Queue.take(destination.queue).pipe(
              Effect.timeoutOption(Duration.millis(fault.delayMs))
            )
            if (Option.isSome(following)) yield* handle(destination, following.value)
            return yield* deliver(destination, notification, "reorder")
          }
        }
      })

    const register: Delivery["register"] = (registration) =>
      Effect.gen(function*() {
        const queue = yield* Queue.unbounded<Notification>()
        const destination: Destination = {
          id: options.ids.destination(),
          url: registration.url,
          eventTypes: registration.eventTypes,
          secrets: [{ secret: Redacted.make(registration.secret ?? options.ids.webhookSecret()), expiresAt: null }],
          queue
        }
        yield* background(Effect.forever(Effect.flatMap(Queue.take(queue), (next) => handle(destination, next))))
        destinations.set(destination.id, destination)
        return destination
      })

    const rollSecret: Delivery["rollSecret"] = (id, roll) =>
      Effect.gen(function*() {
        const destination = destinations.get(id)
        if (destination === undefined) return Option.none()
        const now = yield* Clock.currentTimeMillis
        const expiresAt = now + roll.previousExpiresInMs
        for (const entry of destination.secrets) {
          if (entry.expiresAt === null || entry.expiresAt > expiresAt) entry.expiresAt = expiresAt
        }
        destination.secrets.unshift({
          secret: Redacted.make(roll.secret ?? options.ids.webhookSecret()),
          expiresAt: null
        })
        return Option.some(destination)
      })

    return {
      register,
      rollSecret,
      activeSecrets,
      destinations: () => [...destinations.values()],
      publish: (notification) => {
        for (const destination of destinations.values()) {
          if (destination.eventTypes === undefined || destination.eventTypes.includes(notification.type)) {
            Queue.unsafeOffer(destination.queue, notification)
          }
        }
      },
      injectFault: (fault) => {
        faults.push({ fault, remaining: fault.count })
      },
      attempts: () => [...log]
    }
  })
