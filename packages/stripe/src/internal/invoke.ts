import type { Ids, WorkflowRun } from "@workflow-runs/core"
import { WorkflowsError } from "@workflow-runs/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Tracer from "effect/Tracer"
import { randomUUID } from "node:crypto"
import type * as Workflows from "../Workflows.js"

/**
 * The options an implementation receives for an invoke: the idempotency key is always set.
 *
 * @internal
 */
export interface ResolvedInvokeOptions extends Workflows.RequestOptions {
  readonly idempotencyKey: string
  /**
   * The span of the invoke, which is not the current span: an implementation makes it the
   * parent of whatever it runs that reads the current span.
   */
  readonly span: Tracer.Span
}

/**
 * A service whose invoke takes the JSON request body, already serialized.
 *
 * @internal
 */
export interface BaseService extends Omit<Workflows.Service, "invokeWorkflow"> {
  readonly invokeWorkflow: (
    workflowId: Ids.WorkflowId,
    body: string,
    options: ResolvedInvokeOptions
  ) => Effect.Effect<WorkflowRun.WorkflowRun, Workflows.InvokeWorkflowError>
}

const invalidInput = (workflowId: Ids.WorkflowId, message: string) =>
  new WorkflowsError.InvalidWorkflowInputParameters({
    code: WorkflowsError.InvalidWorkflowInputParameters.code,
    message,
    workflowId
  })

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

// Serializes parameters already encoded, synchronously: the `Either` is itself an effect.
const serialize = (
  workflowId: Ids.WorkflowId,
  encoded: unknown
): Either.Either<string, WorkflowsError.InvalidWorkflowInputParameters> => {
  if (!isJsonObject(encoded)) {
    let actual: string = typeof encoded
    if (Array.isArray(encoded)) actual = "an array"
    if (encoded === null) actual = "null"
    return Either.left(
      invalidInput(workflowId, `The input parameters of workflow ${workflowId} must be a JSON object, got ${actual}`)
    )
  }
  try {
    return Either.right(JSON.stringify({ input_parameters: encoded }))
  } catch (error) {
    return Either.left(
      invalidInput(
        workflowId,
        `The input parameters of workflow ${workflowId} cannot be serialized as JSON: ${String(error)}`
      )
    )
  }
}

/**
 * Serializes the request body of an invoke: the parameters, encoded with the caller's schema
 * when one is given, under `input_parameters`. Parameters that fail the schema, are not a JSON
 * object or cannot be serialized fail with `InvalidWorkflowInputParameters` before any request.
 *
 * @internal
 */
export const invokeBody = (
  workflowId: Ids.WorkflowId,
  inputParameters: unknown,
  inputSchema: Schema.Schema<any, any, never> | undefined
): Effect.Effect<string, WorkflowsError.InvalidWorkflowInputParameters> =>
  inputSchema === undefined
    ? Effect.suspend(() => serialize(workflowId, inputParameters))
    : Schema.encode(inputSchema)(inputParameters).pipe(
      Effect.mapError((error) =>
        invalidInput(
          workflowId,
          `The input parameters of workflow ${workflowId} do not match the given schema: ${
            ParseResult.TreeFormatter.formatErrorSync(error)
          }`
        )
      ),
      Effect.flatMap((encoded) => serialize(workflowId, encoded))
    )

// The invoke span's options. Without `captureStackTrace: false` every call would also record its
// call site in an `Error`, which cost about 5 µs of CPU per call on a 2-core AMD EPYC.
const invokeSpanOptions = { captureStackTrace: false } as const

/**
 * Completes a {@link BaseService} into the public service: validates and serializes the input
 * parameters and generates an idempotency key when the caller gives none.
 *
 * Each invoke runs in a span `Workflows.invokeWorkflow` with the attributes `workflow_id` and
 * `idempotency_key`. It is not made the current span here, because that costs several fiber
 * steps per call and the live client's request over `node:http` never reads it. The base
 * service gets it instead, and makes it current where it runs something that reads it.
 *
 * @internal
 */
export const withInputSchema = (base: BaseService): Workflows.Service => ({
  ...base,
  invokeWorkflow: (
    workflowId: Ids.WorkflowId,
    inputParameters: unknown,
    options: Workflows.InvokeOptions & { readonly inputSchema?: Schema.Schema<any, any, never> } = {}
  ): Effect.Effect<WorkflowRun.WorkflowRun, Workflows.InvokeWorkflowError> =>
    Effect.useSpan("Workflows.invokeWorkflow", invokeSpanOptions, (span) => {
      // This function runs each time the effect does, so a key drawn here is new for every run.
      const idempotencyKey = options.idempotencyKey ?? randomUUID()
      span.attribute("workflow_id", workflowId)
      span.attribute("idempotency_key", idempotencyKey)
      const { inputSchema, ...rest } = options
      const resolved: ResolvedInvokeOptions = { ...rest, idempotencyKey, span }
      // Without a schema the body is serialized here, with no effect to run for it. A schema's
      // transformations may run effects of their own, so they run under the span.
      if (inputSchema === undefined) {
        const body = serialize(workflowId, inputParameters)
        return Either.isRight(body) ? base.invokeWorkflow(workflowId, body.right, resolved) : Effect.fail(body.left)
      }
      return Effect.flatMap(
        Effect.withParentSpan(invokeBody(workflowId, inputParameters, inputSchema), span),
        (text) => base.invokeWorkflow(workflowId, text, resolved)
      )
    })
})
