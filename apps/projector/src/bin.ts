#!/usr/bin/env node
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Database, StoreError } from "@workflow-runs/store"
import * as Cause from "effect/Cause"
import * as ConfigError from "effect/ConfigError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as AnchorText from "./AnchorText.js"
import * as AppConfig from "./AppConfig.js"
import * as Cli from "./Cli.js"
import * as Output from "./Output.js"

// Logs go to standard error, so command output on standard output stays clean.
const loggerFor = (format: "json" | "pretty") =>
  Logger.replace(
    Logger.defaultLogger,
    format === "json" ? Logger.withConsoleError(Logger.jsonLogger) : Logger.prettyLogger({ stderr: true })
  )

// Errors in the arguments rather than the configuration or the work. They exit 2, as the
// benchmark's do, and print without a tag, as @effect/cli's own do.
const isUsageError = (error: unknown): boolean =>
  ValidationError.isValidationError(error) ||
  error instanceof Cli.InvalidInput ||
  error instanceof Cli.TimeRangeReversed ||
  error instanceof AnchorText.InvalidAnchor ||
  error instanceof StoreError.InvalidCursor

const usageExitCode = 2

// The next step for each error whose message names only what failed.
const nextSteps: Readonly<Record<string, string>> = {
  StripeConnectionError: "Check the network, or the server that STRIPE_API_BASE names when it is set, and retry."
}

const describe = (error: unknown): string => {
  if (ConfigError.isConfigError(error)) return `Invalid configuration:\n${AppConfig.describeError(error)}`
  if (isUsageError(error) && error instanceof Error) return error.message
  // The store's message points to the library's way of creating a log, so the CLI names its command.
  if (error instanceof Database.LogNotFound) {
    return `LogNotFound: no workflow-runs log found in the database at ${error.target}. Check the database name in DATABASE_URL, or create the log there with \`workflow-runs migrate\`.`
  }
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") {
    const tag = "_tag" in error && typeof error._tag === "string" ? error._tag : undefined
    const next = tag === undefined ? undefined : nextSteps[tag]
    return `${tag === undefined ? "" : `${tag}: `}${error.message}${next === undefined ? "" : `. ${next}`}`
  }
  return String(error)
}

// An invalid LOG_FORMAT stops every command before it runs, rather than logging in a format
// the operator did not ask for. The error lists it beside the command's other missing or invalid
// variables.
const main = Effect.flatMap(Effect.either(AppConfig.logFormat), (format) =>
  format._tag === "Left"
    ? Effect.flatMap(
      Effect.either(Cli.settingsFor(process.argv)),
      (others) => Effect.fail(others._tag === "Left" ? ConfigError.And(format.left, others.left) : format.left)
    )
    : Cli.run(process.argv).pipe(Effect.provide(loggerFor(format.right)))).pipe(
    Effect.exit,
    Effect.flatMap((exit) => {
      if (Exit.isSuccess(exit) || Exit.isInterrupted(exit)) return exit
      const failure = Cause.failureOption(exit.cause)
      // The CLI prints its own usage errors.
      if (failure._tag === "Some" && ValidationError.isValidationError(failure.value)) return exit
      const message = failure._tag === "Some" ? describe(failure.value) : Cause.pretty(exit.cause)
      return Effect.zipRight(Console.error(message), exit)
    }),
    Effect.provide(NodeContext.layer)
  )

// Help and usage errors are plain text when piped or when NO_COLOR is set.
const color = {
  stdout: Output.usesColor(process.stdout, process.env),
  stderr: Output.usesColor(process.stderr, process.env)
}
const program = Effect.flatMap(
  Effect.console,
  (console) => Effect.withConsole(main, Output.plainWhereNoColor(console, color))
)

const exitCode = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return 0
  const failure = Cause.failureOption(exit.cause)
  return failure._tag === "Some" && isUsageError(failure.value) ? usageExitCode : 1
}

// The pretty logger that runMain adds by default would write every line a second time, to stdout.
NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) => onExit(exitCode(exit))
})
