/**
 * The `workflow-runs` command line: `serve`, `invoke`, `runs`, `history`, `verify`, `rebuild`,
 * `migrate` and `demo`. Configuration comes from the environment (see `AppConfig`), and a
 * missing or invalid variable is reported by name.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as SqlClient from "@effect/sql/SqlClient"
import { Ids } from "@workflow-runs/core"
import {
  Database,
  EmbeddedDatabase,
  Invocation,
  Migrations,
  Rebuild,
  RecordingWorkflows,
  RunLog
} from "@workflow-runs/store"
import { Workflows } from "@workflow-runs/stripe"
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import * as AnchorText from "./AnchorText.js"
import * as AppConfig from "./AppConfig.js"
import * as Demo from "./Demo.js"
import {
  editDistance,
  findOptionValue,
  findOptionWithoutValue,
  findRepeatedOption,
  findUnknownOption,
  programOptions,
  programOptionValues
} from "./internal/options.js"
import { checkTimeRange, parseIsoTime } from "./internal/time.js"
import * as Output from "./Output.js"
import * as Projector from "./Projector.js"
import * as Serve from "./Serve.js"

/**
 * A command-line value that is not valid, with what to pass instead.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>("@workflow-runs/projector/InvalidInput")(
  "InvalidInput",
  { message: Schema.String }
) {}

/**
 * A log that failed `verify`: a broken chain or an anchor that no longer matches.
 *
 * @since 0.1.0
 * @category errors
 */
export class VerificationFailed
  extends Schema.TaggedError<VerificationFailed>("@workflow-runs/projector/VerificationFailed")(
    "VerificationFailed",
    { message: Schema.String }
  )
{}

/**
 * A run the log has no events for.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunNotInLog extends Schema.TaggedError<RunNotInLog>("@workflow-runs/projector/RunNotInLog")(
  "RunNotInLog",
  { runId: Schema.String, message: Schema.String }
) {}

export {
  /**
   * A `--from` after `--to`, or a `from` after `to` in the audit API.
   *
   * @since 0.1.0
   * @category errors
   */
  TimeRangeReversed
} from "./internal/time.js"

const embedded = Options.boolean("embedded").pipe(
  Options.withDescription("Use an embedded PostgreSQL with its data in .data/ instead of DATABASE_URL")
)

const withStore = (isEmbedded: boolean) =>
  Effect.provide(Projector.services.pipe(Layer.provideMerge(Serve.database(isEmbedded))))

// The reading commands open a log and never create one in the database that DATABASE_URL names:
// a wrong database name would otherwise get the log's tables. The embedded server's database is
// this project's own, so a new one gets its log.
const withExistingLog = (isEmbedded: boolean) => {
  const database: Layer.Layer<
    Layer.Layer.Success<ReturnType<typeof Serve.database>>,
    Layer.Layer.Error<ReturnType<typeof Serve.database>> | Database.LogNotFound
  > = isEmbedded
    ? Serve.database(true)
    : Layer.unwrapEffect(Effect.map(Database.urlConfig, (url) => Database.layerExistingLog({ url })))
  return Effect.provide(Projector.services.pipe(Layer.provideMerge(database)))
}

const shutdownTimeout = Options.text("shutdown-timeout").pipe(
  Options.withPseudoName("duration"),
  Options.optional,
  Options.withDescription(
    "How long to wait for in-flight work after SIGTERM or SIGINT before exiting with status 1, such as \"25 seconds\" (default: SHUTDOWN_TIMEOUT, else 25 seconds)"
  )
)

const parseShutdownTimeout = (text: Option.Option<string>) =>
  Option.match(text, {
    onNone: () => Effect.succeed(undefined),
    onSome: (value) =>
      Either.match(AppConfig.parsePositiveDuration(value), {
        onLeft: (message) => Effect.fail(new InvalidInput({ message: `--shutdown-timeout is invalid: ${message}` })),
        onRight: Effect.succeed
      })
  })

