import { assert, describe, it } from "@effect/vitest"
import type { Ids } from "@workflow-runs/core"
import { Workflows } from "@workflow-runs/stripe"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"

const runJson = (inputParameters: Record<string, unknown>) =>
  JSON.stringify({
    id: "wfrun_test_1",
    object: "v2.extend.workflow_run",
    created: "2026-04-08T14:33:27.076Z",
    status: "started",
    status_details: { failed: null, started: {}, succeeded: null },
    status_transitions: { failed_at: null, started_at: "2026-04-08T14:33:27.076Z", succeeded_at: null },
    trigger: { manual: { input_parameters: inputParameters }, type: "manual" },
    workflow: "wf_test_1",
    livemode: false
  })

interface Received {
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

// A server on 127.0.0.1 that responds to every request with `body`, sent in two writes split at
// `splitAt` bytes, the second one 20 ms after the first.
const splitServer = (body: Buffer, splitAt: number) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly received: Array<Received>; readonly close: () => void }>(
      (resume) => {
        const received: Array<Received> = []
        const server = createServer((request, response) => {
          const chunks: Array<Buffer> = []
          request.on("data", (chunk: Buffer) => chunks.push(chunk))
          request.on("end", () => {
            received.push({ headers: request.headers, body: Buffer.concat(chunks) })
            response.writeHead(200, { "content-type": "application/json", "content-length": body.length })
            response.write(body.subarray(0, splitAt))
            setTimeout(() => response.end(body.subarray(splitAt)), 20)
          })
        })
        server.listen(0, "127.0.0.1", () => {
          const { port } = server.address() as AddressInfo
          resume(Effect.succeed({
            url: `http://127.0.0.1:${port}`,
            received,
            close: () => {
              server.closeAllConnections()
              server.close()
            }
          }))
        })
      }
    ),
    (server) => Effect.sync(server.close)
  )

describe("node transport", () => {
  it.scopedLive("decodes a character split across two chunks", () =>
    Effect.gen(function*() {
      const body = Buffer.from(runJson({ note: "café ✓" }), "utf8")
      const splitAt = body.indexOf(Buffer.from("é", "utf8")) + 1
      const server = yield* splitServer(body, splitAt)

      const run = yield* Workflows.invokeWorkflow("wf_test_1" as Ids.WorkflowId, { note: "café ✓" }).pipe(
        Effect.provide(Layer.orDie(Workflows.layer({ apiKey: Redacted.make("sk_test_1"), apiBase: server.url })))
      )

      assert.deepStrictEqual(Option.getOrUndefined(run.inputParameters), { note: "café ✓" })
    }))

  it.scopedLive("sends the body with its length in bytes", () =>
    Effect.gen(function*() {
      const server = yield* splitServer(Buffer.from(runJson({}), "utf8"), 10)

      yield* Workflows.invokeWorkflow("wf_test_1" as Ids.WorkflowId, { note: "café ✓" }).pipe(
        Effect.provide(Layer.orDie(Workflows.layer({ apiKey: Redacted.make("sk_test_1"), apiBase: server.url })))
      )

      const [request] = server.received
      assert.strictEqual(request?.body.toString("utf8"), JSON.stringify({ input_parameters: { note: "café ✓" } }))
      assert.strictEqual(request?.headers["content-length"], String(request?.body.length))
      assert.strictEqual(request?.headers["transfer-encoding"], undefined)
    }))
})
