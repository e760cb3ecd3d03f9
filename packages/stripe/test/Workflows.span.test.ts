import { assert, describe, it } from "@effect/vitest"
import type { Ids } from "@workflow-runs/core"
import { RequestObserver, Workflows } from "@workflow-runs/stripe"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Tracer from "effect/Tracer"
import { invokeRequests } from "./utils/live.js"
import * as StripeServer from "./utils/StripeServer.js"

interface RecordedSpan extends Tracer.Span {
  readonly events: Array<string>
}

// A tracer that keeps every span it starts, with its attributes and event names.
const recordingTracer = () => {
  const spans: Array<RecordedSpan> = []
  let nextId = 0
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      const events: Array<string> = []
      const span: RecordedSpan & { status: Tracer.SpanStatus } = {
        _tag: "Span",
        name,
        spanId: `span${nextId++}`,
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links,
        sampled: true,
        kind,
        events,
        end: (endTime, exit) => {
          span.status = { _tag: "Ended", startTime, endTime, exit }
        },
        attribute: (key, value) => {
          attributes.set(key, value)
        },
        event: (eventName) => {
          events.push(eventName)
        },
        addLinks: () => {}
      }
      spans.push(span)
      return span
    },
    context: (f) => f()
  })
  return { spans, tracer }
}

const liveLayer = (server: StripeServer.StripeServer) =>
  Workflows.layer({ apiKey: Redacted.make(server.apiKey), apiBase: server.url, retryBaseDelay: "1 millis" })

const invokeSpans = (spans: ReadonlyArray<RecordedSpan>) =>
  spans.filter((span) => span.name === "Workflows.invokeWorkflow")

const serverError: StripeServer.Fault = {
  _tag: "Respond",
  status: 500,
  headers: {},
  body: { error: { type: "api_error", code: "internal_error", message: "Scripted internal_error" } }
}

describe("invoke span", () => {
  it.scopedLive("records one span per invoke with its ids", () =>
    Effect.gen(function*() {
      const server = yield* StripeServer.start()
      const workflow = server.defineWorkflow()
      const { spans, tracer } = recordingTracer()

      yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, { a: 1 }).pipe(
        Effect.withSpan("caller"),
        Effect.provide(Layer.orDie(liveLayer(server))),
        Effect.withTracer(tracer)
      )

      const [span, ...others] = invokeSpans(spans)
      assert.strictEqual(others.length, 0)
      assert.strictEqual(span?.attributes.get("workflow_id"), workflow.id)
      assert.strictEqual(span?.attributes.get("idempotency_key"), invokeRequests(server)[0]?.headers["idempotency-key"])
      const parent = Option.getOrUndefined(span?.parent ?? Option.none())
      assert.strictEqual(parent?._tag === "Span" ? parent.name : undefined, "caller")
      assert.isTrue(span?.status._tag === "Ended" && Exit.isSuccess(span.status.exit))
    }))

  it.scopedLive("records a failed invoke as a failure", () =>
    Effect.gen(function*() {
      const server = yield* StripeServer.start()
      const { spans, tracer } = recordingTracer()

      const exit = yield* Workflows.invokeWorkflow("wf_missing" as Ids.WorkflowId, {}).pipe(
        Effect.provide(Layer.orDie(liveLayer(server))),
        Effect.withTracer(tracer),
        Effect.exit
      )

      assert.isTrue(Exit.isFailure(exit))
      const [span] = invokeSpans(spans)
      assert.isTrue(span?.status._tag === "Ended" && Exit.isFailure(span.status.exit))
    }))

  it.scopedLive("is the current span of the observer's callbacks", () =>
    Effect.gen(function*() {
      const server = yield* StripeServer.start()
      const workflow = server.defineWorkflow()
      const { spans, tracer } = recordingTracer()
      const seen: Array<string> = []
      const record = (callback: string) =>
        Effect.map(Effect.option(Effect.currentSpan), (span) => {
          seen.push(`${callback} ${Option.match(span, { onNone: () => "none", onSome: (span) => span.name })}`)
        })
      const observer = RequestObserver.layer({
        onAttempt: () => record("attempt"),
        onRetry: () => record("retry"),
        onCall: () => record("call")
      })

      server.script(serverError)
      yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {}).pipe(
        Effect.provide(Layer.orDie(liveLayer(server).pipe(Layer.provide(observer)))),
        Effect.withTracer(tracer)
      )

      assert.strictEqual(invokeSpans(spans).length, 1)
      assert.deepStrictEqual(seen, [
        "attempt Workflows.invokeWorkflow",
        "retry Workflows.invokeWorkflow",
        "attempt Workflows.invokeWorkflow",
        "call Workflows.invokeWorkflow"
      ])
    }))

  it.scopedLive("receives the debug log of a failed attempt", () =>
    Effect.gen(function*() {
      const server = yield* StripeServer.start()
      const workflow = server.defineWorkflow()
      const { spans, tracer } = recordingTracer()

      server.script(serverError)
      yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {}).pipe(
        Effect.provide(Layer.orDie(liveLayer(server))),
        Logger.withMinimumLogLevel(LogLevel.Debug),
        Effect.provide(Logger.remove(Logger.defaultLogger)),
        Effect.withTracer(tracer)
      )

      const [span] = invokeSpans(spans)
      assert.deepStrictEqual(span?.events, ["Stripe request attempt failed"])
    }))
})