const serve = Command.make(
  "serve",
  { embedded, shutdownTimeout },
  (args) =>
    Effect.flatMap(
      parseShutdownTimeout(args.shutdownTimeout),
      (timeout) => Serve.run({ embedded: args.embedded, shutdownTimeout: timeout })
    ).pipe(
      // The command's result reports the interruption that began the shutdown, not this failure,
      // so the exit status is set here. Work still in flight ends with the process.
      Effect.onExit((exit) =>
        Exit.isFailure(exit) &&
          Cause.failures(exit.cause).pipe(Chunk.some((error) => error instanceof Serve.ShutdownTimedOut))
          ? Effect.sync(() => process.exit(1))
          : Effect.void
      )
    )
).pipe(
  Command.withDescription(
    "Serve POST /webhooks/stripe, the audit API, /healthz and /metrics, and run the reconciler (needs DATABASE_URL, STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET, AUDIT_API_TOKEN)"
  )
)

const parseParam = (text: string) => {
  const separator = text.indexOf("=")
  if (separator <= 0) {
    return Effect.fail(new InvalidInput({ message: `--param ${JSON.stringify(text)} is invalid: expected key=value` }))
  }
  const value = text.slice(separator + 1)
  let parsed: unknown = value
  try {
    parsed = JSON.parse(value)
  } catch {
    // A value that is not JSON is a string, so `--param customer_id=cus_1` needs no quotes.
  }
  return Effect.succeed([text.slice(0, separator), parsed] as const)
}

const inputOf = (input: Option.Option<string>, params: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    let base: Record<string, unknown> = {}
    if (Option.isSome(input)) {
      const parsed = yield* Effect.try({
        try: () => JSON.parse(input.value) as unknown,
        catch: () =>
          new InvalidInput({
            message: `--input ${
              JSON.stringify(input.value)
            } is not valid JSON; pass an object such as '{"amount":5000}'`
          })
      })
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return yield* new InvalidInput({
          message: `--input must be a JSON object such as '{"amount":5000}', got ${input.value}`
        })
      }
      base = { ...parsed }
    }
    // A key given twice is most likely a typo, so it fails rather than keep the last value.
    const paramByKey = new Map<string, string>()
    for (const param of params) {
      const [key, value] = yield* parseParam(param)
      const earlier = paramByKey.get(key)
      if (earlier !== undefined) {
        return yield* new InvalidInput({
          message: `--param ${JSON.stringify(key)} is given twice (${JSON.stringify(earlier)}, ${
            JSON.stringify(param)
          }); give each key once`
        })
      }
      paramByKey.set(key, param)
      base[key] = value
    }
    return base
  })

const invokeSettings = (embedded: boolean) =>
  Config.all([Workflows.config, embedded ? Config.succeed(undefined) : Database.urlConfig])

