import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Workflow, WorkflowRun } from "@workflow-runs/core"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { ControlError, Destination, Service } from "../Simulator.js"
import type { ApiRequest } from "./Api.js"
import { readJsonBody } from "./Api.js"
import * as StripeError from "./StripeError.js"

const json = (body: unknown, status = 200) =>
  HttpServerResponse.text(JSON.stringify(body), { status, contentType: "application/json" })

const encodeWorkflow = Schema.encodeSync(Workflow.Workflow)
const encodeRun = Schema.encodeSync(WorkflowRun.WorkflowRun)

const fromControlError = (error: ControlError) =>
  error.reason === "not_found"
    ? StripeError.notFound(error.message)
    : StripeError.invalidRequest("invalid_control_request", error.message)

// The control API is a local test fixture, so it returns the secrets in clear: a test needs
// them to verify what the simulator signs.
const destinationJson = (destination: Destination) => ({
  id: destination.id,
  url: destination.url,
  event_types: destination.eventTypes ?? null,
  secret: Redacted.value(destination.secret),
  secrets: destination.secrets.map(Redacted.value)
})

const asObject = (body: unknown): Record<string, any> =>
  typeof body === "object" && body !== null && !Array.isArray(body) ? body as Record<string, any> : {}

const requireObject = (body: unknown) =>
  typeof body === "object" && body !== null && !Array.isArray(body)
    ? Effect.succeed(body as Record<string, any>)
    : Effect.fail(StripeError.invalidRequest("invalid_control_request", "The body must be a JSON object."))

const decodeSegment = (segment: string) => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/**
 * Serves the control API under the control prefix: define workflows, script runs, start runs
 * without invoke, register destinations and roll their secrets, arm faults, and read the
 * delivery and request logs. Every route calls the in-process {@link Service} function of the
 * same name, so both APIs behave alike.
 *
 * @internal
 */
export const handle = (service: Service, request: ApiRequest, maxBodyBytes: number) =>
  Effect.gen(function*() {
    const segments = request.pathname.split("/").slice(2).map(decodeSegment)
    const route = `${request.method} ${segments.map((segment, index) => index % 2 === 1 ? "{id}" : segment).join("/")}`
    const readBody = Effect.flatMap(HttpServerRequest.HttpServerRequest, (serverRequest) =>
      readJsonBody(serverRequest, maxBodyBytes))
    const id = segments[1] ?? ""

    switch (route) {
      case "GET ":
        return json({ url: service.url, api_key: service.apiKey, control_prefix: "/_simulator" })
      case "POST workflows": {
        const body = yield* Effect.flatMap(readBody, requireObject)
        const workflow = yield* Effect.mapError(service.defineWorkflow(body as never), fromControlError)
        return json(encodeWorkflow(workflow))
      }
      case "POST workflows/{id}/script": {
        const { next_runs, ...script } = asObject(yield* readBody)
        if (next_runs !== undefined && !(Number.isSafeInteger(next_runs) && next_runs > 0)) {
          return yield* Effect.fail(
            StripeError.invalidRequest(
              "invalid_control_request",
              `next_runs must be a positive integer, got ${JSON.stringify(next_runs)}.`
            )
          )
        }
        yield* Effect.mapError(
          service.scriptWorkflow(id, script, next_runs === undefined ? {} : { nextRuns: next_runs }),
          fromControlError
        )
        return json({ workflow: id, scripted: true })
      }
      case "POST runs": {
        const run = yield* Effect.mapError(service.startRun((yield* readBody) as never), fromControlError)
        return json(encodeRun(run))
      }
      case "POST runs/{id}/script": {
        const run = yield* Effect.mapError(service.scriptRun(id, asObject(yield* readBody)), fromControlError)
        return json(encodeRun(run))
      }
      case "POST destinations": {
        const destination = yield* Effect.mapError(
          service.registerDestination((yield* readBody) as never),
          fromControlError
        )
        return json(destinationJson(destination))
      }
      case "POST destinations/{id}/roll_secret": {
        const destination = yield* Effect.mapError(
          service.rollSecret(id, asObject(yield* readBody) as never),
          fromControlError
        )
        return json(destinationJson(destination))
      }
      case "POST faults": {
        yield* Effect.mapError(service.injectFault(asObject(yield* readBody) as never), fromControlError)
        return json({ armed: true })
      }
      case "DELETE faults": {
        yield* service.clearFaults
        return json({ cleared: true })
      }
      case "POST delivery_faults": {
        yield* Effect.mapError(service.injectDeliveryFault(asObject(yield* readBody) as never), fromControlError)
        return json({ armed: true })
      }
      case "POST processing_delay": {
        const { delay_ms } = asObject(yield* readBody)
        if (!(Number.isSafeInteger(delay_ms) && delay_ms >= 0)) {
          return yield* Effect.fail(
            StripeError.invalidRequest(
              "invalid_control_request",
              `delay_ms must be a non-negative integer, got ${JSON.stringify(delay_ms)}.`
            )
          )
        }
        yield* service.setProcessingDelay(delay_ms)
        return json({ delay_ms })
      }
      case "GET deliveries": {
        const attempts = yield* service.deliveries
        return json({
          data: attempts.map((attempt) => ({
            event_id: attempt.eventId,
            event_type: attempt.eventType,
            destination: attempt.destination,
            attempt: attempt.attempt,
            status: attempt.status,
            error: attempt.error,
            signature: attempt.signature,
            fault: attempt.fault,
            at: attempt.at
          }))
        })
      }
      case "GET requests": {
        const requests = yield* service.requests
        return json({
          data: requests.map((entry) => ({
            request_id: entry.requestId,
            method: entry.method,
            path: entry.path,
            status: entry.status,
            idempotency_key: entry.idempotencyKey,
            fault: entry.fault
          }))
        })
      }
    }
    return yield* Effect.fail(
      StripeError.notFound(
        `Unrecognized control request (${request.method}: ${request.pathname}); the control API is described in the simulator's README.`
      )
    )
  }).pipe(Effect.catchAll((error) =>
    Effect.succeed(StripeError.toResponse(error))
  ))
