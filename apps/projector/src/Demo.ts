/**
 * `demo`: the whole path on local parts. It starts the simulator (or uses the one at
 * `STRIPE_API_BASE`) and PostgreSQL (`DATABASE_URL`, or an embedded server), serves the
 * projector on 127.0.0.1, registers it as the simulator's webhook destination, invokes a mix of
 * workflows, waits for every notification, and prints the runs, one run's timeline and the
 * verification of the log.
 *
 * @since 0.1.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Ids, type WorkflowRun } from "@workflow-runs/core"
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import { Database, RecordingWorkflows, RunLog } from "@workflow-runs/store"
import { Workflows } from "@workflow-runs/stripe"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { randomBytes, randomUUID } from "node:crypto"
import * as HttpApp from "./HttpApp.js"
import * as Metrics from "./Metrics.js"
import * as Output from "./Output.js"
import * as Projector from "./Projector.js"

/**
 * The input parameters of Stripe's example invoke request.
 *
 * @since 0.1.0
 * @category constants
 */
export const exampleInput = {
  customer_id: "cus_SJjFsJvGPQKfH1",
  amount: 5000,
  notify: true,
  tags: ["signup", "promotion"]
}

/**
 * The demo could not finish: a part did not start, a notification did not arrive in time, or
 * the log failed verification.
 *
 * @since 0.1.0
 * @category errors
 */
export class DemoFailed extends Schema.TaggedError<DemoFailed>("@workflow-runs/projector/DemoFailed")("DemoFailed", {
  message: Schema.String
}) {}

interface Stripe {
  readonly description: string
  readonly workflows: Layer.Layer<Workflows.Workflows, unknown>
  readonly register: (url: string, secret: string) => Effect.Effect<void, unknown>
}

const externalSimulator = (base: URL) =>
  Effect.gen(function*() {
    const apiKey = yield* Config.redacted("STRIPE_API_KEY").pipe(
      Config.withDefault(Redacted.make(Simulator.defaultApiKey))
    )
    return {
      description: `the simulator at ${base.origin}`,
      workflows: Workflows.layer({ apiKey, apiBase: base }).pipe(Layer.provide(Metrics.stripeObserver)),
      register: (url, secret) =>
        HttpClientRequest.post(new URL("/_simulator/destinations", base)).pipe(
          HttpClientRequest.bodyUnsafeJson({ url, secret }),
          HttpClient.execute,
          Effect.flatMap((response) =>
            response.status === 200
              ? Effect.void
              : Effect.fail(
                new DemoFailed({ message: `The simulator rejected the destination with status ${response.status}` })
              )
          ),
          Effect.scoped,
          Effect.provide(NodeHttpClient.layerUndici)
        )
    } satisfies Stripe
  })

const localSimulator = Effect.map(Simulator.make({}), (simulator) =>
  ({
    description: `a simulator on ${simulator.url}`,
    workflows: Workflows.layer({ apiKey: Redacted.make(simulator.apiKey), apiBase: simulator.url }).pipe(
      Layer.provide(Metrics.stripeObserver)
    ),
    register: (url: string, secret: string) => Effect.asVoid(simulator.registerDestination({ url, secret }))
  }) satisfies Stripe)

interface Invocation {
  readonly label: string
  readonly workflow: string
  readonly input: Readonly<Record<string, unknown>>
  readonly key: string
}

const invoke = (invocation: Invocation) =>
  Effect.gen(function*() {
    const answer = yield* RecordingWorkflows.invokeWorkflow(
      Ids.WorkflowId.make(invocation.workflow),
      invocation.input,
      { idempotencyKey: invocation.key, actor: "demo" }
    ).pipe(Effect.either)
    if (answer._tag === "Left") {
      yield* Console.log(`  ${invocation.label}: rejected, ${answer.left._tag}: ${answer.left.message}`)
      return Option.none<WorkflowRun.WorkflowRun>()
    }
    yield* Console.log(`  ${invocation.label}: run ${answer.right.id}, ${String(answer.right.status)}`)
    return Option.some(answer.right)
  })

const waitForNotifications = (runIds: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const log = yield* RunLog.RunLog
    const deadline = Date.now() + 30_000
    let reported = -1
    while (true) {
      const histories = yield* Effect.forEach(runIds, (id) => log.history(Ids.WorkflowRunId.make(id)))
      const finished = histories.filter((history) =>
        history.events.some((event) => event.type === "RunSucceeded" || event.type === "RunFailed")
      ).length
      if (finished !== reported) {
        yield* Console.log(`  ${finished}/${runIds.length} runs finished in the log`)
        reported = finished
      }
      if (finished === runIds.length) {
        return
      }
      if (Date.now() > deadline) {
        return yield* Effect.fail(
          new DemoFailed({
            message: `Only ${finished} of ${runIds.length} runs finished within 30 seconds; check the projector's logs`
          })
        )
      }
      yield* Effect.sleep("50 millis")
    }
  })