const invoke = Command.make("invoke", {
  workflow: Args.text({ name: "workflow" }).pipe(Args.withDescription("The workflow id (wf_...)")),
  input: Options.text("input").pipe(Options.optional, Options.withDescription("The input parameters as a JSON object")),
  params: Options.text("param").pipe(
    Options.repeated,
    Options.optional,
    Options.map(Option.getOrElse((): ReadonlyArray<string> => [])),
    Options.withDescription(
      "An input parameter as key=value (the value is parsed as JSON when it can be); it replaces the same key of --input"
    )
  ),
  idempotencyKey: Options.text("idempotency-key").pipe(
    Options.optional,
    Options.withDescription(
      "The key Stripe deduplicates the invocation by; a retry with the same key starts no second run (default: a fresh cli-<uuid>)"
    )
  ),
  embedded
}, (args) =>
  Effect.gen(function*() {
    const workflow = yield* Schema.decodeUnknown(Ids.WorkflowId)(args.workflow).pipe(
      Effect.mapError(() =>
        new InvalidInput({ message: `${JSON.stringify(args.workflow)} is not a workflow id; pass one such as wf_...` })
      )
    )
    const input = yield* inputOf(args.input, args.params)
    const key = Option.getOrElse(args.idempotencyKey, () => `cli-${randomUUID()}`)
    // Checked with the other arguments, before the configuration and the database.
    yield* Schema.decodeUnknown(Invocation.IdempotencyKey)(key).pipe(
      Effect.mapError((error) =>
        new InvalidInput({
          message: `--idempotency-key ${JSON.stringify(key)} is invalid: ${
            ParseResult.ArrayFormatter.formatErrorSync(error)[0]?.message ?? "not a valid key"
          }; pass 1 to 255 characters without control characters`
        })
      )
    )
    // Read together first, so one error lists every missing or invalid variable. The layers
    // below read them again.
    yield* invokeSettings(args.embedded)
    yield* Effect.gen(function*() {
      const run = yield* RecordingWorkflows.invokeWorkflow(workflow, input, { idempotencyKey: key, actor: "cli" })
      yield* Console.log(`Run ${run.id} of ${run.workflow}: ${String(run.status)} (idempotency key ${key})`)
    }).pipe(
      Effect.provide(RecordingWorkflows.layer.pipe(Layer.provide(Workflows.layerConfig()))),
      withStore(args.embedded)
    )
  })).pipe(
    Command.withDescription(
      "Invoke a workflow and record the attempt and its run (needs STRIPE_API_KEY and DATABASE_URL)"
    )
  )

const timeOption = (name: string) =>
  Options.text(name).pipe(
    Options.optional,
    Options.withDescription(
      `Runs started ${
        name === "from" ? "at or after" : "before"
      } this ISO 8601 date (2026-05-01, midnight UTC) or time with Z or an offset`
    )
  )

const parseTime = (name: string, value: Option.Option<string>) =>
  Option.match(value, {
    onNone: () => Effect.succeed(undefined),
    onSome: (text) =>
      Option.match(parseIsoTime(text), {
        onNone: () =>
          Effect.fail(
            new InvalidInput({
              message: `--${name} ${
                JSON.stringify(text)
              } is not an ISO 8601 date or time with Z or an offset in the years 0001 to 9999 (at most nine digits after the seconds), such as 2026-05-01 or 2026-05-01T12:00:00Z`
            })
          ),
        onSome: (time) => Effect.succeed({ text, time })
      })
  })

// The errors of `invalidOption`. They name the option and what to pass, so `run` adds no help
// hint to them.
const explained = new WeakSet<ValidationError.ValidationError>()

// A message of @effect/cli's own, such as `'abc' is not a integer`, names no option, so these
// options read text and check it here.
const invalidOption = (message: string) => {
  const error = ValidationError.invalidValue(HelpDoc.p(message))
  explained.add(error)
  return error
}

const statuses = ["started", "succeeded", "failed"] as const

const status = Options.text("status").pipe(
  Options.withPseudoName(statuses.join(" | ")),
  Options.mapEffect((text) =>
    Arr.findFirst(statuses, (name) => name === text).pipe(
      Effect.mapError(() =>
        invalidOption(`--status must be one of ${statuses.join(", ")}, got ${JSON.stringify(text)}`)
      )
    )
  ),
  Options.optional,
  Options.withDescription("Only runs in this status")
)

const limit = Options.text("limit").pipe(
  Options.withPseudoName("integer"),
  Options.mapEffect((text) =>
    /^\d{1,4}$/.test(text) && Number(text) >= 1 && Number(text) <= 1000
      ? Effect.succeed(Number(text))
      : Effect.fail(invalidOption(`--limit must be an integer from 1 to 1000, such as 50, got ${JSON.stringify(text)}`))
  ),
  Options.withDefault(50),
  Options.withDescription("How many runs to print per page, from 1 to 1000 (default 50)")
)

