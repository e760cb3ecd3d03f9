/**
 * Packs `@workflow-runs/core` and `@workflow-runs/stripe` as npm would publish them, installs
 * the tarballs with npm into a scratch project outside the workspace, and runs a plain Node
 * program that invokes a workflow against the scripted server.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import * as StripeServer from "./utils/StripeServer.js"

const run = promisify(execFile)

const packagesDirectory = fileURLToPath(new URL("../..", import.meta.url))

// The exact Effect versions of this workspace, and the peers of @effect/platform-node.
const peers = [
  "effect@3.22.4",
  "@effect/platform@0.97.2",
  "@effect/platform-node@0.108.2",
  "@effect/cluster@0.60.2",
  "@effect/rpc@0.76.2",
  "@effect/sql@0.52.1",
  "@effect/experimental@0.61.1",
  "@effect/workflow@0.19.1"
]

const program = `
import { Ids } from "@workflow-runs/core"
import { Workflows } from "@workflow-runs/stripe"
import { Effect, Redacted } from "effect"

const layer = Workflows.layer({
  apiKey: Redacted.make(process.env.STRIPE_API_KEY),
  apiBase: process.env.STRIPE_API_BASE,
  maxRetries: 0
})
const started = await Effect.runPromise(
  Workflows.invokeWorkflow(Ids.WorkflowId.make(process.env.WORKFLOW_ID), { order_id: "o_1" }).pipe(Effect.provide(layer))
)
const missing = await Effect.runPromise(
  Workflows.retrieveWorkflow(Ids.WorkflowId.make("wf_missing")).pipe(Effect.flip, Effect.provide(layer))
)
process.stdout.write(JSON.stringify({ node: process.version, id: started.id, status: started.status, missing: missing._tag }))
`

/** Builds and packs a workspace package into `destination`, returning the tarball's path. */
const pack = async (name: string, destination: string) => {
  const directory = join(packagesDirectory, name)
  await run("pnpm", ["run", "build"], { cwd: directory })
  await run("pnpm", ["pack", "--pack-destination", destination], { cwd: directory })
  const tarball = (await readdir(destination)).find((file) => file.startsWith(`workflow-runs-${name}-`))
  if (tarball === undefined) throw new Error(`pnpm pack wrote no tarball for ${name} into ${destination}`)
  return join(destination, tarball)
}

describe("packed tarballs", () => {
  it.scopedLive("install with npm and invoke a workflow from plain Node", () =>
    Effect.gen(function*() {
      const scratch = yield* Effect.acquireRelease(
        Effect.promise(() => mkdtemp(join(tmpdir(), "workflow-runs-tarball-"))),
        (directory) => Effect.promise(() => rm(directory, { recursive: true, force: true }))
      )
      const server = yield* StripeServer.start()
      const workflow = server.defineWorkflow()

      const output = yield* Effect.promise(async () => {
        const core = await pack("core", scratch)
        const stripe = await pack("stripe", scratch)
        const project = join(scratch, "project")
        await run("mkdir", [project])
        await writeFile(
          join(project, "package.json"),
          JSON.stringify({ name: "scratch", private: true, type: "module" })
        )
        await writeFile(join(project, "main.js"), program)
        await run("npm", ["install", "--no-audit", "--no-fund", "--save-exact", core, stripe, ...peers], {
          cwd: project
        })
        const { stdout } = await run("node", ["main.js"], {
          cwd: project,
          env: {
            PATH: process.env.PATH,
            STRIPE_API_KEY: server.apiKey,
            STRIPE_API_BASE: server.url,
            WORKFLOW_ID: String(workflow.id)
          }
        })
        return JSON.parse(stdout) as { node: string; id: string; status: string; missing: string }
      })

      assert.match(output.node, /^v20\./)
      assert.strictEqual(output.status, "started")
      assert.strictEqual(output.id, server.backend.allRuns()[0]?.id)
      assert.strictEqual(output.missing, "WorkflowNotFound")
    }), { timeout: 300_000 })
})
