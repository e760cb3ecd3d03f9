/**
 * The webhook ingestion benchmark. The projector's `POST /webhooks/stripe` (verify, dedupe in the
 * inbox, retrieve the run, append, project) runs against a naive handler (the official client's
 * `parseEventNotification`, `fetchRelatedObject()` and one INSERT). Both are child processes on
 * 127.0.0.1 with the same simulator and PostgreSQL server, driven by autocannon. Every
 * notification is the real thin event of a run the simulator ran, signed afresh with the
 * endpoint's secret, and each is sent once per contender, so the inbox never short-circuits.
 * After every round the rows each contender wrote are counted against the notifications sent.
 */
import { Simulator, Webhook } from "@workflow-runs/simulator"
import autocannon from "autocannon"
import * as Redacted from "effect/Redacted"
import { randomBytes } from "node:crypto"
import pg from "pg"
import { builtScript, freePort, type NodeChild, repositoryFile, startNode } from "./internal/child.js"
import { createSchema, dropSchema, uniqueSchemaName, withSearchPath } from "./internal/schema.js"
import { type RoundSample, type RoundsSummary, summarize, summarizeRounds, type Summary } from "./Measure.js"
import * as ServerCpu from "./ServerCpu.js"
import type { EventSource, SimulatorProcess, ThinEvent } from "./SimulatorProcess.js"

/** Settings of the ingestion benchmark. */
export interface WebhookOptions {
  /** Concurrent connections of the load generator, for example `[1, 16, 64]`. */
  readonly connections: ReadonlyArray<number>
  readonly rounds: number
  /** Notifications per round at a connection count. */
  readonly notificationsPerRound: (connections: number) => number
  /** Notifications to each contender before the first round, untimed. */
  readonly warmupNotifications: number
}

/** The receivers the benchmark compares. */
export const webhookContenders = ["projector", "naive"] as const

/** One of {@link webhookContenders}. */
export type WebhookContender = (typeof webhookContenders)[number]

/** The figures of one contender at one connection count. */
export interface WebhookFigure {
  readonly contender: WebhookContender
  readonly connections: number
  readonly notificationsPerRound: number
  readonly summary: RoundsSummary
  /** CPU time per notification over the rounds, in microseconds. */
  readonly cpu: WebhookCpu
}

/**
 * The CPU time one notification costs, in microseconds, median with min and max over the rounds;
 * `undefined` where `/proc` could not be read.
 */
export interface WebhookCpu {
  /** The receiver's process. */
  readonly receiver: Summary | undefined
  /** PostgreSQL's client backends on the database, which both receivers share. */
  readonly server: Summary | undefined
}

interface CpuSample {
  readonly receiver: number | undefined
  readonly server: number | undefined
}

const difference = (before: number | undefined, after: number | undefined, count: number) =>
  before === undefined || after === undefined ? undefined : (after - before) / count

const summarizeDefined = (values: ReadonlyArray<number | undefined>): Summary | undefined =>
  values.every((value) => value !== undefined) ? summarize(values) : undefined

/** The results of the ingestion benchmark. */
export interface WebhookResults {
  readonly options: Omit<WebhookOptions, "notificationsPerRound"> & {
    readonly notificationsPerRound: Record<number, number>
  }
  readonly figures: ReadonlyArray<WebhookFigure>
  /** Rounds whose rows were counted and matched the notifications sent, per contender. */
  readonly checkedRounds: Record<WebhookContender, number>
}

/** A receiver of notifications running as a child process. */
export interface Receiver {
  readonly contender: WebhookContender
  readonly url: string
  readonly child: NodeChild
  /** Rows written so far: inbox rows and run events for the projector, rows for the naive handler. */
  readonly count: () => Promise<{ readonly notifications: number; readonly events: number }>
  readonly close: () => Promise<void>
}

/** The endpoint secret shared by the benchmark and its receivers, `whsec_` and random bytes. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString("base64url")}`

const counter = (url: string, queries: { readonly notifications: string; readonly events: string }) => {
  const pool = new pg.Pool({ connectionString: url, max: 1 })
  return {
    count: async () => {
      const notifications = await pool.query<{ n: string }>(queries.notifications)
      const events = await pool.query<{ n: string }>(queries.events)
      return { notifications: Number(notifications.rows[0]!.n), events: Number(events.rows[0]!.n) }
    },
    end: () => pool.end()
  }
}

interface LogEntry {
  readonly message?: unknown
  readonly annotations?: { readonly url?: unknown }
}

const logEntry = (line: string): LogEntry | undefined => {
  if (!line.startsWith("{")) return undefined
  try {
    return JSON.parse(line) as LogEntry
  } catch {
    return undefined
  }
}

// The projector logs JSON lines to standard error: "Serving" carries its address, and
// "Reconciled runs" ends a reconciler pass that recorded something.
const readyAfterFirstPass = () => {
  let url: string | undefined
  return (line: string): string | undefined => {
    const entry = logEntry(line)
    if (entry?.message === "Serving" && typeof entry.annotations?.url === "string") url = entry.annotations.url
    return entry?.message === "Reconciled runs" ? url : undefined
  }
}

/**
 * Starts a receiver with its tables in a new schema of `databaseUrl` and counts its rows with
 * `counts`. The schema is dropped when the receiver closes or fails to start.
 */