const runs = Command.make("runs", {
  workflow: Options.text("workflow").pipe(
    Options.optional,
    Options.withDescription("Only runs of this workflow id (wf_...)")
  ),
  status,
  from: timeOption("from"),
  to: timeOption("to"),
  limit,
  after: Options.text("after").pipe(
    Options.optional,
    Options.withDescription("The cursor printed under the previous page")
  ),
  embedded
}, (args) =>
  Effect.gen(function*() {
    const workflowId = yield* Option.match(args.workflow, {
      onNone: () => Effect.succeed(undefined),
      onSome: (text) =>
        Schema.decodeUnknown(Ids.WorkflowId)(text).pipe(
          Effect.mapError(() =>
            new InvalidInput({
              message: `--workflow ${JSON.stringify(text)} is not a workflow id; pass one such as wf_...`
            })
          )
        )
    })
    const from = yield* parseTime("from", args.from)
    const to = yield* parseTime("to", args.to)
    yield* checkTimeRange({ from, to }, "--")
    if (Option.isSome(args.after)) {
      const cursor = args.after.value
      // The store's message names the cursor but not the option it came from.
      yield* Effect.mapError(
        RunLog.checkCursor(cursor),
        () =>
          new InvalidInput({
            message: `--after ${
              JSON.stringify(cursor)
            } is not a page cursor; pass the one printed under the previous page, unchanged`
          })
      )
    }
    yield* Effect.gen(function*() {
      const log = yield* RunLog.RunLog
      const page = yield* log.runs({
        workflowId,
        status: Option.getOrUndefined(args.status),
        from: from?.time,
        to: to?.time,
        limit: args.limit,
        after: Option.getOrUndefined(args.after)
      })
      const filtered = workflowId !== undefined || Option.isSome(args.status) || from !== undefined ||
        to !== undefined || Option.isSome(args.after)
      const none = filtered ? "No runs match these filters." : "The log has no runs yet."
      yield* Console.log(page.items.length === 0 ? none : Output.runsTable(page.items))
      if (Option.isSome(page.next)) yield* Console.log(`\nNext page: --after ${page.next.value}`)
    }).pipe(withExistingLog(args.embedded))
  })).pipe(Command.withDescription("List runs in the log with filters, as a table"))

const history = Command.make(
  "history",
  {
    run: Args.text({ name: "run" }).pipe(Args.withDescription("The run id (wfrun_...) whose events to print")),
    embedded
  },
  (args) =>
    Effect.gen(function*() {
      const runId = yield* Schema.decodeUnknown(Ids.WorkflowRunId)(args.run).pipe(
        Effect.mapError(() =>
          new InvalidInput({ message: `${JSON.stringify(args.run)} is not a run id; pass one such as wfrun_...` })
        )
      )
      yield* Effect.gen(function*() {
        const log = yield* RunLog.RunLog
        const runHistory = yield* log.history(runId)
        if (Option.isNone(runHistory.run)) {
          return yield* new RunNotInLog({
            runId,
            message: `Run ${runId} is not in the log; list the recorded runs with \`runs\``
          })
        }
        yield* Console.log(Output.timeline(runId, runHistory))
      }).pipe(withExistingLog(args.embedded))
    })
).pipe(Command.withDescription("Print a run's timeline from the log"))

const verify = Command.make("verify", {
  expect: Options.text("expect").pipe(
    Options.optional,
    Options.withDescription(
      "An anchor printed by an earlier verify (wrc1. or wra1.), or @ and the path of a file that contains one"
    )
  ),
  fullAnchor: Options.boolean("full-anchor").pipe(
    Options.withDescription("Also print the per-stream anchor (wra1.), about 220 bytes per stream")
  ),
  embedded
}, (args) =>
  Effect.gen(function*() {
    const expect = Option.isSome(args.expect) ? yield* AnchorText.decodeArgument(args.expect.value) : undefined
    yield* Effect.gen(function*() {
      const log = yield* RunLog.RunLog
      const report = yield* log.verify({ expect })
      yield* Console.log(Output.verifyReport(report, { fullAnchor: args.fullAnchor, expected: expect }))
      if (!report.ok) {
        return yield* new VerificationFailed({
          message: "The log failed verification; the lines above list each failure"
        })
      }
    }).pipe(withExistingLog(args.embedded))
  })).pipe(
    Command.withDescription("Recompute every hash chain, print the anchor, and with --expect check an earlier anchor")
  )

