import * as NodeContext from "@effect/platform-node/NodeContext"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Ids } from "@workflow-runs/core"
import { AnchorText, AppConfig, Cli, Output, Projector } from "@workflow-runs/projector"
import { DefaultWorkflows, Simulator } from "@workflow-runs/simulator"
import { Database, Migrations, RecordingWorkflows } from "@workflow-runs/store"
import { ConfigError, ConfigProvider, Context, Effect, type Exit, Layer, Redacted } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  eventually,
  historyTypes,
  newSecret,
  recordingFor,
  startProjector,
  testDatabaseUrl
} from "./support/harness.js"

// The error an exit failed with, if it failed with one.
const failureOf = (exit: Exit.Exit<unknown, unknown>): unknown =>
  exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined

// Runs the CLI with `args` and `env`, recording what it prints.
const runCli = (args: ReadonlyArray<string>, env: ReadonlyMap<string, string>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const record = (...items: ReadonlyArray<unknown>) =>
      Effect.sync(() => {
        lines.push(...items.map(String).join(" ").split("\n"))
      })
    const console = yield* Effect.console
    // Tests have no terminal on standard input, wherever they run.
    const exit = yield* Cli.run(["node", "workflow-runs", ...args], false).pipe(
      Effect.withConsole({ ...console, log: record, info: record, error: record }),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(env))),
      Effect.provide(NodeContext.layer),
      Effect.exit
    )
    return { exit, text: lines.join("\n") }
  })

// Runs the CLI, expects it to fail with a ConfigError and returns the error's description.
const configErrorOf = (args: ReadonlyArray<string>, env: ReadonlyMap<string, string>) =>
  Effect.map(runCli(args, env), ({ exit }) => {
    const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
    expect(ConfigError.isConfigError(error)).toBe(true)
    return AppConfig.describeError(error as ConfigError.ConfigError)
  })