/**
 * Runs the demo and prints its progress and results.
 *
 * @since 0.1.0
 * @category demo
 */
export const run = Effect.gen(function*() {
  const started = Date.now()
  const base = yield* Config.option(Config.url("STRIPE_API_BASE"))
  const stripe: Stripe = Option.isSome(base) ? yield* externalSimulator(base.value) : yield* localSimulator
  yield* Console.log(`Stripe: ${stripe.description}`)
  const usesUrl = yield* Config.option(Config.nonEmptyString("DATABASE_URL"))
  yield* Console.log(`PostgreSQL: ${Option.isSome(usesUrl) ? "DATABASE_URL" : "starting an embedded server"}`)
  const secret = `whsec_${randomBytes(24).toString("base64url")}`
  const context = yield* Layer.build(
    Projector.layer({
      host: "127.0.0.1",
      port: 0,
      webhook: { secrets: [Redacted.make(secret)] },
      auditToken: Redacted.make(randomBytes(24).toString("hex"))
    }).pipe(
      Layer.provideMerge(RecordingWorkflows.layer),
      Layer.provideMerge(Projector.services),
      Layer.provideMerge(stripe.workflows),
      Layer.provideMerge(Database.layerFromEnv())
    )
  )
  return yield* Effect.gen(function*() {
    const url = yield* HttpApp.baseUrl
    yield* stripe.register(`${url}/webhooks/stripe`, secret)
    yield* Console.log(`Projector: ${url}/webhooks/stripe, registered as the webhook destination`)

    const seedKey = `demo-${randomUUID()}`
    const invocations: ReadonlyArray<Invocation> = [
      {
        label: "onboard customer (the example request)",
        workflow: DefaultWorkflows.onboardCustomer,
        input: exampleInput,
        key: seedKey
      },
      {
        label: "any input",
        workflow: DefaultWorkflows.anyInput,
        input: { order: "ord_1001" },
        key: `demo-${randomUUID()}`
      },
      {
        label: "always fails",
        workflow: DefaultWorkflows.alwaysFails,
        input: { order: "ord_1002" },
        key: `demo-${randomUUID()}`
      },
      { label: "paused workflow", workflow: DefaultWorkflows.paused, input: {}, key: `demo-${randomUUID()}` },
      {
        label: "invalid parameters",
        workflow: DefaultWorkflows.onboardCustomer,
        input: { customer_id: 42 },
        key: `demo-${randomUUID()}`
      },
      {
        label: "retry of the example with its key",
        workflow: DefaultWorkflows.onboardCustomer,
        input: exampleInput,
        key: seedKey
      }
    ]
    yield* Console.log("Invoking workflows")
    const runs = yield* Effect.forEach(invocations, invoke)
    const runIds = [...new Set(runs.flatMap((run) => Option.isSome(run) ? [run.value.id] : []))]
    const first = Option.flatten(Option.fromNullable(runs[0]))
    const retry = Option.flatten(Option.fromNullable(runs[5]))
    if (Option.isSome(first) && Option.isSome(retry)) {
      yield* Console.log(`  the retry returned ${first.value.id === retry.value.id ? "the same run" : "ANOTHER run"}`)
    }

    yield* Console.log("Waiting for the notifications")
    yield* waitForNotifications(runIds)

    const log = yield* RunLog.RunLog
    const histories = yield* Effect.forEach(runIds, (id) => log.history(Ids.WorkflowRunId.make(id)))
    yield* Console.log("\nRuns")
    yield* Console.log(Output.runsTable(histories.flatMap((history) => Option.toArray(history.run))))
    const keys = new Set(invocations.map((invocation) => invocation.key))
    const attempts = yield* log.invocations({ limit: 1000 })
    yield* Console.log("\nInvocation attempts")
    yield* Console.log(Output.invocationsTable(attempts.items.filter((attempt) => keys.has(attempt.idempotencyKey))))
    const seedRun = runIds[0]
    if (seedRun !== undefined && histories[0] !== undefined) {
      yield* Console.log("\nTimeline")
      yield* Console.log(Output.timeline(seedRun, histories[0]))
    }
    const report = yield* log.verify()
    yield* Console.log("\nVerify")
    yield* Console.log(Output.verifyReport(report))
    yield* Console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    if (!report.ok) return yield* Effect.fail(new DemoFailed({ message: "The log failed verification" }))
  }).pipe(Effect.provide(context))
}).pipe(
  Effect.scoped,
  // The demo prints its own progress, so only warnings and errors are logged.
  Logger.withMinimumLogLevel(LogLevel.Warning)
)