const rebuild = Command.make("rebuild", { embedded }, (args) =>
  Effect.gen(function*() {
    const result = yield* Rebuild.rebuildRuns({
      swap: true,
      onProgress: (progress) => Console.log(`  ${progress.phase.padEnd(11)} ${progress.events} event(s)`)
    })
    yield* Console.log(`Rebuilt ${result.table}`)
  }).pipe(withExistingLog(args.embedded))).pipe(
    Command.withDescription("Rebuild the runs projection from the log and swap it in")
  )

// A client that does not migrate: `migrate` runs the migrations itself to report what it applied.
const migrationClient = (isEmbedded: boolean) => {
  const client: Effect.Effect<
    ReturnType<typeof Database.layerClient>,
    EmbeddedDatabase.EmbeddedDatabaseError | ConfigError.ConfigError,
    Scope.Scope
  > = isEmbedded
    ? Effect.map(
      EmbeddedDatabase.start({ dataDirectory: ".data" }),
      (server) => Database.layerClient({ url: server.url })
    )
    : Effect.map(Database.urlConfig, (url) => Database.layerClient({ url }))
  return Layer.unwrapScoped(client)
}

// The id and name of each migration of this version, as in `7_index_heads_by_fixed_columns`.
const knownMigrations = Object.keys(Migrations.migrations).map((key) => {
  const separator = key.indexOf("_")
  return { id: Number.parseInt(key.slice(0, separator), 10), name: key.slice(separator + 1) }
})

const migrate = Command.make(
  "migrate",
  { embedded },
  (args) =>
    Effect.gen(function*() {
      // The command prints the applied migrations itself, so their log line would repeat them.
      const applied = yield* Migrations.run.pipe(Logger.withMinimumLogLevel(LogLevel.Warning))
      const sql = yield* SqlClient.SqlClient
      const [latest] = yield* sql<{ id: number; name: string }>`
        select migration_id as id, name from ${sql(Migrations.table)} order by migration_id desc limit 1`
      const newest = knownMigrations.reduce((last, migration) => (migration.id > last.id ? migration : last))
      if (latest !== undefined && latest.id > newest.id) {
        return yield* Console.log(
          `The database schema is at migration ${latest.id} (${latest.name}), newer than this version's latest, ${newest.id} (${newest.name}); upgrade workflow-runs before serving this database`
        )
      }
      const at = latest === undefined ? "" : ` at migration ${latest.id} (${latest.name})`
      yield* Console.log(
        applied.length === 0
          ? `The database schema was already up to date${at}`
          : `Applied ${applied.length} migration(s): ${
            applied.map(([id, name]) => `${id}_${name}`).join(", ")
          }; the database schema is now up to date${at}`
      )
    }).pipe(Effect.provide(migrationClient(args.embedded)))
).pipe(
  Command.withDescription("Run the database migrations and report the ones it applied")
)

const demo = Command.make("demo", {}, () => Demo.run).pipe(
  Command.withDescription("Run the whole path on a local simulator and PostgreSQL and print the audit log")
)

const subcommands = [serve, invoke, runs, history, verify, rebuild, migrate, demo] as const

const usageByName = <Name extends string, R, E, A>(subcommand: Command.Command<Name, R, E, A>) =>
  Array.from(Command.getNames(subcommand), (name) => [name, Command.getUsage(subcommand)] as const)

const usages = new Map(
  [
    usageByName(serve),
    usageByName(invoke),
    usageByName(runs),
    usageByName(history),
    usageByName(verify),
    usageByName(rebuild),
    usageByName(migrate),
    usageByName(demo)
  ].flat()
)

