#!/usr/bin/env node
import * as Command from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import { walkthrough } from "./Walkthrough.js"

const demo = Command.make("demo", {}, () => walkthrough).pipe(
  Command.withDescription("Decode Stripe's invoke response and walk a run through its states")
)

const workflowRuns = Command.make("workflow-runs").pipe(
  Command.withDescription("Audit log of Stripe Workflow Runs"),
  Command.withSubcommands([demo])
)

const cli = Command.run(workflowRuns, { name: "workflow-runs", version: "0.1.0" })

cli(process.argv).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain)
