import * as HttpServer from "@effect/platform/HttpServer"
import { describe, expect, layer } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import { HttpApp, Inbox, Projector } from "@workflow-runs/projector"
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import { Workflows } from "@workflow-runs/stripe"
import { Console, Context, Effect, Layer, Logger, LogLevel, Option, Redacted, Stream } from "effect"
import * as FastCheck from "effect/FastCheck"
import { randomUUID } from "node:crypto"
import { database, settledDeliveries, startProjector, workflowsFor } from "./support/harness.js"
import {
  auditQuery,
  badBody,
  bodyOf,
  exchange,
  exposures,
  fuzzRuns,
  headerValue,
  markedSecrets,
  percentEncode,
  postNotification,
  queryValue,
  type Reply,
  rowCounts,
  secretsIn,
  send,
  sign,
  statusOf,
  Tally,
  thinEvent,
  wrongSignature
} from "./support/hostile.js"
import { newEventId } from "./support/notifications.js"

const services = Projector.services.pipe(Layer.provideMerge(database))

// Every log line of the in-process simulator, projector and library, at every level.
const captureLogs = (lines: Array<string>) =>
  Layer.merge(
    Logger.replace(Logger.defaultLogger, Logger.map(Logger.jsonLogger, (line) => void lines.push(line))),
    Logger.minimumLogLevel(LogLevel.All)
  )

/**
 * A simulator and a projector with secrets that contain the marker, two runs recorded through
 * signed deliveries, and the checks every scenario ends with.
 */
const hostileStack = Effect.gen(function*() {
  const secrets = markedSecrets()
  const simulator = yield* Simulator.make({ apiKeys: [secrets.apiKey] })
  const url = yield* startProjector(simulator, [secrets.webhookSecret], {
    auditToken: Redacted.make(secrets.auditToken)
  })
  yield* simulator.registerDestination({ url: `${url}/webhooks/stripe`, secret: secrets.webhookSecret })
  // A workflow of this test's own, because the tests of this file share one database.
  const workflow = yield* simulator.defineWorkflow({ id: `wf_test_hostile_${randomUUID().replaceAll("-", "")}` })
  const runs = yield* Effect.all(
    [1, 2].map((n) =>
      Workflows.invokeWorkflow(Ids.WorkflowId.make(workflow.id), { n }).pipe(Effect.provide(workflowsFor(simulator)))
    )
  )
  const deliveries = yield* settledDeliveries(simulator, 4)
  const before = yield* rowCounts
  const secretValues = [secrets.apiKey, secrets.webhookSecret, secrets.auditToken]

  // Checks one response: the expected status, and no secret or stack trace in headers or body.
  const check = (tally: Tally, reply: Reply, expected: ReadonlyArray<number>, label: string) => {
    tally.count(reply.status)
    const exposed = exposures(`${JSON.stringify(reply.headers)}\n${reply.text}`, secretValues)
    expect(exposed, `${label} exposes`).toEqual([])
    expect(expected, `${label}: status ${reply.status}, body ${reply.text.slice(0, 300)}`).toContain(reply.status)
  }

  // The end of every scenario: the server still serves, and the log and the inbox are unchanged.
  const finish = (name: string, tally: Tally) =>
    Effect.gen(function*() {
      const health = yield* Effect.promise(() => send(url, { path: "/healthz" }))
      expect(health.status).toBe(200)
      const after = yield* rowCounts
      expect(after).toEqual(before)
      yield* Console.log(
        `figures ${name}: ${JSON.stringify({ ...tally.toJSON(), rowsBefore: before, rowsAfter: after })}`
      )
    })

  return { secrets, simulator, url, workflow: workflow.id, runs, deliveries, check, finish }
})

type Stack = Effect.Effect.Success<typeof hostileStack>

/**
 * Runs one scenario against a fresh stack with every log line captured, then checks that the
 * server still serves, that nothing was appended and that no log line contains a secret.
 */
const scenario = <E, R>(name: string, run: (stack: Stack, tally: Tally) => Effect.Effect<void, E, R>) => {
  const logs: Array<string> = []
  return Effect.gen(function*() {
    const stack = yield* hostileStack
    const tally = new Tally()
    yield* run(stack, tally)
    yield* stack.finish(name, tally)
    expect(logs.length).toBeGreaterThan(0)
    expect(secretsIn(logs.join("\n"), Object.values(stack.secrets))).toEqual([])
  }).pipe(Effect.scoped, Effect.provide(captureLogs(logs)))
}