/**
 * The root command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("workflow-runs").pipe(
  Command.withDescription(
    HelpDoc.blocks([
      HelpDoc.p("Audit log of Stripe Workflow Runs"),
      HelpDoc.p(
        "Options of the program: --help and --version, --log-level LEVEL before the command (all, trace, debug, info, warning, error, fatal or none), --completions SHELL for a completion script (sh, bash, fish or zsh) and --wizard, which asks for a command's options on a terminal."
      )
    ])
  ),
  Command.withSubcommands(subcommands)
)

// "twice" reads better than "2 times", and the `--param` check uses "twice" too.
const occurrences = (count: number): string => count === 2 ? "twice" : `${count} times`

// @effect/cli reads an option that takes one value only once and reports a second occurrence as
// "Received unknown argument", without saying that the option was repeated. This check names it.
const checkRepeatedOptions = (args: ReadonlyArray<string>): Effect.Effect<void, InvalidInput> => {
  const [name, ...rest] = args.slice(2)
  const usage = name === undefined ? undefined : usages.get(name)
  const missing = usage === undefined ? undefined : findOptionWithoutValue(usage, rest)
  if (missing !== undefined) {
    // @effect/cli would call it an unknown argument.
    return Effect.fail(
      new InvalidInput({
        message: `${missing.flag} is missing its value (${missing.accepted}); give it after the option`
      })
    )
  }
  const repeated = usage === undefined ? undefined : findRepeatedOption(usage, rest)
  if (repeated === undefined) return Effect.void
  return Effect.fail(
    new InvalidInput({
      message: `${repeated.flag} is given ${occurrences(repeated.values.length)} (${
        repeated.values.map((value) => JSON.stringify(value)).join(", ")
      }); give it at most once`
    })
  )
}

const runCommand = Command.run(command, { name: "workflow-runs", version: "0.1.0" })

// The arguments after the program in `args` (`process.argv`), and the position of the first one
// that names a command (-1 for none).
const commandOf = (args: ReadonlyArray<string>): { readonly rest: ReadonlyArray<string>; readonly index: number } => {
  const rest = args.slice(2)
  return { rest, index: rest.findIndex((arg) => usages.has(arg)) }
}

// @effect/cli's own usage errors (a missing argument, an unknown option or subcommand) name the
// problem but not the help command.
const usageHint = (args: ReadonlyArray<string>): string => {
  const { index: commandIndex, rest } = commandOf(args)
  if (commandIndex >= 0) {
    const help = `Run \`workflow-runs ${rest[commandIndex]} --help\` to see its arguments and options.`
    const unknown = findUnknownOption(usages.get(rest[commandIndex]!)!, rest.slice(commandIndex + 1))
    return unknown?.nearest === undefined ? help : `Did you mean \`${unknown.nearest}\`? ${help}`
  }
  // The first argument that is neither one of the program's options nor the value of one.
  let name: string | undefined
  for (let index = 0; index < rest.length && name === undefined; index++) {
    const arg = rest[index]!
    const flag = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg
    if (!programOptions.includes(flag)) name = arg
    else if (!arg.includes("=") && programOptionValues.has(flag)) index++
  }
  if (name !== undefined && name.startsWith("-")) {
    const option = nearestRootOption(name)
    return option === undefined
      ? "Run `workflow-runs --help` to see the commands and the options that go before them."
      : `Did you mean \`${option}\`? Run \`workflow-runs --help\` to see the commands.`
  }
  const nearest = name === undefined ? undefined : nearestCommand(name)
  return nearest === undefined
    ? "Run `workflow-runs --help` to see the commands."
    : `Did you mean \`workflow-runs ${nearest}\`? Run \`workflow-runs --help\` to see the commands.`
}

// The option before the command within two edits of a misspelt one, when exactly one is that close.
const nearestRootOption = (name: string): string | undefined => {
  const flag = name.includes("=") ? name.slice(0, name.indexOf("=")) : name
  const close = programOptions.filter((option) => editDistance(flag.toLowerCase(), option) <= 2)
  return close.length === 1 ? close[0] : undefined
}

// The command within two edits of a misspelt one, when exactly one is that close.
const nearestCommand = (name: string): string | undefined => {
  const close = [...usages.keys()].filter((command) => editDistance(name.toLowerCase(), command) <= 2)
  return close.length === 1 ? close[0] : undefined
}

const needsUsageHint = (error: unknown): boolean =>
  ValidationError.isValidationError(error) && !ValidationError.isHelpRequested(error) && !explained.has(error)

// @effect/cli reports a bad value of its own options --log-level and --completions, and a
// --log-level after the command, as an invalid command or an unknown argument, without naming
// the option. It takes their values in lowercase only.
const checkBuiltInOptions = (args: ReadonlyArray<string>): Effect.Effect<void, InvalidInput> => {
  const { index: command, rest } = commandOf(args)
  for (const [flag, accepted] of programOptionValues) {
    const { found, value } = findOptionValue(rest, flag)
    if (found && (value === undefined || !accepted.includes(value))) {
      return Effect.fail(
        new InvalidInput({
          message: `${flag} ${
            value === undefined ? "is missing its value" : `${JSON.stringify(value)} is not one of its values`
          }; give one of ${accepted.join(", ")}, in lowercase`
        })
      )
    }
  }
  const logLevel = findOptionValue(rest, "--log-level")
  if (logLevel.found && command >= 0 && command < logLevel.index) {
    return Effect.fail(
      new InvalidInput({
        message: `--log-level goes before the command, such as \`workflow-runs --log-level ${logLevel.value} ${
          rest[command]
        }\``
      })
    )
  }
  return Effect.void
}

/**
 * Returns the variables that the command in `args` (`process.argv`) requires, as one `Config`, so
 * that an error found before the command runs can list them too. A command that requires none, or
 * arguments that name no command, give `Config.succeed(undefined)`.
 *
 * @since 0.1.0
 * @category config
 */
