import { assert, describe, it } from "@effect/vitest"
import type { Ids } from "@workflow-runs/core"
import { Workflows } from "@workflow-runs/stripe"
import * as Cause from "effect/Cause"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { libraryVersion } from "../src/internal/version.js"
import { invokeRequests, withServer } from "./utils/live.js"
import * as StripeServer from "./utils/StripeServer.js"

// A port on 127.0.0.1 that was free a moment ago: bound to a fresh server, then closed.
const closedPort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

describe("live layer", () => {
  it.scopedLive("sends the Stripe headers", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, { a: 1 })
        yield* Workflows.retrieveWorkflow(workflow.id as Ids.WorkflowId)
        const [invoke, retrieve] = server.requests()
        assert.strictEqual(invoke?.headers.authorization, `Bearer ${server.apiKey}`)
        assert.strictEqual(invoke?.headers["stripe-version"], "2026-04-22.preview")
        assert.strictEqual(invoke?.headers["content-type"], "application/json")
        assert.strictEqual(invoke?.headers["user-agent"]?.startsWith(`workflow-runs-stripe/${libraryVersion}`), true)
        assert.match(String(invoke?.headers["idempotency-key"]), /^[0-9a-f-]{36}$/)
        assert.strictEqual(invoke?.headers["stripe-context"], undefined)
        assert.strictEqual(invoke?.body, `{"input_parameters":{"a":1}}`)
        assert.strictEqual(invoke?.headers.traceparent, undefined)
        assert.strictEqual(invoke?.headers.b3, undefined)
        assert.strictEqual(retrieve?.headers["idempotency-key"], undefined)
        assert.strictEqual(retrieve?.headers.authorization, `Bearer ${server.apiKey}`)
      })
    ))

  it.scopedLive("make sends through the HttpClient in the context", () =>
    Effect.gen(function*() {
      const server = yield* StripeServer.start()
      const workflow = server.defineWorkflow()
      const layer = Layer.effect(
        Workflows.Workflows,
        Workflows.make({ apiKey: Redacted.make(server.apiKey), apiBase: server.url })
      ).pipe(Layer.provide(Workflows.keepAliveHttpClient), Layer.orDie)
      const run = yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, { a: 1 }).pipe(Effect.provide(layer))
      const [invoke] = server.requests()
      assert.strictEqual(run.workflow, workflow.id)
      assert.strictEqual(invoke?.headers.authorization, `Bearer ${server.apiKey}`)
      assert.strictEqual(invoke?.headers["stripe-version"], "2026-04-22.preview")
      assert.strictEqual(invoke?.body, `{"input_parameters":{"a":1}}`)
      assert.strictEqual(invoke?.headers.traceparent, undefined)
    }))

  // The test server, like the simulator, rejects a version without `.preview` with a 400.
  it.scopedLive("sends an apiVersion without .preview as given", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        const error = yield* Effect.flip(Workflows.retrieveWorkflow(workflow.id as Ids.WorkflowId))
        assert.strictEqual(server.requests()[0]?.headers["stripe-version"], "2027-01-28.basil")
        assert.strictEqual(error._tag, "StripeApiError")
      }), { apiVersion: "2027-01-28.basil" }))

  it.scopedLive("sends the Stripe context of the layer or the call", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        yield* Workflows.retrieveWorkflow(workflow.id as Ids.WorkflowId)
        yield* Workflows.retrieveWorkflow(workflow.id as Ids.WorkflowId, { stripeContext: "acct_2/acct_3" })
        const [first, second] = server.requests()
        assert.strictEqual(first?.headers["stripe-context"], "acct_1")
        assert.strictEqual(second?.headers["stripe-context"], "acct_2/acct_3")
      }), { stripeContext: "acct_1" }))

  it.scopedLive("a new invoke gets a new idempotency key", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {})
        yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {})
        const keys = invokeRequests(server).map((request) => request.headers["idempotency-key"])
        assert.strictEqual(new Set(keys).size, 2)
      })
    ))

  it.scopedLive("encodes ids in paths", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const id = "wf test?x=1#2%" as Ids.WorkflowId
        server.defineWorkflow({ id })
        const run = yield* Workflows.invokeWorkflow(id, {})
        assert.strictEqual(run.workflow, id)
        const workflow = yield* Workflows.retrieveWorkflow(id)
        assert.strictEqual(workflow.id, id)
        assert.strictEqual(server.requests()[0]?.url, "/v2/extend/workflows/wf%20test%3Fx%3D1%232%25/invoke")
      })
    ))

  it.scopedLive("encodes list filters as indexed keys", () =>
    withServer((server) =>
      Effect.gen(function*() {
        yield* Stream.runDrain(
          Workflows.listWorkflowRuns({
            status: ["started", "failed"],
            workflow: ["wf_1" as Ids.WorkflowId, "wf 2" as Ids.WorkflowId],
            limit: 5
          })
        )
        const url = new URL(server.requests()[0]?.url ?? "", server.url)
        assert.strictEqual(url.pathname, "/v2/extend/workflow_runs")
        assert.deepStrictEqual([...url.searchParams], [
          ["status[0]", "started"],
          ["status[1]", "failed"],
          ["workflow[0]", "wf_1"],
          ["workflow[1]", "wf 2"],
          ["limit", "5"]
        ])
      })
    ))

  it.scopedLive("sequential calls share one connection", () =>
    withServer((server) =>
      Effect.gen(function*() {
        const workflow = server.defineWorkflow()
        yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {})
        yield* Workflows.retrieveWorkflow(workflow.id as Ids.WorkflowId)
        yield* Workflows.invokeWorkflow(workflow.id as Ids.WorkflowId, {})
        assert.strictEqual(server.requests().length, 3)
        assert.strictEqual(server.connections(), 1)
      })
    ))

  it.scopedLive("a wrong key is an authentication error without the key", () =>
    Effect.gen(function*() {
      const server = yield* StripeServer.start()
      const error = yield* Workflows.retrieveWorkflow("wf_1" as Ids.WorkflowId).pipe(
        Effect.flip,
        Effect.provide(Workflows.layer({ apiKey: Redacted.make("sk_test_wrong_secret"), apiBase: server.url }))
      )
      assert.strictEqual(error._tag, "StripeAuthenticationError")
      assert.notInclude(String(error), "sk_test_wrong_secret")
      assert.notInclude(JSON.stringify(error), "sk_test_wrong_secret")
    }))

  it.scopedLive("follows a page URL only on the API origin", () =>
    withServer((server) =>
      Effect.gen(function*() {
        server.script({
          _tag: "Respond",
          status: 200,
          body: {
            data: [],
            next_page_url: "https://elsewhere.example/v2/extend/workflows?page=2",
            previous_page_url: null
          }
        })
        const error = yield* Effect.flip(Stream.runDrain(Workflows.listWorkflows()))
        assert.strictEqual(error._tag, "StripeDecodeError")
        if (error._tag === "StripeDecodeError") assert.strictEqual(error.path, "next_page_url")
        assert.strictEqual(server.requests().length, 1)
      })
    ))

  it.effect("rejects invalid options by name", () =>
    Effect.gen(function*() {
      const build = (options: Partial<Workflows.Options>) =>
        Effect.exit(Layer.build(Workflows.layer({ apiKey: Redacted.make("sk_test_1"), ...options })))
      const cases: ReadonlyArray<[Partial<Workflows.Options>, string]> = [
        [{ apiBase: "ftp://example" }, "apiBase"],
        [{ apiBase: "not a url" }, "apiBase"],
        [{ maxRetries: -1 }, "maxRetries"],
        [{ maxRetries: 1.5 }, "maxRetries"],
        [{ timeout: "soon" as never }, "timeout"],
        [{ timeout: "0 seconds" }, "timeout"],
        [{ apiKey: Redacted.make("") }, "apiKey"],
        [{ apiKey: Redacted.make("  ") }, "apiKey"],
        [{ apiKey: Redacted.make("pk_test_publishable") }, "publishable key (pk_...)"]
      ]
      for (const [options, name] of cases) {
        const exit = yield* Effect.scoped(build(options))
        assert.isTrue(Exit.isFailure(exit))
        assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), name)
      }
    }))

  it.live("keeps the socket error of a refused connection", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const apiKey = "sk_test_refused_connection"
      const error = yield* Workflows.retrieveWorkflow("wf_test_1" as Ids.WorkflowId).pipe(
        Effect.flip,
        Effect.provide(Workflows.layer({
          apiKey: Redacted.make(apiKey),
          apiBase: `http://127.0.0.1:${port}`,
          maxRetries: 2,
          retryBaseDelay: "1 millis",
          retryMaxDelay: "1 millis"
        }))
      )

      assert.strictEqual(error._tag, "StripeConnectionError")
      assert.strictEqual(error.message, `connect ECONNREFUSED 127.0.0.1:${port} after 3 attempts`)
      const cause = error._tag === "StripeConnectionError" ? error.cause : undefined
      assert.instanceOf(cause, Error)
      assert.strictEqual((cause as NodeJS.ErrnoException).code, "ECONNREFUSED")
      assert.notInclude(Cause.pretty(Cause.fail(error)), apiKey)
    }))

  it.scopedLive("reads its settings from the environment", () =>
    Effect.gen(function*() {
      const server = yield* StripeServer.start()
      const workflow = server.defineWorkflow()
      const provider = ConfigProvider.fromMap(
        new Map([
          ["STRIPE_API_KEY", server.apiKey],
          ["STRIPE_API_BASE", server.url],
          ["STRIPE_CONTEXT", "acct_env"],
          ["STRIPE_MAX_RETRIES", "0"],
          ["STRIPE_TIMEOUT", "5 seconds"]
        ])
      )
      server.script({ _tag: "Respond", status: 500, body: "" })
      const error = yield* Workflows.retrieveWorkflow(workflow.id as Ids.WorkflowId).pipe(
        Effect.flip,
        Effect.provide(Workflows.layerConfig()),
        Effect.withConfigProvider(provider)
      )
      assert.strictEqual(error._tag, "StripeApiError")
      assert.strictEqual(server.requests().length, 1)
      assert.strictEqual(server.requests()[0]?.headers["stripe-context"], "acct_env")
      assert.strictEqual(server.requests()[0]?.headers["stripe-version"], "2026-04-22.preview")
    }))

  it.effect("names a missing or invalid variable", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<[ReadonlyArray<[string, string]>, string]> = [
        [[], "STRIPE_API_KEY"],
        [[["STRIPE_API_KEY", ""]], "STRIPE_API_KEY is not set"],
        [[["STRIPE_API_KEY", "sk_test_1"], ["STRIPE_MAX_RETRIES", "-1"]], "STRIPE_MAX_RETRIES"],
        [[["STRIPE_API_KEY", "sk_test_1"], ["STRIPE_MAX_RETRIES", "two"]], "STRIPE_MAX_RETRIES"],
        [[["STRIPE_API_KEY", "sk_test_1"], ["STRIPE_TIMEOUT", "soon"]], "STRIPE_TIMEOUT"],
        [[["STRIPE_API_KEY", "sk_test_1"], ["STRIPE_TIMEOUT", "0 seconds"]], "STRIPE_TIMEOUT"],
        [[["STRIPE_API_KEY", "sk_test_1"], ["STRIPE_API_BASE", "not a url"]], "STRIPE_API_BASE"]
      ]
      for (const [variables, name] of cases) {
        const exit = yield* Layer.build(Workflows.layerConfig()).pipe(
          Effect.scoped,
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(variables))),
          Effect.exit
        )
        assert.isTrue(Exit.isFailure(exit))
        const message = String(Exit.isFailure(exit) ? exit.cause : "")
        assert.include(message, name)
        assert.notInclude(message, "sk_test_1")
      }
    }))

  it.effect("says what to set for a missing or invalid variable", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<[ReadonlyArray<[string, string]>, ConfigError.ConfigError]> = [
        [
          [],
          ConfigError.MissingData(
            ["STRIPE_API_KEY"],
            "STRIPE_API_KEY is not set: set it to your secret key (sk_test_... or sk_live_...)"
          )
        ],
        [
          [["STRIPE_API_KEY", "sk_test_1"], ["STRIPE_TIMEOUT", "30"]],
          ConfigError.InvalidData(
            ["STRIPE_TIMEOUT"],
            "Expected a duration with a unit, such as \"30 seconds\" or \"500 millis\", got \"30\""
          )
        ],
        [
          [["STRIPE_API_KEY", "sk_test_1"], ["STRIPE_TIMEOUT", "0 seconds"]],
          ConfigError.InvalidData(
            ["STRIPE_TIMEOUT"],
            "Expected a positive duration with a unit, such as \"30 seconds\", got \"0 seconds\""
          )
        ],
        [
          [["STRIPE_API_KEY", "sk_test_1"], ["STRIPE_MAX_RETRIES", "-3"]],
          ConfigError.InvalidData(
            ["STRIPE_MAX_RETRIES"],
            "Expected a non-negative integer number of retries, such as \"2\", got \"-3\""
          )
        ],
        [
          [["STRIPE_API_KEY", "pk_test_publishable"]],
          ConfigError.InvalidData(
            ["STRIPE_API_KEY"],
            "Expected a secret key (sk_test_... or sk_live_...), got a publishable key (pk_...), which the API rejects"
          )
        ]
      ]
      for (const [variables, expected] of cases) {
        const error = yield* Layer.build(Workflows.layerConfig()).pipe(
          Effect.scoped,
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(variables))),
          Effect.flip
        )
        assert.strictEqual(String(error), String(expected))
        assert.isTrue(ConfigError.isConfigError(error))
      }
    }))

  it("keeps the User-Agent version equal to the package version", () => {
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))
    assert.strictEqual(libraryVersion, manifest.version)
  })
})