const startInSchema = async (
  databaseUrl: string,
  contender: WebhookContender,
  counts: { readonly notifications: string; readonly events: string },
  start: (url: string) => Promise<{ readonly child: NodeChild; readonly value: string }>
): Promise<Receiver> => {
  const schema = uniqueSchemaName(`bench_${contender}`)
  await createSchema(databaseUrl, schema)
  const url = withSearchPath(databaseUrl, schema)
  try {
    const { child, value } = await start(url)
    const rows = counter(url, counts)
    return {
      contender,
      url: value,
      child,
      count: rows.count,
      close: async () => {
        await rows.end()
        await child.stop()
        await dropSchema(databaseUrl, schema)
      }
    }
  } catch (error) {
    await dropSchema(databaseUrl, schema)
    throw error
  }
}

/**
 * Starts `workflow-runs serve` on a free port with its tables in a new schema of `databaseUrl`,
 * and waits for the reconciler's first pass. That pass records Stripe's 100 most recent runs,
 * which would otherwise race with the first notifications, so one new run guarantees it records
 * something and logs it. The next pass is an hour later, outside every measurement.
 */
export const startProjector = async (
  databaseUrl: string,
  simulator: SimulatorProcess,
  source: EventSource,
  secret: string
): Promise<Receiver> => {
  await source.create(1)
  return startInSchema(databaseUrl, "projector", {
    notifications: "SELECT count(*) AS n FROM webhook_inbox",
    events: "SELECT count(*) AS n FROM run_events"
  }, async (url) =>
    startNode({
      name: "The projector",
      script: repositoryFile("apps/projector/dist/bin.js"),
      args: ["serve"],
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: url,
        STRIPE_API_KEY: simulator.apiKey,
        STRIPE_API_BASE: simulator.url,
        STRIPE_API_VERSION: Simulator.apiVersion,
        STRIPE_WEBHOOK_SECRET: secret,
        AUDIT_API_TOKEN: randomBytes(24).toString("hex"),
        HOST: "127.0.0.1",
        PORT: String(await freePort()),
        RECONCILE_INTERVAL: "1 hour",
        LOG_FORMAT: "json"
      },
      stream: "stderr",
      ready: readyAfterFirstPass(),
      timeoutMs: 60_000
    }))
}

/** Starts the naive handler on a free port with its table in a new schema of `databaseUrl`. */
export const startNaive = async (
  databaseUrl: string,
  simulator: SimulatorProcess,
  secret: string
): Promise<Receiver> => {
  return startInSchema(databaseUrl, "naive", {
    notifications: "SELECT count(*) AS n FROM naive_notifications",
    events: "SELECT count(*) AS n FROM naive_notifications"
  }, (url) =>
    startNode({
      name: "The naive webhook handler",
      script: builtScript("naiveWebhook"),
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: url,
        STRIPE_API_KEY: simulator.apiKey,
        STRIPE_API_BASE: simulator.url,
        STRIPE_API_VERSION: Simulator.apiVersion,
        STRIPE_WEBHOOK_SECRET: secret
      },
      stream: "stdout",
      ready: (line) => (line.startsWith("listening on ") ? line.slice("listening on ".length).trim() : undefined)
    }))
}

/** A notification ready to send: its body and a `Stripe-Signature` made now. */
export interface SignedNotification {
  readonly body: string
  readonly signature: string
}

/** Signs each event's body with `secret` at the current time, as the simulator signs deliveries. */
export const sign = (events: ReadonlyArray<ThinEvent>, secret: string): Array<SignedNotification> => {
  const secrets = [Redacted.make(secret)]
  const timestamp = Math.floor(Date.now() / 1000)
  return events.map((event) => ({
    body: event.payload,
    signature: Webhook.signatureHeader(event.payload, secrets, timestamp)
  }))
}

/**
 * Sends every notification once to `url` with `connections` in flight and returns the rate and
 * latency. Any answer other than 2xx, or any connection error, fails the round.
 */
