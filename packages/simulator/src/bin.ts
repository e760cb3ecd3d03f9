#!/usr/bin/env node
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { parseArgs } from "node:util"
import * as ApiKey from "./internal/ApiKey.js"
import * as Simulator from "./Simulator.js"

const usage = `Usage: workflow-runs-simulator [--host HOST] [--port PORT] [--api-key KEY]... [--seed SEED]

Serves a local Stripe Workflows API with the default workflows.
  --host     interface to listen on (default 127.0.0.1)
  --port     TCP port, 0 for a free one (default 12111)
  --api-key  an accepted API key; repeat for several (default ${Simulator.defaultApiKey})
  --seed     seed for reproducible ids`

const parsed = (() => {
  try {
    // `pnpm simulator -- --port 1` passes the `--` separator through to this process.
    const args = process.argv.slice(2)
    return parseArgs({
      args: args[0] === "--" ? args.slice(1) : args,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "12111" },
        "api-key": { type: "string", multiple: true },
        seed: { type: "string" },
        help: { type: "boolean", short: "h" }
      }
    }).values
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`)
    process.exit(2)
  }
})()

if (parsed.help) {
  console.log(usage)
  process.exit(0)
}

const port = Number(parsed.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer from 0 to 65535, got ${JSON.stringify(parsed.port)}\n\n${usage}`)
  process.exit(2)
}

const program = Effect.gen(function*() {
  const simulator = yield* Simulator.make({
    host: parsed.host,
    port,
    ...(parsed["api-key"] === undefined ? {} : { apiKeys: parsed["api-key"] }),
    ...(parsed.seed === undefined ? {} : { seed: parsed.seed })
  })
  // The documented test key is public; any other key given with --api-key may be a real secret.
  const shownKey = simulator.apiKey === Simulator.defaultApiKey ? simulator.apiKey : ApiKey.redact(simulator.apiKey)
  console.log(`listening on ${simulator.url}`)
  console.log(
    `api key: ${shownKey}, Stripe-Version: ${Simulator.apiVersion}, control API: ${simulator.url}${Simulator.controlPrefix}`
  )
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.tapErrorCause((cause) =>
    Effect.sync(() => {
      const failure = Cause.failureOption(cause)
      // A port in use is an expected mistake, so it gets one line with the fix and no stack trace.
      if (Option.isSome(failure) && failure.value.code === "EADDRINUSE") {
        console.error(
          `workflow-runs-simulator failed to start: ${failure.value.address} is already in use (EADDRINUSE); ` +
            `pass --port 0 for a free port, or --port PORT for another one`
        )
      } else if (Option.isSome(failure)) {
        console.error(`workflow-runs-simulator failed to start: ${failure.value.message}`)
      } else {
        console.error(`workflow-runs-simulator failed to start: ${Cause.pretty(cause)}`)
      }
    })
  )
)

NodeRuntime.runMain(program, { disableErrorReporting: true })
