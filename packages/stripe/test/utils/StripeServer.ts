/**
 * A small Stripe-like HTTP server for the live layer's tests. It serves the Workflows endpoints
 * and `GET /v2/core/events/{id}` from the in-memory backend and checks the API key and
 * `Stripe-Version`. It sets a `Request-Id` on every response, replays scripted faults, records
 * every request and counts TCP connections. It listens on 127.0.0.1 on a free port.
 */
import type * as WorkflowsTest from "@workflow-runs/stripe/WorkflowsTest"
import * as Effect from "effect/Effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Backend, type ListRequest } from "../../src/internal/backend.js"

/** A scripted response to one request, sent in place of the normal one. */
export type Fault =
  | {
    readonly _tag: "Respond"
    readonly status: number
    readonly headers?: Readonly<Record<string, string>>
    /** A string is sent as it is; an object is sent as JSON. */
    readonly body?: string | object
  }
  /** Sends no response, so the client has to time out. */
  | { readonly _tag: "Hang" }
  /** Closes the connection without a response. */
  | { readonly _tag: "Drop" }
  /** Handles the request normally, then closes the connection instead of responding. */
  | { readonly _tag: "DropAfterCommit" }

/** A request as the server received it. */
export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

/** The running server and its controls. */
export interface StripeServer {
  readonly url: string
  readonly apiKey: string
  readonly backend: Backend
  readonly requests: () => ReadonlyArray<RecordedRequest>
  readonly connections: () => number
  /** Answers the next requests with these faults, one each, before normal handling resumes. */
  readonly script: (...faults: ReadonlyArray<Fault>) => void
  readonly defineWorkflow: (definition?: WorkflowsTest.WorkflowDefinition) => Record<string, unknown>
}

const readBody = (request: Http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

/** Reads an array filter in any of the forms clients send: `k[0]=a`, `k[]=a` or repeated `k=a`. */
const arrayParam = (params: URLSearchParams, key: string): ReadonlyArray<string> | undefined => {
  const values: Array<string> = []
  for (const [name, value] of params) {
    if (name === key || name === `${key}[]` || new RegExp(`^${key}\\[\\d+\\]$`).test(name)) values.push(value)
  }
  return values.length === 0 ? undefined : values
}

const listRequest = (params: URLSearchParams): ListRequest => ({
  status: arrayParam(params, "status"),
  workflow: arrayParam(params, "workflow"),
  limit: params.get("limit") ?? undefined,
  page: params.get("page") ?? undefined
})

/** Starts a server for the scope. */
export const start = (options: { readonly apiKey?: string; readonly pageSize?: number } = {}) =>
  Effect.acquireRelease(
    Effect.promise(async (): Promise<StripeServer & { readonly close: () => Promise<void> }> => {
      const apiKey = options.apiKey ?? "sk_test_scripted_server"
      const backend = new Backend(options.pageSize ?? 10)
      const requests: Array<RecordedRequest> = []
      const faults: Array<Fault> = []
      const hung = new Set<Http.ServerResponse>()
      let connections = 0
      let requestCount = 0

      const server = Http.createServer(async (request, response) => {
        const body = await readBody(request)
        requests.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body })
        requestCount += 1
        response.setHeader("request-id", `req_scripted_${requestCount}`)

        const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
          const text = typeof payload === "string" ? payload : JSON.stringify(payload)
          response.writeHead(status, { "content-type": "application/json", ...headers })
          response.end(text)
        }
        const sendError = (
          error: { status: number; type: string; code: string; message: string; shouldRetry: boolean }
        ) =>
          send(error.status, { error: { type: error.type, code: error.code, message: error.message } }, {
            "stripe-should-retry": String(error.shouldRetry)
          })

        const fault = faults.shift()
        if (fault?._tag === "DropAfterCommit") {
          response.writeHead = (() => {
            request.socket.destroy()
            return response
          }) as typeof response.writeHead
        } else if (fault !== undefined) {
          switch (fault._tag) {
            case "Hang":
              hung.add(response)
              return
            case "Drop":
              request.socket.destroy()
              return
            case "Respond":
              return send(fault.status, fault.body ?? "", { ...fault.headers })
          }
        }

        if (request.headers.authorization !== `Bearer ${apiKey}`) {
          return sendError({
            status: 401,
            type: "invalid_request_error",
            code: "api_key_invalid",
            message: "Invalid API Key provided",
            shouldRetry: false
          })
        }
        const version = request.headers["stripe-version"]
        if (typeof version !== "string" || !version.endsWith(".preview")) {
          return sendError({
            status: 400,
            type: "invalid_request_error",
            code: "missing_api_version",
            message: "Requests to /v2 endpoints must carry a Stripe-Version header ending in .preview",
            shouldRetry: false
          })
        }
        response.setHeader("stripe-version", version)

        const url = new URL(request.url ?? "/", "http://127.0.0.1")
        const segments = url.pathname.split("/").slice(1).map(decodeURIComponent)
        const now = new Date().toISOString()
        const answer = (() => {
          const [v2, group, resource, id, action] = segments
          if (v2 !== "v2") return undefined
          if (request.method === "GET" && group === "core" && resource === "events" && id !== undefined) {
            return backend.retrieveEvent(id)
          }
          if (group !== "extend") return undefined
          if (resource === "workflows") {
            if (request.method === "GET" && id === undefined) {
              return backend.listWorkflows(listRequest(url.searchParams))
            }
            if (request.method === "GET" && id !== undefined && action === undefined) {
              return backend.retrieveWorkflow(id)
            }
            if (request.method === "POST" && id !== undefined && action === "invoke") {
              const key = request.headers["idempotency-key"]
              return backend.invoke(id, body, typeof key === "string" ? key : `server_${requestCount}`, now)
            }
          }
          if (resource === "workflow_runs" && request.method === "GET") {
            return id === undefined ? backend.listRuns(listRequest(url.searchParams)) : backend.retrieveRun(id)
          }
          return undefined
        })()
        if (answer === undefined) {
          return sendError({
            status: 404,
            type: "invalid_request_error",
            code: "not_found",
            message: `Unrecognized request URL (${request.method} ${url.pathname})`,
            shouldRetry: false
          })
        }
        return answer._tag === "Ok" ? send(200, answer.body) : sendError(answer.error)
      })
      server.on("connection", () => {
        connections += 1
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const { port } = server.address() as AddressInfo

      return {
        url: `http://127.0.0.1:${port}`,
        apiKey,
        backend,
        requests: () => [...requests],
        connections: () => connections,
        script: (...added) => {
          faults.push(...added)
        },
        defineWorkflow: (definition = {}) => backend.defineWorkflow(definition, new Date().toISOString()),
        close: () =>
          new Promise<void>((resolve) => {
            for (const response of hung) response.destroy()
            server.closeAllConnections()
            server.close(() => resolve())
          })
      }
    }),
    (server) => Effect.promise(() => server.close())
  )
