import * as SqlClient from "@effect/sql/SqlClient"
import { WebhookSignature } from "@workflow-runs/stripe"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Redacted from "effect/Redacted"
import { randomBytes } from "node:crypto"
import { request as httpRequest } from "node:http"
import { connect } from "node:net"

/**
 * Returns the number of generated cases per property: `ciDefault`, sized for CI on two cores, or
 * RELIABILITY_FUZZ_RUNS for a longer search.
 */
export const fuzzRuns = (ciDefault: number): number => {
  const configured = Number(process.env.RELIABILITY_FUZZ_RUNS ?? "")
  return Number.isInteger(configured) && configured > 0 ? configured : ciDefault
}

/** A string every secret of a hostile-input test contains, so a leak is easy to find in any output. */
export const marker = "H0STILE-MARKER"

/** Secrets that contain {@link marker} in their middle, past the part the simulator shows of a key. */
export const markedSecrets = () => {
  const suffix = randomBytes(6).toString("hex")
  return {
    apiKey: `sk_test_${marker}_${suffix}_key`,
    webhookSecret: `whsec_${marker}_${suffix}`,
    auditToken: `${marker}-audit-${suffix}`
  }
}

/** A response read by {@link send}: status, headers and body text. */
export interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly text: string
}

/**
 * Sends one request with the method, path and headers exactly as given: unlike `fetch`, Node's
 * client leaves `.` and `..` segments in the path and sends header values in Latin-1.
 */
export const send = (
  baseUrl: string,
  init: {
    readonly method?: string
    readonly path: string
    readonly headers?: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
    readonly body?: string | Uint8Array
  }
): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(baseUrl)
    const request = httpRequest({
      host: hostname,
      port: Number(port),
      method: init.method ?? "GET",
      path: init.path,
      headers: Object.fromEntries(
        Object.entries(init.headers ?? {}).flatMap(([name, value]) =>
          value === undefined ? [] : [[name, typeof value === "string" ? value : [...value]]]
        )
      ),
      agent: false
    }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: Buffer.concat(chunks).toString("utf8")
        }))
      response.on("error", reject)
    })
    request.on("error", reject)
    request.end(init.body)
  })

/** POSTs `body` to the webhook route with the `Stripe-Signature` values given, or none. */
export const postNotification = (
  baseUrl: string,
  body: string | Uint8Array,
  signature: string | ReadonlyArray<string> | undefined
): Promise<Reply> =>
  send(baseUrl, {
    method: "POST",
    path: "/webhooks/stripe",
    headers: { "content-type": "application/json", "stripe-signature": signature },
    body
  })

/**
 * Writes `chunks` to a new TCP connection as they are and returns everything the server sent
 * until it closed the connection (requests should carry `Connection: close`).
 */
export const exchange = (baseUrl: string, chunks: ReadonlyArray<string | Uint8Array>): Promise<string> =>
  new Promise((resolve) => {
    const { hostname, port } = new URL(baseUrl)
    const socket = connect(Number(port), hostname)
    const received: Array<Buffer> = []
    socket.on("data", (chunk: Buffer) => received.push(chunk))
    // The server may close the connection before it has read everything, and what it sent still counts.
    socket.on("error", () => socket.destroy())
    socket.on("close", () => resolve(Buffer.concat(received).toString("latin1")))
    socket.setTimeout(10_000, () => socket.destroy())
    void (async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return
        if (!socket.write(chunk)) await new Promise((drained) => socket.once("drain", drained))
      }
    })()
  })

/** The status code of a raw HTTP response, or 0 when the server sent nothing. */
export const statusOf = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0)

/** The body of a raw HTTP response (chunked framing left as sent). */
export const bodyOf = (raw: string): string => raw.slice(raw.indexOf("\r\n\r\n") + 4)

/** Signs `payload` as Stripe would at `timestamp` (Unix seconds, default now). */
export const sign = (payload: string | Uint8Array, secret: string, timestamp = Math.floor(Date.now() / 1000)) =>
  WebhookSignature.makeHeader({ payload, secrets: [Redacted.make(secret)], timestamp })