export const fire = async (
  url: string,
  notifications: ReadonlyArray<SignedNotification>,
  connections: number
): Promise<RoundSample> => {
  let next = 0
  // autocannon ends a run on its one-second ticker, which rounds short rounds up to whole
  // seconds. The time of the last response is the round's real end.
  let lastAnswer = 0
  const started = performance.now()
  const result = await autocannon({
    url: `${url}/webhooks/stripe`,
    connections: Math.min(connections, notifications.length),
    amount: notifications.length,
    timeout: 60,
    requests: [{
      method: "POST",
      setupRequest: (request) => {
        const notification = notifications[next++ % notifications.length]!
        return {
          ...request,
          body: notification.body,
          headers: { "content-type": "application/json", "stripe-signature": notification.signature }
        }
      },
      onResponse: () => {
        lastAnswer = performance.now()
      }
    }]
  })
  const seconds = ((lastAnswer > 0 ? lastAnswer : performance.now()) - started) / 1000
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `Sending ${notifications.length} notifications to ${url} got ${result.non2xx} answers other than 2xx, ${result.errors} errors and ${result.timeouts} timeouts; see the receiver's log.`
    )
  }
  if (next !== notifications.length) {
    throw new Error(`The load generator sent ${next} notifications instead of ${notifications.length}.`)
  }
  return { callsPerSecond: notifications.length / seconds, p50Ms: result.latency.p50, p99Ms: result.latency.p99 }
}

/**
 * Sends `events` to `receiver` and checks that it wrote one row per notification (two run events
 * per notification for the projector, each run having started and succeeded).
 */
export const fireAndCheck = async (
  receiver: Receiver,
  events: ReadonlyArray<ThinEvent>,
  secret: string,
  connections: number
): Promise<RoundSample> => {
  const before = await receiver.count()
  const sample = await fire(receiver.url, sign(events, secret), connections)
  const after = await receiver.count()
  const notifications = after.notifications - before.notifications
  const events_ = after.events - before.events
  const expectedEvents = receiver.contender === "projector" ? 2 * events.length : events.length
  if (notifications !== events.length || events_ !== expectedEvents) {
    throw new Error(
      `The ${receiver.contender} recorded ${notifications} notifications and ${events_} events for ${events.length} notifications sent (expected ${events.length} and ${expectedEvents}).`
    )
  }
  return sample
}

/** Runs the ingestion benchmark against both receivers, alternating between them every round. */
export const runWebhookBenchmark = async (
  databaseUrl: string,
  simulator: SimulatorProcess,
  source: EventSource,
  options: WebhookOptions,
  log: (line: string) => void
): Promise<WebhookResults> => {
  const secret = newWebhookSecret()
  const receivers: Array<Receiver> = []
  const probe = await ServerCpu.open(databaseUrl)
  try {
    receivers.push(await startProjector(databaseUrl, simulator, source, secret))
    receivers.push(await startNaive(databaseUrl, simulator, secret))
    const checkedRounds: Record<WebhookContender, number> = { projector: 0, naive: 0 }
    if (options.warmupNotifications > 0) {
      const events = await source.create(options.warmupNotifications)
      for (const receiver of receivers) await fireAndCheck(receiver, events, secret, 16)
    }
    const figures: Array<WebhookFigure> = []
    for (const connections of options.connections) {
      const samples = new Map<WebhookContender, Array<RoundSample>>(webhookContenders.map((name) => [name, []]))
      const cpuSamples = new Map<WebhookContender, Array<CpuSample>>(webhookContenders.map((name) => [name, []]))
      for (let round = 1; round <= options.rounds; round++) {
        // Both receivers get the same notifications, each in its own database schema.
        const events = await source.create(options.notificationsPerRound(connections))
        for (const receiver of round % 2 === 1 ? receivers : [...receivers].reverse()) {
          const receiverBefore = await ServerCpu.processCpuMicros(receiver.child.pid)
          const serverBefore = await probe.read()
          const sample = await fireAndCheck(receiver, events, secret, connections)
          const server = ServerCpu.elapsed(serverBefore, await probe.read())
          const receiverAfter = await ServerCpu.processCpuMicros(receiver.child.pid)
          checkedRounds[receiver.contender]++
          samples.get(receiver.contender)!.push(sample)
          cpuSamples.get(receiver.contender)!.push({
            receiver: difference(receiverBefore, receiverAfter, events.length),
            server: server === undefined ? undefined : server / events.length
          })
          log(
            `webhooks ${connections} connections, round ${round}/${options.rounds}: ${receiver.contender} ${
              Math.round(sample.callsPerSecond)
            } notifications/s, p99 ${sample.p99Ms} ms`
          )
        }
      }
      for (const contender of webhookContenders) {
        figures.push({
          contender,
          connections,
          notificationsPerRound: options.notificationsPerRound(connections),
          summary: summarizeRounds(samples.get(contender)!),
          cpu: {
            receiver: summarizeDefined(cpuSamples.get(contender)!.map((sample) => sample.receiver)),
            server: summarizeDefined(cpuSamples.get(contender)!.map((sample) => sample.server))
          }
        })
      }
    }
    return {
      options: {
        ...options,
        notificationsPerRound: Object.fromEntries(
          options.connections.map((connections) => [connections, options.notificationsPerRound(connections)])
        )
      },
      figures,
      checkedRounds
    }
  } finally {
    await probe.close().catch((error: unknown) => log(`Failed to close the CPU probe: ${String(error)}`))
    for (const receiver of receivers) {
      await receiver.close().catch((error: unknown) =>
        log(`Failed to stop the ${receiver.contender}: ${String(error)}`)
      )
    }
  }
}