const authorized = (token: string) => ({ authorization: `Bearer ${token}` })

describe.sequential("HostileInput", () => {
  layer(services, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("webhook rejects generated bodies and signatures", () =>
      scenario("webhook generated", ({ check, runs, secrets, url }, tally) =>
        Effect.gen(function*() {
          const eventId = newEventId()
          const runId = runs[0]!.id

          // A valid body or a bad one, with any signature that is not valid for it.
          const anyBody = FastCheck.oneof(
            FastCheck.constant({ bytes: Buffer.from(JSON.stringify(thinEvent(eventId, runId))) }),
            badBody(eventId, runId)
          )
          const unsigned = FastCheck.asyncProperty(
            anyBody.chain((body) =>
              FastCheck.tuple(FastCheck.constant(body.bytes), wrongSignature(body.bytes, secrets.webhookSecret))
            ),
            async ([bytes, signature]) => {
              tally.cases++
              const reply = await postNotification(url, bytes, signature)
              check(tally, reply, [400], `signature ${JSON.stringify(signature?.slice(0, 80))}`)
              expect(JSON.parse(reply.text).error.type).toBe("bad_signature")
            }
          )
          yield* Effect.promise(() => FastCheck.assert(unsigned, { numRuns: fuzzRuns(120) }))

          // Bad bodies under a valid signature reach the decoder, which must reject each with a 400.
          const signed = FastCheck.asyncProperty(badBody(eventId, runId), async (body) => {
            tally.cases++
            const reply = await postNotification(url, body.bytes, sign(body.bytes, secrets.webhookSecret))
            check(tally, reply, [400], `signed body ${Buffer.from(body.bytes).toString("utf8").slice(0, 120)}`)
            expect(body.types).toContain(JSON.parse(reply.text).error.type)
          })
          yield* Effect.promise(() => FastCheck.assert(signed, { numRuns: fuzzRuns(120) }))
        })))

    it.effect("webhook rejects each signature mutation", () =>
      scenario("webhook signatures", ({ check, deliveries, runs, secrets, url }, tally) =>
        Effect.gen(function*() {
          const secret = secrets.webhookSecret
          const now = Math.floor(Date.now() / 1000)
          // A notification never delivered, so accepting any mutation would append to the log.
          const fresh = JSON.stringify(thinEvent(newEventId(), runs[1]!.id))
          const signature = /v1=([0-9a-f]{64})/.exec(sign(fresh, secret, now))![1]!
          const otherSignature = /v1=([0-9a-f]{64})/.exec(sign(`${fresh} `, secret, now))![1]!
          const rejected: ReadonlyArray<[string, ReadonlyArray<string> | undefined]> = [
            ["missing", undefined],
            ["empty", [""]],
            ["blank", ["   "]],
            ["only v0", [`t=${now},v0=${signature}`]],
            ["v2 scheme", [`t=${now},v2=${signature}`]],
            ["no signature", [`t=${now}`]],
            ["empty v1", [`t=${now},v1=`]],
            ["no timestamp", [`v1=${signature}`]],
            ["empty timestamp", [`t=,v1=${signature}`]],
            ["truncated signature", [`t=${now},v1=${signature.slice(0, -1)}`]],
            ["truncated header", [`t=${now},v1=${signature.slice(0, 10)}`]],
            ["extended signature", [`t=${now},v1=${signature}0`]],
            ["whitespace inside the signature", [`t=${now},v1=${signature.slice(0, 20)} ${signature.slice(20)}`]],
            ["uppercase keys", [`T=${now},V1=${signature}`]],
            ["two timestamps", [`t=${now},t=${now},v1=${signature}`]],
            ["two bad v1", [`t=${now},v1=${otherSignature},v1=${"0".repeat(64)}`]],
            ["duplicated header", [sign(fresh, secret, now), sign(fresh, secret, now)]],
            ["non-numeric timestamp", [`t=abc,v1=${signature}`]],
            ["negative timestamp", [`t=-${now},v1=${signature}`]],
            ["fractional timestamp", [`t=${now}.0,v1=${signature}`]],
            ["exponent timestamp", [`t=1e9,v1=${signature}`]],
            ["20-digit timestamp", [`t=${"9".repeat(20)},v1=${signature}`]],
            ["far future, signed", [sign(fresh, secret, now + 10_000_000)]],
            ["just over the tolerance ahead, signed", [sign(fresh, secret, now + 310)]],
            ["another timestamp than signed", [`t=${now - 1},v1=${signature}`]],
            ["signature of another body", [`t=${now},v1=${otherSignature}`]],
            ["signature under another secret", [sign(fresh, `${secret}x`, now)]],
            ["signature under the API key", [sign(fresh, secrets.apiKey, now)]],
            ["replay past the tolerance", [sign(fresh, secret, now - 310)]],
            ["replay a day later", [sign(fresh, secret, now - 86_400)]]
          ]
          for (const [name, headers] of rejected) {
            const reply = yield* Effect.promise(() => postNotification(url, fresh, headers))
            check(tally, reply, [400], name)
            expect(JSON.parse(reply.text).error.type, name).toBe("bad_signature")
          }
          tally.cases += rejected.length

          // Variants that keep a valid signature are authentic, so they are accepted. The body is a
          // notification the log already has, so acceptance appends nothing.
          const stored = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.find(deliveries[0]!.eventId))
          const body = Option.getOrThrow(stored).rawBody
          const valid = /v1=([0-9a-f]{64})/.exec(sign(body, secret, now))![1]!
          const accepted: ReadonlyArray<[string, string]> = [
            ["as signed", `t=${now},v1=${valid}`],
            ["spaces around the parts", ` t=${now} , v1=${valid} `],
            ["uppercase hex", `t=${now},v1=${valid.toUpperCase()}`],
            ["duplicated v1", `t=${now},v1=${valid},v1=${valid}`],
            ["a bad v1 before the good one", `t=${now},v1=${"0".repeat(64)},v1=${valid}`],
            ["an unknown scheme besides v1", `t=${now},v0=abc,v1=${valid},x=1`],
            ["within the tolerance", sign(body, secret, now - 290)]
          ]
          for (const [name, header] of accepted) {
            const reply = yield* Effect.promise(() => postNotification(url, body, header))
            check(tally, reply, [200], name)
            expect(JSON.parse(reply.text), name).toEqual({ received: true, duplicate: true })
          }
          tally.cases += accepted.length

          // Node reads header bytes as Latin-1; invalid UTF-8 in the header is rejected like any other text.
          const raw = yield* Effect.promise(() =>
            exchange(url, [
              `POST /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${
                Buffer.byteLength(fresh)
              }\r\nStripe-Signature: t=`,
              Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
              `,v1=${signature}\r\n\r\n${fresh}`
            ])
          )
          check(tally, { status: statusOf(raw), headers: {}, text: bodyOf(raw) }, [400], "invalid UTF-8 in the header")
          tally.cases++
        })))

    it.effect("webhook answers oversized and malformed requests", () =>
      scenario("webhook sizes", ({ check, runs, secrets, url }, tally) =>
        Effect.gen(function*() {
          const secret = secrets.webhookSecret
          const head = (headers: string) =>
            `POST /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n${headers}\r\n`
          const event = JSON.stringify(thinEvent(newEventId(), runs[1]!.id))
          // Valid thin events padded with trailing spaces, signed: only the size is wrong.
          const padded = (size: number) => `${event}${" ".repeat(size - Buffer.byteLength(event))}`
          const overLimit = padded(1024 * 1024 + 1)
          const atLimit = padded(1024 * 1024)
          const chunk = "a".repeat(64 * 1024)
          const chunked = Array.from({ length: 40 }, () => `${(64 * 1024).toString(16)}\r\n${chunk}\r\n`)
          const cases: ReadonlyArray<[string, ReadonlyArray<string | Uint8Array>, number]> = [
            [
              "1 MiB + 1 byte with Content-Length, signed",
              [
                head(`Content-Length: ${overLimit.length}\r\nStripe-Signature: ${sign(overLimit, secret)}\r\n`),
                overLimit
              ],
              413
            ],
            [
              "2.5 MiB chunked without Content-Length",
              [head("Transfer-Encoding: chunked\r\n"), ...chunked, "0\r\n\r\n"],
              413
            ],
            ["Content-Length of 100 GB with a short body", [head("Content-Length: 100000000000\r\n"), "{}"], 413],
            ["HTTP/1.0 without Content-Length", [
              "POST /webhooks/stripe HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
              "{}".repeat(100)
            ], 400],
            ["Content-Length and chunked together", [
              head("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n"),
              "2\r\n{}\r\n0\r\n\r\n"
            ], 400],
            ["negative Content-Length", [head("Content-Length: -2\r\n"), "{}"], 400],
            ["a 20 KiB header", [head(`Content-Length: 2\r\nX-Padding: ${"a".repeat(20 * 1024)}\r\n`), "{}"], 431],
            ["3,000 headers", [
              head(`Content-Length: 2\r\n${Array.from({ length: 3000 }, (_, n) => `X-H${n}: 1\r\n`).join("")}`),
              "{}"
            ], 431],
            ["a 15 KiB Stripe-Signature", [
              head(`Content-Length: 2\r\nStripe-Signature: ${"v1=00,".repeat(2500)}t=1\r\n`),
              "{}"
            ], 400],
            [
              "an unknown method",
              ["BREW /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"],
              400
            ],
            ["not HTTP", ["\u0000\u0001\u0002 garbage\r\n\r\n"], 400]
          ]
          for (const [name, chunks, expected] of cases) {
            const raw = yield* Effect.promise(() => exchange(url, chunks))
            check(tally, { status: statusOf(raw), headers: {}, text: bodyOf(raw) }, [expected], name)
            if (expected === 413) expect(JSON.parse(bodyOf(raw)).error.type, name).toBe("body_too_large")
          }
          tally.cases += cases.length

          // Exactly 1 MiB is within the limit: the signed body is read and decoded, and its padding
          // after the JSON is fine, so this one counts as a real notification.
          const atLimitReply = yield* Effect.promise(() =>
            postNotification(url, atLimit, sign(atLimit, secret, Math.floor(Date.now() / 1000) - 400))
          )
          check(tally, atLimitReply, [400], "exactly 1 MiB, signed too long ago")
          expect(JSON.parse(atLimitReply.text).error.type).toBe("bad_signature")
          tally.cases++
        })))

    it.effect("audit API rejects a missing or wrong token", () =>
      scenario("audit tokens", ({ check, runs, secrets, url }, tally) =>
        Effect.gen(function*() {
          const token = secrets.auditToken
          const flipped = `${token.slice(0, -1)}${token.endsWith("a") ? "b" : "a"}`
          const wrong: ReadonlyArray<[string, ReadonlyArray<string> | undefined]> = [
            ["no header", undefined],
            ["empty", [""]],
            ["scheme only", ["Bearer"]],
            ["scheme and space", ["Bearer "]],
            ["Basic scheme", [`Basic ${token}`]],
            ["Basic credentials", [`Basic ${Buffer.from(`user:${token}`).toString("base64")}`]],
            ["Token scheme", [`Token ${token}`]],
            ["no scheme", [token]],
            ["one character short", [`Bearer ${token.slice(0, -1)}`]],
            ["one character long", [`Bearer ${token}x`]],
            ["same length, last character changed", [`Bearer ${flipped}`]],
            ["other case", [`Bearer ${token.toLowerCase()}`]],
            ["two tokens", [`Bearer ${token} ${token}`]],
            ["token as a prefix", [`Bearer ${token}${token}`]],
            ["wrong token first of two headers", [`Bearer ${flipped}`, `Bearer ${token}`]],
            ["SQL in the token", ["Bearer ' or '1'='1"]]
          ]
          const paths = [
            "/audit/runs",
            `/audit/runs/${runs[0]!.id}`,
            "/audit/totals",
            "/audit/verify",
            "/audit/runs?workflow=x'--"
          ]
          for (const [name, headers] of wrong) {
            for (const path of paths) {
              const reply = yield* Effect.promise(() =>
                send(url, { path, headers: headers === undefined ? {} : { authorization: headers } })
              )
              check(tally, reply, [401], `${name} on ${path}`)
              expect(reply.headers["www-authenticate"]).toBe("Bearer")
              tally.cases++
            }
          }

          const generated = FastCheck.asyncProperty(
            FastCheck.oneof(
              headerValue,
              headerValue.map((text) => `Bearer ${text}`),
              FastCheck.constant(`bearer\t${flipped}`)
            ),
            FastCheck.constantFrom(...paths),
            async (header, path) => {
              tally.cases++
              const reply = await send(url, { path, headers: { authorization: header } })
              check(tally, reply, [401], `Authorization ${JSON.stringify(header.slice(0, 80))}`)
            }
          )
          yield* Effect.promise(() => FastCheck.assert(generated, { numRuns: fuzzRuns(100) }))

          for (const header of [`Bearer ${token}`, `bearer ${token}`, `Bearer  ${token} `]) {
            const reply = yield* Effect.promise(() =>
              send(url, { path: `/audit/runs/${runs[0]!.id}`, headers: { authorization: header } })
            )
            check(tally, reply, [200], JSON.stringify(header))
            tally.cases++
          }
        })))

    it.effect("audit API rejects injected parameters and ids", () =>
      scenario("audit parameters", ({ check, runs, secrets, url, workflow }, tally) =>
        Effect.gen(function*() {
          const get = (path: string) =>
            Effect.promise(() => send(url, { path, headers: authorized(secrets.auditToken) }))
          const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
          const runIds = (reply: Reply) =>
            JSON.parse(reply.text).items.map((item: { runId: string }) => item.runId).sort()

          expect(runIds(yield* get(`/audit/runs?workflow=${workflow}`))).toEqual(runs.map((run) => run.id).sort())
          // Injected SQL is a value like any other: it matches no workflow.
          for (const injection of ["' or '1'='1", `${workflow}' or '1'='1`, `${workflow}' --`]) {
            const reply = yield* get(`/audit/runs?workflow=${percentEncode(injection)}`)
            check(tally, reply, [200], injection)
            expect(runIds(reply)).toEqual([])
            tally.cases++
          }

          const cases: ReadonlyArray<[string, number]> = [
            [`/audit/runs?workflow=${percentEncode("' or '1'='1")}`, 200],
            [`/audit/runs?workflow=${percentEncode("x'; drop table run_events; --")}`, 200],
            [`/audit/runs?workflow=${percentEncode("\u0000")}`, 400],
            ["/audit/runs?workflow=a%2Fb", 400],
            ["/audit/runs?workflow=..", 400],
            [`/audit/runs?workflow=${"x".repeat(300)}`, 400],
            [`/audit/runs?workflow=${DefaultWorkflows.anyInput}&workflow=x`, 400],
            ["/audit/runs?status=succeeded%27%20or%201%3D1", 400],
            ["/audit/runs?status=%00", 400],
            ["/audit/runs?status=started&status=failed", 400],
            ["/audit/runs?limit=0", 400],
            ["/audit/runs?limit=-1", 400],
            ["/audit/runs?limit=1001", 400],
            ["/audit/runs?limit=1e3", 400],
            ["/audit/runs?limit=99999999999999999999", 400],
            ["/audit/runs?limit=1%20or%201=1", 400],
            ["/audit/runs?limit=1&limit=2", 400],
            ["/audit/runs?from=1", 400],
            ["/audit/runs?from=yesterday", 400],
            ["/audit/runs?from=-271821-04-20T00:00:00Z", 400],
            ["/audit/runs?from=%2B275760-09-13T00:00:00Z", 400],
            ["/audit/runs?from=0000-01-01T00:00:00Z", 400],
            ["/audit/runs?from=2026-02-30", 400],
            ["/audit/runs?from=2026-05-01T10:00:00", 400],
            ["/audit/runs?to=2026-05-01%27%3B%20select%201--", 400],
            ["/audit/runs?from=2026-05-01&to=2026-05-02T00:00:00%2B02:00", 200],
            [`/audit/runs?after=${cursor(["1", "x"])}`, 400],
            [`/audit/runs?after=${cursor(["March 7 2024", "x"])}`, 400],
            [`/audit/runs?after=${cursor(["-271821-04-20T00:00:00.000Z", "x"])}`, 400],
            [`/audit/runs?after=${cursor(["2026-05-01T10:00:05.123Z", "x\u0000"])}`, 400],
            [`/audit/runs?after=${cursor(["2026-05-01T10:00:05.123Z", "x' or '1'='1"])}`, 200],
            ["/audit/runs?after=%00", 400],
            ["/audit/totals?from=-271821-04-20T00:00:00Z", 400],
            ["/audit/totals?to=%00", 400],
            ["/audit/totals?from=2026-05-01&from=2026-05-02", 400],
            ["/audit/verify?expect=%00", 400],
            [`/audit/verify?expect=wra1.${"A".repeat(10_000)}`, 400],
            ["/audit/verify?expect=%7B%22heads%22%3A%5B%5D%7D", 400],
            [`/audit/runs/${percentEncode("' or '1'='1")}`, 404],
            ["/audit/runs/..", 400],
            ["/audit/runs/.", 400],
            ["/audit/runs/%2e%2e", 400],
            ["/audit/runs/a%2F..%2F..", 400],
            ["/audit/runs/%00", 400],
            ["/audit/runs/%ff", 404],
            ["/audit/runs/%", 404],
            [`/audit/runs/${"x".repeat(300)}`, 404],
            ["/audit/../healthz", 404],
            ["/audit/nothing", 404]
          ]
          for (const [path, expected] of cases) {
            const reply = yield* get(path)
            check(tally, reply, [expected], path)
            if (expected === 400) expect(JSON.parse(reply.text).error.type, path).toBe("invalid_request")
          }
          tally.cases += cases.length

          // Generated queries and ids: 400 for a bad value, 200 or 404 otherwise, never a 5xx.
          const queries = FastCheck.asyncProperty(
            FastCheck.constantFrom("/audit/runs", "/audit/totals", "/audit/verify"),
            auditQuery,
            async (route, query) => {
              tally.cases++
              const reply = await send(url, { path: `${route}?${query}`, headers: authorized(secrets.auditToken) })
              check(tally, reply, [200, 400], `${route}?${query.slice(0, 200)}`)
            }
          )
          yield* Effect.promise(() => FastCheck.assert(queries, { numRuns: fuzzRuns(150) }))
          const ids = FastCheck.asyncProperty(
            FastCheck.oneof(
              // "/audit/runs/" is the search route, so an empty id is left out.
              queryValue.map(percentEncode).filter((id) => id !== ""),
              FastCheck.constantFrom("..", ".", "%", "%zz", "%c3%28")
            ),
            async (id) => {
              tally.cases++
              const reply = await send(url, { path: `/audit/runs/${id}`, headers: authorized(secrets.auditToken) })
              check(tally, reply, [400, 404], `/audit/runs/${id.slice(0, 200)}`)
            }
          )
          yield* Effect.promise(() => FastCheck.assert(ids, { numRuns: fuzzRuns(100) }))

          expect(runIds(yield* get(`/audit/runs?workflow=${workflow}`))).toEqual(runs.map((run) => run.id).sort())
        })))

    it.effect("healthz and metrics ignore hostile requests", () =>
      scenario("healthz and metrics", ({ check, url }, tally) =>
        Effect.gen(function*() {
          const requests = FastCheck.asyncProperty(
            FastCheck.constantFrom("/healthz", "/metrics"),
            FastCheck.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
            auditQuery,
            FastCheck.record({ "content-type": headerValue, "x-forwarded-for": headerValue, cookie: headerValue }),
            FastCheck.oneof(FastCheck.constant(undefined), FastCheck.uint8Array({ maxLength: 256 })),
            async (path, method, query, headers, body) => {
              tally.cases++
              const reply = await send(url, {
                method,
                path: `${path}?${query}`,
                headers,
                ...(body === undefined || method === "GET" ? {} : { body })
              })
              check(tally, reply, method === "GET" ? [200] : [404], `${method} ${path}?${query.slice(0, 100)}`)
            }
          )
          yield* Effect.promise(() => FastCheck.assert(requests, { numRuns: fuzzRuns(80) }))
          const metrics = yield* Effect.promise(() => send(url, { path: "/metrics" }))
          expect(metrics.text).toContain("workflow_runs_notifications_received_total")
        })))

    it.effect("answers a defect with a logged JSON 500", () => {
      const logs: Array<string> = []
      return Effect.gen(function*() {
        const simulator = yield* Simulator.make({})
        // Stripe's health check dies instead of failing, as a bug in a dependency would.
        const dyingList = Layer.effect(
          Workflows.Workflows,
          Effect.map(Workflows.Workflows, (service) => ({
            ...service,
            listWorkflows: () => Stream.dieMessage("listing exploded")
          }))
        ).pipe(Layer.provide(workflowsFor(simulator)))
        const context = yield* Layer.build(
          Projector.layer({
            host: "127.0.0.1",
            port: 0,
            webhook: { secrets: [Redacted.make("whsec_defect")] },
            auditToken: Redacted.make("defect-audit-token")
          }).pipe(Layer.provide(dyingList))
        )
        const url = yield* HttpApp.baseUrl.pipe(
          Effect.provideService(HttpServer.HttpServer, Context.get(context, HttpServer.HttpServer))
        )

        const health = yield* Effect.promise(() => send(url, { path: "/healthz" }))
        const metrics = yield* Effect.promise(() => send(url, { path: "/metrics" }))
        const unknown = yield* Effect.promise(() => send(url, { path: "/nothing" }))

        expect(health.status).toBe(500)
        expect(JSON.parse(health.text).error.type).toBe("internal_error")
        expect(exposures(health.text, [])).toEqual([])
        expect(logs.some((line) => line.includes("A request failed unexpectedly") && line.includes("listing exploded")))
          .toBe(true)
        expect(metrics.status).toBe(200)
        expect(unknown.status).toBe(404)
      }).pipe(Effect.scoped, Effect.provide(captureLogs(logs)))
    })
  })
})