/** Row counts of every table the projector writes. */
export const rowCounts = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    Effect.map(
      sql<{ table: string; rows: number }>`
        select 'run_events' as table, count(*)::int as rows from run_events
        union all select 'workflow_runs', count(*)::int from workflow_runs
        union all select 'invocations', count(*)::int from invocations
        union all select 'webhook_inbox', count(*)::int from webhook_inbox`,
      (rows) => Object.fromEntries(rows.map((row) => [row.table, row.rows])) as Record<string, number>
    )
)

// Frames of a JavaScript stack trace, source positions and error class names that only a
// stack trace or an unhandled error would put into a response.
const stackTrace =
  /\n\s+at\s|\bat\s+[\w$.<>]+\s+\(|node:internal|\.[cm]?[jt]s:\d+:\d+|node_modules|FiberFailure|RangeError/

/** Lists the `secrets` that `text` contains, and the marker if it contains that. */
export const secretsIn = (text: string, secrets: ReadonlyArray<string>): ReadonlyArray<string> => [
  ...secrets.filter((secret) => text.includes(secret)).map((secret) => `the secret ${secret.slice(0, 12)}…`),
  ...(text.includes(marker) ? [`the marker ${marker}`] : [])
]

/** Lists what a response `text` exposes: any of `secrets`, the marker or a stack trace. */
export const exposures = (text: string, secrets: ReadonlyArray<string>): ReadonlyArray<string> => [
  ...secretsIn(text, secrets),
  ...(stackTrace.test(text) ? [`a stack trace: ${stackTrace.exec(text)?.[0]}`] : [])
]

/** A tally of the cases, requests and statuses of one scenario, for docs/reliability-results/hostile-input.md. */
export class Tally {
  cases = 0
  requests = 0
  readonly statuses = new Map<number, number>()

  /** Counts one response status. */
  count(status: number) {
    this.requests++
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1)
  }

  /** Returns the figures for `JSON.stringify`. */
  toJSON() {
    return {
      cases: this.cases,
      requests: this.requests,
      statuses: Object.fromEntries([...this.statuses].sort(([a], [b]) => a - b))
    }
  }
}

// Header values must be Latin-1 without CR or LF, which is the range these code points cover.
const headerCharacter = FastCheck.oneof(
  FastCheck.integer({ min: 0x20, max: 0x7e }),
  FastCheck.constant(0x09),
  FastCheck.integer({ min: 0x80, max: 0xff })
).map((code) => String.fromCharCode(code))

/** A header value of any Latin-1 characters Node sends. */
export const headerValue = FastCheck.string({ unit: headerCharacter, maxLength: 300 })

const timestamps = (now: number) =>
  FastCheck.oneof(
    FastCheck.constantFrom("", "abc", "-1", "1.5", "1e9", "0x10", " ", "99999999999999999999", "NaN", "Infinity"),
    FastCheck.constantFrom(now - 301, now - 86_400, now + 301, now + 10_000_000, 0).map(String),
    FastCheck.integer().map(String),
    headerValue
  )

const hexSignature = FastCheck.oneof(
  FastCheck.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString("hex")),
  FastCheck.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString("hex")),
  headerValue
)

/**
 * `Stripe-Signature` values that are never valid for `body` under `secret`: free text,
 * `t=`/`v1=` lists with bad parts, and real signatures of another body, under another secret or
 * outside the five-minute tolerance.
 */
