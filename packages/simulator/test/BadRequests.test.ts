import { describe, expect, it } from "@effect/vitest"
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import { request as httpRequest } from "node:http"
import { call, raw, type RawResponse, startSimulator } from "./support.js"

const invokePath = `/v2/extend/workflows/${DefaultWorkflows.onboardCustomer}/invoke`

const expectError = (response: RawResponse, status: number, type: string, code: string) => {
  expect(response.status).toBe(status)
  expect(response.headers["request-id"]).toMatch(/^req_/)
  expect(response.headers["content-type"]).toBe("application/json")
  expect(response.json.error).toMatchObject({ type, code, message: expect.any(String) })
}

describe("bad requests", () => {
  it.scopedLive("rejects malformed JSON", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const response = yield* raw(simulator, invokePath, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{\"input_parameters\": {"
      })

      expectError(response, 400, "invalid_request_error", "invalid_json")
    }))

  it.scopedLive("rejects a deeply nested body and keeps serving", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const anyInput = `/v2/extend/workflows/${DefaultWorkflows.anyInput}/invoke`
      const deepObject = `${"{\"a\":".repeat(100_000)}1${"}".repeat(100_000)}`
      const deepArray = `${"[".repeat(100_000)}${"]".repeat(100_000)}`

      for (const body of [`{"input_parameters":${deepObject}}`, `{"input_parameters":{"x":${deepArray}}}`, deepArray]) {
        const response = yield* raw(simulator, anyInput, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body
        })
        expectError(response, 400, "invalid_request_error", "request_body_too_deep")
      }
      const shallow = yield* raw(simulator, anyInput, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input_parameters: { x: [[[[1]]]] } })
      })
      const runs = yield* raw(simulator, "/v2/extend/workflow_runs")

      expect(shallow.status).toBe(200)
      expect(runs.status).toBe(200)
    }))

  it.scopedLive("rejects a body that is not UTF-8", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const response = yield* raw(simulator, `/v2/extend/workflows/${DefaultWorkflows.anyInput}/invoke`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: Buffer.concat([
          Buffer.from("{\"input_parameters\":{\"name\":\""),
          Buffer.from([0xc3, 0x28]),
          Buffer.from("\"}}")
        ])
      })

      expectError(response, 400, "invalid_request_error", "invalid_json")
      expect(response.json.error.message).toContain("not valid UTF-8")
    }))

  it.scopedLive("rejects a form-encoded body", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const response = yield* raw(simulator, invokePath, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "input_parameters[amount]=1"
      })

      expectError(response, 415, "invalid_request_error", "invalid_content_type")
    }))

  it.scopedLive("rejects a body over 1 MiB", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const response = yield* raw(simulator, invokePath, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input_parameters: { blob: "x".repeat(1024 * 1024) } })
      })
      const after = yield* raw(simulator, "/v2/extend/workflows")

      expectError(response, 413, "invalid_request_error", "request_body_too_large")
      expect(after.status).toBe(200)
    }))

  it.scopedLive("rejects a chunked body over 1 MiB", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const chunk = "x".repeat(64 * 1024)

      const response = yield* call(() =>
        new Promise<{ readonly status: number; readonly body: string }>((resolve, reject) => {
          const request = httpRequest(`${simulator.url}${invokePath}`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${simulator.apiKey}`,
              "stripe-version": Simulator.apiVersion,
              "content-type": "application/json"
            }
          }, (incoming) => {
            let body = ""
            incoming.on("data", (data: Buffer) => (body += data.toString("utf8")))
            incoming.on("end", () => resolve({ status: incoming.statusCode ?? 0, body }))
          })
          request.on("error", reject)
          request.write("{\"input_parameters\": {\"blob\": \"")
          for (let index = 0; index < 20; index++) request.write(chunk)
          request.end("\"}}")
        })
      )

      expect(response.status).toBe(413)
      expect(JSON.parse(response.body).error.code).toBe("request_body_too_large")
    }))

  it.scopedLive("rejects an unknown path and a wrong method", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const unknown = yield* raw(simulator, "/v2/extend/nothing")
      const wrongMethod = yield* raw(simulator, "/v2/extend/workflows", { method: "DELETE" })
      const root = yield* raw(simulator, "/")
      const v1 = yield* raw(simulator, "/v1/customers", { headers: { "stripe-version": "" } })

      expectError(unknown, 404, "invalid_request_error", "not_found")
      expectError(wrongMethod, 404, "invalid_request_error", "not_found")
      expectError(root, 404, "invalid_request_error", "not_found")
      expectError(v1, 404, "invalid_request_error", "not_found")
    }))

  it.scopedLive("answers ids with odd characters with not_found", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      for (
        const id of ["wf%2Fslash", "wf%00nul", "%E0%A4%A", "wf_%F0%9F%98%80", "x".repeat(300), "wf'; DROP TABLE"]
      ) {
        const response = yield* raw(simulator, `/v2/extend/workflows/${id}`)
        expectError(response, 404, "invalid_request_error", "not_found")
      }
      const runs = yield* raw(simulator, "/v2/extend/workflow_runs/..%2F..%2Fetc")
      const events = yield* raw(simulator, "/v2/core/events/evt%0A1")

      expectError(runs, 404, "invalid_request_error", "not_found")
      expectError(events, 404, "invalid_request_error", "not_found")
    }))

  it.scopedLive("rejects missing and invalid input parameters", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const post = (body: string | undefined) =>
        raw(simulator, invokePath, {
          method: "POST",
          headers: { "content-type": "application/json" },
          ...(body === undefined ? {} : { body })
        })

      const empty = yield* post(undefined)
      const missing = yield* post("{}")
      const notObject = yield* post("{\"input_parameters\": [1]}")
      const wrongTypes = yield* post(JSON.stringify({
        input_parameters: { customer_id: 1, amount: 1.5, notify: "yes", tags: ["a", 2], extra: true }
      }))

      for (const response of [empty, missing, notObject, wrongTypes]) {
        expectError(response, 400, "invalid_request_error", "invalid_workflow_input_parameters")
        expect(response.headers["stripe-should-retry"]).toBe("false")
      }
      expect(wrongTypes.json.error.message).toBe(
        `Invalid input_parameters for workflow ${DefaultWorkflows.onboardCustomer}: ` +
          "\"customer_id\" must be of type string, got integer; \"amount\" must be of type integer, got number; " +
          "\"notify\" must be of type boolean, got string; \"tags[1]\" must be of type string, got integer; " +
          "\"extra\" is not an input of this workflow."
      )
    }))

  it.scopedLive("rejects invoke of workflows that are not invokable", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      for (const workflow of [DefaultWorkflows.paused, DefaultWorkflows.draft, DefaultWorkflows.onCustomerCreated]) {
        const response = yield* raw(simulator, `/v2/extend/workflows/${workflow}/invoke`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{\"input_parameters\": {}}"
        })
        expectError(response, 400, "cannot_proceed", "workflow_not_invokable")
      }
      const unknown = yield* raw(simulator, "/v2/extend/workflows/wf_test_unknown/invoke", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{\"input_parameters\": {}}"
      })

      expectError(unknown, 404, "invalid_request_error", "not_found")
      expect(unknown.json.error.message).toBe(
        "No workflow has the id \"wf_test_unknown\"; check the id against the Dashboard or the workflow list (GET /v2/extend/workflows)."
      )
    }))

  it.scopedLive("requires an API key and a preview version", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const noKey = yield* raw(simulator, "/v2/extend/workflows", { headers: { authorization: "" } })
      const basic = yield* raw(simulator, "/v2/extend/workflows", { headers: { authorization: "Basic abc" } })
      const noVersion = yield* raw(simulator, "/v2/extend/workflows", { headers: { "stripe-version": "" } })
      const oldVersion = yield* raw(simulator, "/v2/extend/workflows", { headers: { "stripe-version": "2024-06-20" } })
      const otherPreview = yield* raw(simulator, "/v2/extend/workflows", {
        headers: { "stripe-version": "2026-08-26.preview" }
      })

      expectError(noKey, 401, "invalid_request_error", "api_key_invalid")
      expectError(basic, 401, "invalid_request_error", "api_key_invalid")
      expectError(noVersion, 400, "invalid_request_error", "missing_api_version")
      expectError(oldVersion, 400, "invalid_request_error", "invalid_api_version")
      expect(otherPreview.status).toBe(200)
      expect(otherPreview.headers["stripe-version"]).toBe("2026-08-26.preview")
    }))

  it.scopedLive("rejects bad list parameters", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const badLimit = yield* raw(simulator, "/v2/extend/workflow_runs?limit=0")
      const textLimit = yield* raw(simulator, "/v2/extend/workflow_runs?limit=ten")
      const badStatus = yield* raw(simulator, "/v2/extend/workflow_runs?status[0]=running")
      const unknown = yield* raw(simulator, "/v2/extend/workflow_runs?colour=red")
      const badPage = yield* raw(simulator, "/v2/extend/workflow_runs?page=not-a-token")

      for (const response of [badLimit, textLimit, badStatus, unknown, badPage]) {
        expectError(response, 400, "invalid_request_error", "invalid_fields")
      }
    }))

  it.scopedLive("answers unknown control requests with an error body", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const unknown = yield* raw(simulator, `${Simulator.controlPrefix}/nothing`)
      const badJson = yield* raw(simulator, `${Simulator.controlPrefix}/workflows`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "[not json"
      })

      expectError(unknown, 404, "invalid_request_error", "not_found")
      expectError(badJson, 400, "invalid_request_error", "invalid_json")
    }))

  it.scopedLive("answers generated requests with Stripe errors and keeps serving", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const configured = Number(process.env.RELIABILITY_FUZZ_RUNS ?? "")
      const numRuns = Number.isInteger(configured) && configured > 0 ? configured : 150
      const segment = FastCheck.oneof(
        FastCheck.constantFrom(
          DefaultWorkflows.anyInput,
          DefaultWorkflows.onboardCustomer,
          "..",
          "%00",
          "%ff",
          "x".repeat(300)
        ),
        FastCheck.string({ maxLength: 40 }).map(encodeURIComponent)
      )
      const path = FastCheck.oneof(
        FastCheck.constantFrom("/v2/extend/workflows", "/v2/extend/workflow_runs", "/v1/charges", "/"),
        segment.map((id) => `/v2/extend/workflows/${id}`),
        segment.map((id) => `/v2/extend/workflows/${id}/invoke`),
        segment.map((id) => `/v2/extend/workflow_runs/${id}`),
        segment.map((id) => `/v2/core/events/${id}`)
      )
      const query = FastCheck.array(
        FastCheck.tuple(
          FastCheck.constantFrom("limit", "status", "status[]", "status[0]", "workflow", "page", "__proto__", "x"),
          FastCheck.oneof(
            FastCheck.string({ maxLength: 20 }),
            FastCheck.constantFrom("-1", "0", "1e999", "%00", "started")
          )
        ),
        { maxLength: 3 }
      ).map((pairs) =>
        pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join("&")
      )
      const body = FastCheck.oneof(
        FastCheck.constant(undefined),
        FastCheck.uint8Array({ maxLength: 200 }),
        FastCheck.json().map((text) => `{"input_parameters":${text}}`),
        FastCheck.integer({ min: 65, max: 20_000 }).map((depth) =>
          `{"input_parameters":{"a":${"[".repeat(depth)}${"]".repeat(depth)}}}`
        )
      )
      const headers = FastCheck.record({
        authorization: FastCheck.oneof(
          FastCheck.constant(`Bearer ${simulator.apiKey}`),
          FastCheck.constant(`Bearer ${simulator.apiKey}x`),
          FastCheck.string({ maxLength: 30 })
        ),
        "stripe-version": FastCheck.oneof(
          FastCheck.constant(Simulator.apiVersion),
          FastCheck.string({ maxLength: 30 })
        ),
        "content-type": FastCheck.constantFrom("application/json", "text/plain", "application/json; charset=utf-8", "")
      })
      const statuses = new Set<number>()

      yield* Effect.promise(() =>
        FastCheck.assert(
          FastCheck.asyncProperty(
            FastCheck.constantFrom("GET", "POST", "DELETE"),
            path,
            query,
            headers,
            body,
            async (method, path, query, headers, body) => {
              const response = await Effect.runPromise(
                raw(simulator, query === "" ? path : `${path}?${query}`, {
                  method,
                  headers,
                  ...(body === undefined || method === "GET" ? {} : { body })
                })
              )
              statuses.add(response.status)
              expect([200, 400, 401, 404, 413, 415]).toContain(response.status)
              expect(response.text).not.toMatch(/\n\s+at\s|node:internal|\.[jt]s:\d+:\d+/)
              if (response.status >= 400) expect(typeof response.json.error.type).toBe("string")
            }
          ),
          { numRuns }
        )
      )
      const after = yield* raw(simulator, "/v2/extend/workflows")

      expect(after.status).toBe(200)
      expect(statuses.size).toBeGreaterThan(2)
    }))
})

describe("list queries", () => {
  it.scopedLive("accepts indexed, bracket and repeated array filters", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()
      const forms = [
        "status[0]=draft&status[1]=archived",
        "status[]=draft&status[]=archived",
        "status=draft&status=archived",
        "status%5B0%5D=draft&status%5B1%5D=archived"
      ]

      const results = yield* Effect.forEach(forms, (query) => raw(simulator, `/v2/extend/workflows?${query}`))

      for (const result of results) {
        expect(result.json.data.map((workflow: { readonly id: string }) => workflow.id)).toEqual([
          DefaultWorkflows.draft,
          DefaultWorkflows.archived
        ])
      }
    }))

  it.scopedLive("tolerates a trailing question mark", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator()

      const response = yield* raw(simulator, `/v2/extend/workflows/${DefaultWorkflows.anyInput}?`)

      expect(response.status).toBe(200)
      expect(response.json.id).toBe(DefaultWorkflows.anyInput)
    }))

  it.scopedLive("pages stably while runs are added", () =>
    Effect.gen(function*() {
      const simulator = yield* startSimulator({ listLimit: { default: 2, max: 3 } })
      const start = () => simulator.startRun({ workflow: DefaultWorkflows.anyInput, trigger: "dashboard" })
      const runs = yield* Effect.forEach([1, 2, 3, 4, 5], start)

      const first = yield* raw(simulator, "/v2/extend/workflow_runs")
      const added = yield* start()
      const second = yield* raw(simulator, first.json.next_page_url)
      const back = yield* raw(simulator, second.json.previous_page_url)
      const capped = yield* raw(simulator, "/v2/extend/workflow_runs?limit=50")

      const ids = (page: RawResponse) => page.json.data.map((run: { readonly id: string }) => run.id)
      expect(ids(first)).toEqual([runs[4]!.id, runs[3]!.id])
      expect(first.json.previous_page_url).toBeNull()
      expect(first.json.next_page_url).toMatch(/^\/v2\/extend\/workflow_runs\?page=/)
      expect(ids(second)).toEqual([runs[2]!.id, runs[1]!.id])
      expect(ids(back)).toEqual([runs[4]!.id, runs[3]!.id])
      expect(back.json.previous_page_url).not.toBeNull()
      expect(ids(capped)).toEqual([added.id, runs[4]!.id, runs[3]!.id])
    }))
})