export const settingsFor = (args: ReadonlyArray<string>): Config.Config<unknown> => {
  const { index, rest } = commandOf(args)
  const embedded = rest.includes("--embedded")
  switch (rest[index]) {
    case "serve":
      return Serve.settings({ embedded })
    case "invoke":
      return invokeSettings(embedded)
    case "runs":
    case "history":
    case "verify":
    case "rebuild":
    case "migrate":
      return embedded ? Config.succeed(undefined) : Database.urlConfig
    default:
      return Config.succeed(undefined)
  }
}

// @effect/cli's wizard prompts for options on standard input, so without a terminal it waits forever.
const checkWizard = (args: ReadonlyArray<string>, interactive: boolean): Effect.Effect<void, InvalidInput> =>
  interactive || !args.slice(2).includes("--wizard") ? Effect.void : Effect.fail(
    new InvalidInput({
      message: "--wizard needs a terminal on standard input; pass the command's options instead"
    })
  )

/**
 * Runs the CLI with the given arguments (`process.argv`). An option that takes one value and is
 * given twice fails with {@link InvalidInput} before the command runs, as does `--wizard` when
 * `interactive` (by default, whether standard input is a terminal) is false. A usage error of
 * @effect/cli's own is followed by the help command to run, and by the nearest command or option
 * when the error names a misspelt one. Help leaves out @effect/cli's filler paragraphs and names
 * the program in a subcommand's usage line.
 *
 * @since 0.1.0
 * @category commands
 */
export const run = (args: ReadonlyArray<string>, interactive: boolean = process.stdin.isTTY === true) =>
  Effect.zipRight(
    Effect.all([checkWizard(args, interactive), checkBuiltInOptions(args), checkRepeatedOptions(args)], {
      discard: true
    }),
    runCommand(args)
  ).pipe(
    // @effect/cli lists its own options under every command, where they are rejected; the root
    // command's description names them instead.
    Effect.provide(CliConfig.layer({ showBuiltIns: false })),
    Effect.tapError((error) => needsUsageHint(error) ? Console.error(usageHint(args)) : Effect.void),
    (effect) =>
      Effect.flatMap(Effect.console, (console) =>
        Effect.withConsole(
          effect,
          Output.tidyHelp(console, { program: "workflow-runs", subcommands: new Set(usages.keys()) })
        ))
  )