export const wrongSignature = (body: Uint8Array, secret: string) => {
  const now = Math.floor(Date.now() / 1000)
  return FastCheck.oneof(
    FastCheck.constant<string | undefined>(undefined),
    headerValue,
    FastCheck.tuple(timestamps(now), FastCheck.array(hexSignature, { maxLength: 3 }), FastCheck.boolean()).map((
      [timestamp, signatures, schemeV0]
    ) => [`t=${timestamp}`, ...signatures.map((hex) => `${schemeV0 ? "v0" : "v1"}=${hex}`)].join(",")),
    FastCheck.uint8Array({ minLength: 1, maxLength: 64 })
      .filter((other) => Buffer.compare(Buffer.from(other), Buffer.from(body)) !== 0)
      .map((other) => sign(other, secret)),
    FastCheck.string({ minLength: 1, maxLength: 40 }).map((other) => sign(body, `whsec_${other}`)),
    FastCheck.constantFrom(-86_400, -301, 301, 86_400).map((offset) => sign(body, secret, now + offset))
  )
}

const nested = (depth: number, kind: "array" | "object") =>
  kind === "array" ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${"{\"a\":".repeat(depth)}1${"}".repeat(depth)}`

/** A JSON value deeper than the 64 levels a notification may nest, up to 100,000 levels. */
export const deepJson = FastCheck.tuple(
  FastCheck.oneof(FastCheck.integer({ min: 65, max: 2_000 }), FastCheck.constantFrom(10_000, 100_000)),
  FastCheck.constantFrom("array" as const, "object" as const)
).map(([depth, kind]) => nested(depth, kind))

/** A thin run notification with every field valid, as an object to break. */
export const thinEvent = (eventId: string, runId: string) => ({
  id: eventId,
  object: "v2.core.event",
  type: "v2.extend.workflow_run.started",
  created: new Date().toISOString(),
  livemode: false,
  context: null,
  reason: null,
  related_object: { id: runId, type: "v2.extend.workflow_run", url: `/v2/extend/workflow_runs/${runId}` }
})

// Neither a string, a boolean nor null, so wrong for every field of an event; `context` and
// `reason` may be null and `livemode` is a boolean.
const otherJson = FastCheck.oneof(
  FastCheck.integer(),
  FastCheck.array(FastCheck.integer(), { maxLength: 3 }),
  FastCheck.dictionary(FastCheck.string({ maxLength: 5 }), FastCheck.integer(), { maxKeys: 3 })
)

const notString = FastCheck.oneof(otherJson, FastCheck.boolean())

// Each change makes the event invalid: the field is required, or the new value has the wrong type.
const breakField = FastCheck.oneof(
  FastCheck.constantFrom("id", "object", "type", "created", "livemode").map((field) => ({ field, drop: true })),
  FastCheck.constantFrom("id", "type", "created", "livemode").map((field) => ({ field, value: null })),
  FastCheck.tuple(FastCheck.constantFrom("id", "type", "created", "context"), notString).map((
    [field, value]
  ) => ({ field, value })),
  FastCheck.oneof(FastCheck.string(), otherJson).map((value) => ({ field: "livemode", value })),
  FastCheck.string().filter((value) => value !== "v2.core.event").map((value) => ({ field: "object", value })),
  FastCheck.oneof(
    FastCheck.constantFrom("", "a/b", "x".repeat(256), "..", "wf\u0000"),
    FastCheck.string().map((text) => `${text}/`)
  ).map((value) => ({ field: "id", value })),
  FastCheck.string().filter((value) => !/\d{4}-\d{2}-\d{2}/.test(value)).map((value) => ({ field: "created", value })),
  FastCheck.oneof(
    FastCheck.constant(null),
    FastCheck.constant({ id: "cus_1", type: "customer", url: "/v1/customers/cus_1" }),
    FastCheck.constant({ id: "..", type: "v2.extend.workflow_run", url: "/x" }),
    notString
  ).map((value) => ({ field: "related_object", value })),
  FastCheck.oneof(FastCheck.integer(), FastCheck.string(), FastCheck.constant({ type: 7 })).map((value) => ({
    field: "reason",
    value
  }))
)

/**
 * Bodies that are never a usable notification, with the `error.type` the webhook route must
 * respond with when they are correctly signed: random bytes (mostly invalid UTF-8), random JSON,
 * JSON nested beyond the limit, v1 events and thin events with one field broken.
 */
export const badBody = (eventId: string, runId: string) =>
  FastCheck.oneof(
    FastCheck.uint8Array({ maxLength: 512 }).map((bytes) => ({ bytes, types: ["malformed_body", "wrong_event_kind"] })),
    FastCheck.string({ unit: "binary", maxLength: 256 }).map((text) => ({
      bytes: Buffer.from(text, "utf8"),
      types: ["malformed_body", "wrong_event_kind"]
    })),
    FastCheck.json().map((text) => ({ bytes: Buffer.from(text), types: ["malformed_body", "wrong_event_kind"] })),
    deepJson.map((json) => ({ bytes: Buffer.from(json), types: ["malformed_body"] })),
    deepJson.map((json) => ({
      bytes: Buffer.from(`${JSON.stringify(thinEvent(eventId, runId)).slice(0, -1)},"extra":${json}}`),
      types: ["malformed_body"]
    })),
    FastCheck.constant({
      bytes: Buffer.from(JSON.stringify({ id: eventId, object: "event", type: "customer.created", data: {} })),
      types: ["wrong_event_kind"]
    }),
    breakField.map((change) => {
      const event: Record<string, unknown> = thinEvent(eventId, runId)
      if ("drop" in change) delete event[change.field]
      else event[change.field] = change.value
      return {
        bytes: Buffer.from(JSON.stringify(event)),
        types: [change.field === "object" ? "wrong_event_kind" : "malformed_body"]
      }
    }),
    FastCheck.uint8Array({ minLength: 1, maxLength: 4 }).map((garbage) => {
      const text = JSON.stringify(thinEvent(eventId, runId))
      const cut = text.indexOf("started")
      // 0xff never occurs in UTF-8, so the body is invalid UTF-8 whatever the other bytes are.
      const bytes = Buffer.concat([
        Buffer.from(text.slice(0, cut)),
        Buffer.from([0xff, ...garbage]),
        Buffer.from(text.slice(cut))
      ])
      return { bytes, types: ["malformed_body"] }
    })
  )

/** Percent-encodes every byte of the UTF-8 form of `text` except unreserved characters. */
export const percentEncode = (text: string): string =>
  [...Buffer.from(text, "utf8")].map((byte) => {
    const character = String.fromCharCode(byte)
    return /[A-Za-z0-9\-._~]/.test(character) ? character : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
  }).join("")

/** Values that probe SQL injection, path traversal and parsing limits. */
export const nastyValues = [
  "' or '1'='1",
  "x'; drop table run_events; --",
  "\" or \"\"=\"",
  "1; select pg_sleep(5)",
  "$1",
  "../../../../etc/passwd",
  "..",
  ".",
  "%2e%2e%2f",
  "a/b",
  "\u0000",
  "\u0000' or 1=1",
  "\uFFFF",
  "\uD800",
  "😀",
  "-271821-04-20T00:00:00Z",
  "+275760-09-13T00:00:00Z",
  "0000-01-01T00:00:00Z",
  "2026-02-30",
  "2026-05-01T10:00:00",
  "1",
  "99999999999999999999",
  "-1",
  "1e3",
  "NaN",
  "[]",
  "{}",
  "null",
  "x".repeat(5_000)
]

/** Query and path values: the nasty ones and generated text of any code points. */
export const queryValue = FastCheck.oneof(
  FastCheck.constantFrom(...nastyValues),
  FastCheck.string({ unit: "binary", maxLength: 80 }),
  FastCheck.string({ maxLength: 30 }),
  FastCheck.integer().map(String),
  FastCheck.date({ noInvalidDate: true }).map((date) => date.toISOString())
)

/** A query string of the audit API's parameters, an unknown one and repeats, percent-encoded. */
export const auditQuery = FastCheck.array(
  FastCheck.tuple(
    FastCheck.constantFrom("workflow", "status", "from", "to", "limit", "after", "expect", "unknown", "status[]"),
    queryValue
  ),
  { maxLength: 4 }
).map((pairs) => pairs.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join("&"))