describe("Cli", () => {
  it.live("names every missing or invalid variable of serve", () =>
    Effect.gen(function*() {
      const { exit } = yield* runCli(["serve"], new Map([["PORT", "http"], ["AUDIT_API_TOKEN", "short"]]))
      expect(exit._tag).toBe("Failure")
      const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(ConfigError.isConfigError(error)).toBe(true)
      const message = AppConfig.describeError(error as ConfigError.ConfigError)
      expect(message).toContain("PORT is invalid")
      expect(message).toContain(
        "STRIPE_WEBHOOK_SECRET is missing: set it to the event destination's signing secret (whsec_...)"
      )
      expect(message).toContain("AUDIT_API_TOKEN is invalid: Expected a token of at least 16 characters")
      expect(message).toContain("DATABASE_URL is missing: set it in the environment, or pass --embedded")
      expect(message).toContain("STRIPE_API_KEY is missing: set it to your secret key (sk_test_... or sk_live_...)")
    }))

  it.live("lists every invalid invoke variable", () =>
    Effect.gen(function*() {
      const message = yield* configErrorOf(["invoke", "wf_1"], new Map([["STRIPE_API_BASE", "notaurl"]]))
      expect(message).toContain("STRIPE_API_KEY is missing")
      expect(message).toContain("STRIPE_API_BASE is invalid")
      expect(message).toContain("DATABASE_URL is missing: set it in the environment, or pass --embedded")
    }))

  it.live("names an invalid SHUTDOWN_TIMEOUT and its value", () =>
    Effect.gen(function*() {
      const message = yield* configErrorOf(["serve", "--embedded"], new Map([["SHUTDOWN_TIMEOUT", "soon"]]))
      expect(message).toContain("SHUTDOWN_TIMEOUT is invalid: Expected a positive duration with a unit")
      expect(message).toContain("got \"soon\"")
    }))

  it.live("rejects a webhook secret without whsec_", () =>
    Effect.gen(function*() {
      const other = "sk_test_pasted_by_mistake_0123456789"
      const { exit } = yield* runCli(
        ["serve", "--embedded"],
        new Map([["STRIPE_WEBHOOK_SECRET", `whsec_first,${other}`]])
      )
      const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(ConfigError.isConfigError(error)).toBe(true)
      const message = AppConfig.describeError(error as ConfigError.ConfigError)
      expect(message).toContain("STRIPE_WEBHOOK_SECRET is invalid: secret 2 of 2 does not start with whsec_")
      expect(message).toContain("the signing secret of the event destination (whsec_...)")
      expect(message).not.toContain(other)
      expect(message).not.toContain("whsec_first")
    }))

  it.live("explains an invalid PORT or duration", () =>
    Effect.gen(function*() {
      const { exit } = yield* runCli(
        ["serve", "--embedded"],
        new Map([["PORT", "99999"], ["RECONCILE_INTERVAL", "0"], ["RECONCILE_STALE_AFTER", "0 seconds"]])
      )
      const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(ConfigError.isConfigError(error)).toBe(true)
      const message = AppConfig.describeError(error as ConfigError.ConfigError)
      expect(message).toContain("PORT is invalid: Expected a port number from 1 to 65535, such as 8080, got \"99999\"")
      expect(message).toContain(
        "RECONCILE_INTERVAL is invalid: Expected a positive duration with a unit, such as \"30 seconds\" or \"500 millis\", got \"0\""
      )
      expect(message).toContain(
        "RECONCILE_STALE_AFTER is invalid: Expected a positive duration with a unit, such as \"1 minute\""
      )
    }))

  it.live("lists an invalid DATABASE_URL with the other variables", () =>
    Effect.gen(function*() {
      const url = "mysql://admin:hunter2-secret@db.internal/runs"
      const { exit } = yield* runCli(["serve"], new Map([["DATABASE_URL", url], ["PORT", "99999"]]))
      const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(ConfigError.isConfigError(error)).toBe(true)
      const message = AppConfig.describeError(error as ConfigError.ConfigError)
      expect(message).toContain(
        "DATABASE_URL is invalid: Expected a PostgreSQL URL such as postgres://user:password@127.0.0.1:5432/database"
      )
      expect(message).toContain("PORT is invalid")
      // Only the scheme is quoted: the rest of a URL may contain a password.
      expect(message).toContain("but its scheme is \"mysql:\"; use postgres:// or postgresql://")
      expect(message).not.toContain("hunter2-secret")
      expect(message).not.toContain("db.internal")
    }))

  it.live("rejects an invalid --shutdown-timeout", () =>
    Effect.gen(function*() {
      const { exit } = yield* runCli(["serve", "--shutdown-timeout", "0 seconds"], new Map())
      const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(error).toBeInstanceOf(Cli.InvalidInput)
      expect((error as Cli.InvalidInput).message).toContain("--shutdown-timeout is invalid")
      expect((error as Cli.InvalidInput).message).toContain("got \"0 seconds\"")
    }))

  it("colours output only on a terminal without NO_COLOR", () => {
    expect(Output.usesColor({ isTTY: true }, {})).toBe(true)
    expect(Output.usesColor({ isTTY: true }, { NO_COLOR: "" })).toBe(true)
    expect(Output.usesColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false)
    expect(Output.usesColor({ isTTY: false }, {})).toBe(false)
    expect(Output.usesColor({}, {})).toBe(false)
  })

  it.live("strips colours from output that takes none", () =>
    Effect.gen(function*() {
      const written: Array<unknown> = []
      const console = yield* Effect.console
      const capture = {
        ...console,
        log: (...items: ReadonlyArray<unknown>) => Effect.sync(() => written.push(...items)),
        error: (...items: ReadonlyArray<unknown>) => Effect.sync(() => written.push(...items))
      }
      const plain = Output.plainWhereNoColor(capture, { stdout: false, stderr: true })
      yield* plain.log("\u001b[1mUSAGE\u001b[0m")
      yield* plain.error("\u001b[31mred\u001b[0m")
      expect(written).toEqual(["USAGE", "\u001b[31mred\u001b[0m"])
    }))

  it.live("shows --param as optional and describes --idempotency-key", () =>
    Effect.gen(function*() {
      const printed = yield* runCli(["invoke", "--help"], new Map())
      // eslint-disable-next-line no-control-regex
      const text = printed.text.replaceAll(/\u001b\[[0-9;]*m/g, "")
      expect(text).toContain("[--param text...]")
      expect(text).toContain("it replaces the same key of --input")
      expect(text).toMatch(/--idempotency-key text\n\n {2}The key Stripe deduplicates/)
      expect(text).not.toContain("A user-defined piece of text.")
    }))

  it.live("describes every runs filter in its help", () =>
    Effect.gen(function*() {
      const printed = yield* runCli(["runs", "--help"], new Map())
      // eslint-disable-next-line no-control-regex
      const text = printed.text.replaceAll(/\u001b\[[0-9;]*m/g, "")
      expect(text).toMatch(/--workflow text\n\n {2}Only runs of this workflow id/)
      expect(text).toMatch(/--status started \| succeeded \| failed\n\n {2}Only runs in this status/)
      expect(text).toMatch(/--after text\n\n {2}The cursor printed under the previous page/)
      // @effect/cli's filler for options that take text, and for flags.
      expect(text).not.toContain("A user-defined piece of text.")
      expect(text).not.toContain("A true or false value.")
      expect(text).toMatch(
        /--from text\n\n {2}Runs started at or after this ISO 8601 date \(2026-05-01, midnight UTC\)/
      )
      // @effect/cli's own options are accepted only before the command, and the root's help names them.
      expect(text).not.toContain("--log-level")
      const root = yield* runCli(["--help"], new Map())
      expect(root.text).toContain("--log-level LEVEL")
    }))

  it.live("checks the program's own options", () =>
    Effect.gen(function*() {
      const levels = "give one of all, trace, debug, info, warning, error, fatal, none, in lowercase"
      const shells = "give one of sh, bash, fish, zsh, in lowercase"
      const cases: ReadonlyArray<[ReadonlyArray<string>, string]> = [
        [["--log-level", "verbose", "runs"], `--log-level "verbose" is not one of its values; ${levels}`],
        // @effect/cli takes the levels in lowercase only.
        [["--log-level", "Debug", "runs"], `--log-level "Debug" is not one of its values; ${levels}`],
        [["--log-level"], `--log-level is missing its value; ${levels}`],
        [
          ["runs", "--log-level", "debug"],
          "--log-level goes before the command, such as `workflow-runs --log-level debug runs`"
        ],
        [["--completions", "tcsh"], `--completions "tcsh" is not one of its values; ${shells}`],
        [["--completions"], `--completions is missing its value; ${shells}`]
      ]
      for (const [args, message] of cases) {
        const { exit } = yield* runCli(args, new Map())
        const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error, args.join(" ")).toBeInstanceOf(Cli.InvalidInput)
        expect((error as Cli.InvalidInput).message).toBe(message)
      }
      const misspelt = yield* runCli(["--helpp"], new Map())
      expect(misspelt.text).toContain("Did you mean `--help`? Run `workflow-runs --help` to see the commands.")
      // The hints look past the program's own options to the command and its arguments.
      const command = yield* runCli(["--log-level", "debug", "rnus"], new Map())
      expect(command.text).toContain("Did you mean `workflow-runs runs`?")
      const option = yield* runCli(["--log-level", "debug", "runs", "--statsu", "failed"], new Map())
      expect(option.text).toContain("Did you mean `--status`? Run `workflow-runs runs --help`")
    }))

  it.live("rejects the wizard without a terminal", () =>
    Effect.gen(function*() {
      const { exit } = yield* runCli(["runs", "--wizard"], new Map())
      const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(error).toBeInstanceOf(Cli.InvalidInput)
      expect((error as Cli.InvalidInput).message).toBe(
        "--wizard needs a terminal on standard input; pass the command's options instead"
      )
    }))

  it.live("describes history's run and serve's duration", () =>
    Effect.gen(function*() {
      const history = yield* runCli(["history", "--help"], new Map())
      expect(history.text).toContain("The run id (wfrun_...) whose events to print")
      expect(history.text).toContain("$ workflow-runs history [--embedded] <run>")
      const serve = yield* runCli(["serve", "--help"], new Map())
      expect(serve.text).toContain("[--shutdown-timeout duration]")
    }))

  it.live("prints the help command after usage errors", () =>
    Effect.gen(function*() {
      const missing = yield* runCli(["history"], new Map())
      expect(missing.text).toContain("Missing argument <run>")
      expect(missing.text).toContain("Run `workflow-runs history --help` to see its arguments and options.")
      const unknown = yield* runCli(["runs", "--limt", "5"], new Map())
      expect(unknown.text).toContain(
        "Did you mean `--limit`? Run `workflow-runs runs --help` to see its arguments and options."
      )
      const unlike = yield* runCli(["runs", "--frobnicate"], new Map())
      expect(unlike.text).toContain("Run `workflow-runs runs --help` to see its arguments and options.")
      expect(unlike.text).not.toContain("Did you mean")
      // `--workflow`'s value is not an option, though it starts with "-".
      const valued = yield* runCli(["runs", "--workflow", "-wf", "--statsu", "failed"], new Map())
      expect(valued.text).toContain("Did you mean `--status`?")
      const command = yield* runCli(["frob"], new Map())
      expect(command.text).toContain("Run `workflow-runs --help` to see the commands.")
      expect(command.text).not.toContain("Did you mean")
      const misspelt = yield* runCli(["histroy", "wfrun_1"], new Map())
      expect(misspelt.text).toContain(
        "Did you mean `workflow-runs history`? Run `workflow-runs --help` to see the commands."
      )
      // The option's message already names the accepted values.
      const status = yield* runCli(["runs", "--status", "bogus"], new Map())
      expect(status.text).toContain("--status must be one of")
      expect(status.text).not.toContain("--help")
    }))

  it.live("reading commands create no log", () =>
    Effect.gen(function*() {
      const url = yield* testDatabaseUrl
      const env = new Map([["DATABASE_URL", Redacted.value(url)]])
      const commands = [["runs"], ["history", "wfrun_test_1"], ["verify"], ["rebuild"]]
      for (const args of commands) {
        const { exit } = yield* runCli(args, env)
        const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect((error as { _tag?: string } | undefined)?._tag, args[0]).toBe("LogNotFound")
      }
      const client = yield* Layer.build(Database.layerClient({ url, maxConnections: 1 }))
      const tables = yield* Context.get(client, SqlClient.SqlClient)<{ n: number }>`
        select count(*)::int as n from information_schema.tables where table_schema = 'public'`
      expect(tables[0]!.n).toBe(0)
    }).pipe(Effect.scoped), 60_000)

  it.live("fails naming the run when history has no such run", () =>
    Effect.gen(function*() {
      const url = yield* testDatabaseUrl
      const runId = "wfrun_test_notrecorded000000000000000000000000000000"
      yield* runCli(["migrate"], new Map([["DATABASE_URL", Redacted.value(url)]]))
      const { exit } = yield* runCli(["history", runId], new Map([["DATABASE_URL", Redacted.value(url)]]))
      expect(exit._tag).toBe("Failure")
      const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(error).toBeInstanceOf(Cli.RunNotInLog)
      expect((error as Cli.RunNotInLog).message).toContain(`Run ${runId} is not in the log`)
    }).pipe(Effect.scoped), 60_000)

  it.live("rejects a bad runs filter before querying", () =>
    Effect.gen(function*() {
      const url = yield* testDatabaseUrl
      const env = new Map([["DATABASE_URL", Redacted.value(url)]])
      yield* runCli(["migrate"], env)
      const cases: ReadonlyArray<[ReadonlyArray<string>, string]> = [
        [["--workflow", "wf/1"], "--workflow \"wf/1\" is not a workflow id; pass one such as wf_..."],
        [["--workflow", ".."], "--workflow \"..\" is not a workflow id"],
        [["--from", "1"], "--from \"1\" is not an ISO 8601 date or time"],
        [["--from", "-271821-04-20T00:00:00Z"], "--from \"-271821-04-20T00:00:00Z\" is not an ISO 8601"],
        [["--to", "2026-05-01T10:00:00"], "--to \"2026-05-01T10:00:00\" is not an ISO 8601"],
        [["--from", "2026-05-01T10:00:00.1234567891Z"], "(at most nine digits after the seconds)"]
      ]
      for (const [args, message] of cases) {
        const { exit } = yield* runCli(["runs", ...args], env)
        const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error).toBeInstanceOf(Cli.InvalidInput)
        expect((error as Cli.InvalidInput).message).toContain(message)
      }
      for (const limit of ["0", "-5", "1001"]) {
        const { exit, text } = yield* runCli(["runs", "--limit", limit], env)
        expect(exit._tag, limit).toBe("Failure")
        expect(text, limit).toContain("--limit must be an integer from 1 to 1000")
      }
      const { exit, text: empty } = yield* runCli(
        ["runs", "--from", "2026-05-01", "--to", "2026-05-02T00:00:00+02:00"],
        env
      )
      expect(exit._tag).toBe("Success")
      expect(empty).toBe("No runs match these filters.")
      // This database contains no run at all.
      const unfiltered = yield* runCli(["runs"], env)
      expect(unfiltered.exit._tag).toBe("Success")
      expect(unfiltered.text).toBe("The log has no runs yet.")
    }).pipe(Effect.scoped), 60_000)

  it.live("names each invalid runs option", () =>
    Effect.gen(function*() {
      const url = yield* testDatabaseUrl
      const env = new Map([["DATABASE_URL", Redacted.value(url)]])
      yield* runCli(["migrate"], env)
      const cases: ReadonlyArray<[ReadonlyArray<string>, string]> = [
        [["--status", "bogus"], "--status must be one of started, succeeded, failed, got \"bogus\""],
        [["--limit", "abc"], "--limit must be an integer from 1 to 1000, such as 50, got \"abc\""],
        [["--limit", "2.5"], "--limit must be an integer from 1 to 1000, such as 50, got \"2.5\""]
      ]
      for (const [args, message] of cases) {
        const { exit, text } = yield* runCli(["runs", ...args], env)
        expect(exit._tag, args.join(" ")).toBe("Failure")
        expect(text, args.join(" ")).toContain(message)
      }
      const repeated = yield* runCli(["runs", "--from", "2026-05-01", "--from=2026-05-02", "--status", "failed"], env)
      const error = repeated.exit._tag === "Failure" && repeated.exit.cause._tag === "Fail"
        ? repeated.exit.cause.error
        : undefined
      expect(error).toBeInstanceOf(Cli.InvalidInput)
      expect((error as Cli.InvalidInput).message).toBe(
        "--from is given twice (\"2026-05-01\", \"2026-05-02\"); give it at most once"
      )
      // A value that looks like an option is the value of the option before it, here a workflow id.
      const valued = yield* runCli(["runs", "--workflow", "--from", "--from", "2026-05-01"], env)
      expect(valued.exit._tag).toBe("Success")
      const lastIsValue = yield* runCli(["runs", "--workflow", "--status"], env)
      expect(lastIsValue.exit._tag).toBe("Success")
      for (
        const [args, message] of [
          [
            ["runs", "--status"],
            "--status is missing its value (started | succeeded | failed); give it after the option"
          ],
          [["runs", "--limit", "5", "--from"], "--from is missing its value (text); give it after the option"]
        ] as const
      ) {
        const missing = yield* runCli(args, env)
        const error = missing.exit._tag === "Failure" && missing.exit.cause._tag === "Fail"
          ? missing.exit.cause.error
          : undefined
        expect(error, args.join(" ")).toBeInstanceOf(Cli.InvalidInput)
        expect((error as Cli.InvalidInput).message).toBe(message)
      }
    }).pipe(Effect.scoped), 60_000)

  it.live("rejects a --from after --to", () =>
    Effect.gen(function*() {
      const url = yield* testDatabaseUrl
      const env = new Map([["DATABASE_URL", Redacted.value(url)]])
      yield* runCli(["migrate"], env)
      const { exit } = yield* runCli(["runs", "--from", "2026-05-02", "--to", "2026-05-01T23:00:00Z"], env)
      const error = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(error).toBeInstanceOf(Cli.TimeRangeReversed)
      expect(error).toMatchObject({ from: "2026-05-02", to: "2026-05-01T23:00:00Z" })
      expect((error as Cli.TimeRangeReversed).message).toBe(
        "--from \"2026-05-02\" is after --to \"2026-05-01T23:00:00Z\", so no run can match: give the earlier time as --from"
      )
      const same = yield* runCli(["runs", "--from", "2026-05-01", "--to", "2026-05-01T00:00:00Z"], env)
      expect(same.exit._tag).toBe("Success")
    }).pipe(Effect.scoped), 60_000)

  it.live("invokes, lists, prints a timeline and verifies against an anchor", () =>
    Effect.gen(function*() {
      const url = yield* testDatabaseUrl
      const simulator = yield* Simulator.make({})
      const secret = newSecret()
      const client = yield* Layer.build(Database.layer({ url, maxConnections: 8 }))
      const projector = yield* startProjector(simulator, [secret]).pipe(Effect.provide(client))
      yield* simulator.registerDestination({ url: `${projector}/webhooks/stripe`, secret })
      const env = new Map([
        ["DATABASE_URL", Redacted.value(url)],
        ["STRIPE_API_KEY", simulator.apiKey],
        ["STRIPE_API_BASE", simulator.url]
      ])

      const invoked = yield* runCli([
        "invoke",
        DefaultWorkflows.onboardCustomer,
        "--input",
        "{\"amount\":5000}",
        "--param",
        "customer_id=cus_cli",
        "--param",
        "tags=[\"cli\"]",
        "--idempotency-key",
        "cli-test-key"
      ], env)
      expect(invoked.exit._tag).toBe("Success")
      const runId = /Run (wfrun_\S+)/.exec(invoked.text)?.[1] ?? ""
      expect(runId).toMatch(/^wfrun_/)

      yield* eventually(
        "the run to succeed in the log",
        Effect.map(runCli(["history", runId], env), ({ text }) => text.includes("RunSucceeded"))
      )
      const history = yield* runCli(["history", runId], env)
      expect(history.text).toMatch(/RunStarted\s+invoke\s+key cli-test-key/)

      const listed = yield* runCli(
        ["runs", "--workflow", DefaultWorkflows.onboardCustomer, "--status", "succeeded"],
        env
      )
      expect(listed.text.split("\n")[0]).toMatch(/^RUN\s+WORKFLOW\s+STATUS/)
      expect(listed.text).toContain(runId)

      const verified = yield* runCli(["verify", "--full-anchor"], env)
      const anchor = /Anchor .*: (wrc1\.\S+)/.exec(verified.text)?.[1] ?? ""
      const fullAnchor = /Per-stream anchor: (wra1\.\S+)/.exec(verified.text)?.[1] ?? ""
      expect(verified.text).toMatch(/^Verified: 2 stream\(s\), 4 event\(s\)/)
      // The compact anchor covers events whose transactions had all ended, which on a server shared
      // with other sessions may leave out the newest ones.
      const [, anchoredEvents, anchoredStreams] = /^wrc1\.(\d+)\.(\d+)\.[0-9a-f]{64}$/.exec(anchor) ?? []
      expect(Number(anchoredEvents)).toBeLessThanOrEqual(4)
      expect(Number(anchoredStreams)).toBeLessThanOrEqual(2)
      expect(verified.text).not.toContain("The expected anchor matches")
      const again = yield* runCli(["verify", "--expect", anchor], env)
      expect(again.exit._tag).toBe("Success")
      expect(again.text).not.toContain("Per-stream anchor")
      expect(again.text).toContain(
        `The expected anchor matches: the first ${anchoredEvents} event(s) it covers are unchanged`
      )
      const againFull = yield* runCli(["verify", "--expect", fullAnchor], env)
      expect(againFull.exit._tag).toBe("Success")
      expect(againFull.text).toContain("The expected anchor matches: each of its 2 stream(s) still has its hash")

      // The auditor keeps the anchor in a file and passes its path after @.
      const directory = mkdtempSync(join(tmpdir(), "workflow-runs-anchor-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(directory, { recursive: true, force: true })))
      writeFileSync(join(directory, "anchor.txt"), `${anchor}\n`)
      const fromFile = yield* runCli(["verify", "--expect", `@${join(directory, "anchor.txt")}`], env)
      expect(fromFile.exit._tag).toBe("Success")
      const missingFile = yield* runCli(["verify", "--expect", `@${join(directory, "missing.txt")}`], env)
      const missingError = failureOf(missingFile.exit)
      expect(missingError).toBeInstanceOf(AnchorText.InvalidAnchor)
      expect((missingError as AnchorText.InvalidAnchor).message).toContain("Could not read the anchor file")
      writeFileSync(join(directory, "empty.txt"), "")
      const emptyFile = yield* runCli(["verify", "--expect", `@${join(directory, "empty.txt")}`], env)
      const emptyError = failureOf(emptyFile.exit)
      expect(emptyError).toBeInstanceOf(AnchorText.InvalidAnchor)
      expect((emptyError as AnchorText.InvalidAnchor).message).toContain("is empty; pass @ and the path of a file")

      const invalid = yield* runCli(["verify", "--expect", "wra1.bm90"], env)
      expect(invalid.exit._tag).toBe("Failure")
      const invalidError = invalid.exit._tag === "Failure" && invalid.exit.cause._tag === "Fail"
        ? invalid.exit.cause.error
        : undefined
      expect((invalidError as AnchorText.InvalidAnchor).message).toContain(
        "\"wra1.bm90\" starts with wra1. but is not a per-stream anchor token"
      )
      const wrong = anchor.replace(/\.[0-9a-f]{64}$/, `.${"0".repeat(64)}`)
      const mismatched = yield* runCli(["verify", "--expect", wrong], env)
      expect(mismatched.exit._tag).toBe("Failure")
      expect(mismatched.text).toContain("FAILED")
      expect(mismatched.text).toContain(
        `the expected anchor does not match the log: the heads of the first ${anchoredEvents} event(s) no longer match the anchor`
      )
      expect(mismatched.text.split(`first ${anchoredEvents} event(s)`).length).toBe(2)
      expect(mismatched.text).not.toContain("Anchor (keep it")
      const mismatchError = mismatched.exit._tag === "Failure" && mismatched.exit.cause._tag === "Fail"
        ? mismatched.exit.cause.error
        : undefined
      expect(mismatchError).toBeInstanceOf(Cli.VerificationFailed)
    }).pipe(Effect.scoped), 60_000)

  it.live("migrate creates the schema on an empty database, and again changes nothing", () =>
    Effect.gen(function*() {
      const url = yield* testDatabaseUrl
      const client = yield* Layer.build(Database.layerClient({ url, maxConnections: 1 }))
      const sql = Context.get(client, SqlClient.SqlClient)
      const schema = sql<{ name: string }>`
        select table_name as name from information_schema.tables where table_schema = 'public' order by 1`
      const env = new Map([["DATABASE_URL", Redacted.value(url)]])
      expect(yield* schema).toEqual([])

      const migrations = sql<{ id: number }>`select migration_id as id from ${sql(Migrations.table)} order by 1`

      const first = yield* runCli(["migrate"], env)
      const created = yield* schema
      const applied = yield* migrations
      const second = yield* runCli(["migrate"], env)

      const keys = Object.keys(Migrations.migrations)
      const last = keys.at(-1)!
      const current = `migration ${Number.parseInt(last, 10)} (${last.replace(/^\d+_/, "")})`
      expect(first.exit._tag).toBe("Success")
      expect(first.text).toBe(
        `Applied ${keys.length} migration(s): ${keys.join(", ")}; the database schema is now up to date at ${current}`
      )
      expect(created.map((table) => table.name)).toEqual(
        expect.arrayContaining([
          "run_events",
          "workflow_runs",
          "invocations",
          "webhook_inbox",
          "projection_checkpoints"
        ])
      )
      expect(second.exit._tag).toBe("Success")
      expect(second.text).toBe(`The database schema was already up to date at ${current}`)
      expect(yield* schema).toEqual(created)
      expect(applied.length).toBeGreaterThan(0)
      expect(yield* migrations).toEqual(applied)

      // A database that a later version migrated further.
      yield* sql`insert into ${sql(Migrations.table)} (migration_id, name) values (${
        keys.length + 1
      }, 'from_a_later_version')`
      const newer = yield* runCli(["migrate"], env)
      expect(newer.exit._tag).toBe("Success")
      expect(newer.text).toBe(
        `The database schema is at migration ${
          keys.length + 1
        } (from_a_later_version), newer than this version's latest, ${
          current.replace("migration ", "")
        }; upgrade workflow-runs before serving this database`
      )
    }).pipe(Effect.scoped), 60_000)

  it.live("rebuild prints its progress and restores the projection the projector wrote", () =>
    Effect.gen(function*() {
      const url = yield* testDatabaseUrl
      const simulator = yield* Simulator.make({})
      const secret = newSecret()
      const client = yield* Layer.build(
        Projector.services.pipe(Layer.provideMerge(Database.layer({ url, maxConnections: 8 })))
      )
      const projector = yield* startProjector(simulator, [secret]).pipe(Effect.provide(client))
      yield* simulator.registerDestination({ url: `${projector}/webhooks/stripe`, secret })
      const runIds = yield* Effect.forEach(
        [DefaultWorkflows.onboardCustomer, DefaultWorkflows.anyInput, DefaultWorkflows.anyInput],
        (workflow, n) =>
          Effect.map(
            RecordingWorkflows.invokeWorkflow(Ids.WorkflowId.make(workflow), {
              amount: 5000,
              customer_id: `cus_rebuild_${n}`
            }, { idempotencyKey: `cli-rebuild-${n}-${newSecret()}`, actor: "test" }),
            (run) => run.id
          )
      ).pipe(Effect.provide(recordingFor(simulator)), Effect.provide(client))
      yield* eventually(
        "every run finished in the log",
        Effect.map(
          Effect.forEach(runIds, historyTypes),
          (histories) => histories.every((types) => types.length === 2)
        ).pipe(Effect.provide(client))
      )
      const sql = Context.get(client, SqlClient.SqlClient)
      const projection = sql`
        select run_id, version, status, workflow_id, livemode, trigger_type, input_parameters, error_message,
          started_at, finished_at, encode(head_hash, 'hex') as head_hash
        from workflow_runs order by run_id`
      const inline = yield* projection
      // A projection that drifted from the log: one row gone, another wrong.
      yield* sql`delete from workflow_runs where run_id = ${runIds[0]!}`
      yield* sql`update workflow_runs set status = 'started', finished_at = null where run_id = ${runIds[1]!}`

      const rebuilt = yield* runCli(["rebuild"], new Map([["DATABASE_URL", Redacted.value(url)]]))

      expect(rebuilt.exit._tag).toBe("Success")
      // Open transactions of other sessions on a shared server can hold the feed's horizon back,
      // so the replay may stop short. The catch-up under the lock applies the rest before the swap.
      expect(rebuilt.text).toMatch(/^ {2}replaying +[0-6] event\(s\)$/m)
      expect(rebuilt.text).toMatch(/^ {2}swapped {5}6 event\(s\)$/m)
      expect(rebuilt.text).toMatch(/^Rebuilt \S+/m)
      expect(inline).toHaveLength(3)
      expect(yield* projection).toEqual(inline)
    }).pipe(Effect.scoped), 60_000)
})
