/**
 * The naive webhook handler that the ingestion benchmark compares the projector with, written
 * the way most users would. A `node:http` server verifies and parses each thin event with the
 * official client's `parseEventNotification`, fetches the run with `fetchRelatedObject()`, and
 * inserts one row per notification with `pg`. It has no deduplication, no history and no
 * projection. Its settings come from the environment, and it prints its address once it listens.
 */
import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import pg from "pg"
import Stripe from "stripe"

/** The table the naive handler writes, one row per notification. */
export const naiveTable = "naive_notifications"

const required = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value === "") {
    console.error(`${name} is not set: the benchmark passes it to the naive handler.`)
    process.exit(2)
  }
  return value
}

const secret = required("STRIPE_WEBHOOK_SECRET")
const apiBase = new URL(required("STRIPE_API_BASE"))
const stripe = new Stripe(required("STRIPE_API_KEY"), {
  host: apiBase.hostname,
  port: Number(apiBase.port),
  protocol: apiBase.protocol === "https:" ? "https" : "http",
  apiVersion: required("STRIPE_API_VERSION") as Stripe.LatestApiVersion
})
const pool = new pg.Pool({ connectionString: required("DATABASE_URL") })

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks)))
    request.on("error", reject)
  })

const server = createServer((request, response) => {
  const reply = (status: number, body: unknown) => {
    response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
  }
  if (request.method !== "POST" || request.url !== "/webhooks/stripe") return reply(404, { error: "not found" })
  readBody(request).then(async (body) => {
    // Workflow run events are newer than the client's generated types, so they parse as unknown ones.
    let notification: Stripe.V2.Core.Events.UnknownEventNotification
    try {
      notification = stripe.parseEventNotification(
        body,
        request.headers["stripe-signature"] ?? "",
        secret
      ) as Stripe.V2.Core.Events.UnknownEventNotification
    } catch (error) {
      return reply(400, { error: error instanceof Error ? error.message : String(error) })
    }
    const run = await notification.fetchRelatedObject() as { readonly id: string; readonly status: string }
    await pool.query(
      `INSERT INTO ${naiveTable} (event_id, event_type, run_id, run_status, run) VALUES ($1, $2, $3, $4, $5)`,
      [notification.id, notification.type, run.id, run.status, JSON.stringify(run)]
    )
    reply(200, { received: true })
  }).catch((error: unknown) => {
    console.error(error)
    reply(500, { error: "failed" })
  })
})

const main = async () => {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${naiveTable} (
      id bigserial PRIMARY KEY,
      event_id text NOT NULL,
      event_type text NOT NULL,
      run_id text NOT NULL,
      run_status text NOT NULL,
      run jsonb NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now()
    )`
  )
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

const stop = () => {
  server.closeAllConnections()
  server.close(() => void pool.end().then(() => process.exit(0)))
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
