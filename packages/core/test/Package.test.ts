import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

// Builds the package, packs it with pnpm and installs the tarball with npm into a scratch project
// outside the workspace, so nothing resolves through the workspace's node_modules or the
// `source` condition. Needs the npm registry for `effect` and `typescript`.

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const seedFixture = fileURLToPath(new URL("fixtures/invoke-workflow-response.json", import.meta.url))
const effectVersion = "3.22.4"
const typescriptVersion = "5.9.3"
const nodeTypesVersion = "20.19.43"

// pnpm passes its settings to scripts as npm_config_* variables, which would reconfigure the
// scratch project's npm.
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(npm|pnpm)_/i.test(key))
)

const run = (command: string, args: ReadonlyArray<string>, cwd: string): string =>
  execFileSync(command, args, { cwd, env: cleanEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

const consumerScript = `import { readFileSync } from "node:fs"
import { RunState, WorkflowRun } from "@workflow-runs/core"
import * as Timestamp from "@workflow-runs/core/Timestamp"
import { Either, Schema } from "effect"

const json = JSON.parse(readFileSync(new URL("./invoke-workflow-response.json", import.meta.url), "utf8"))
const run = Schema.decodeUnknownSync(WorkflowRun.WorkflowRun)(json)
const encoded = Schema.encodeSync(WorkflowRun.WorkflowRun)(run)
const events = Either.getOrThrow(RunState.transitionsFrom(RunState.initial, run))
console.log("node " + process.versions.node)
console.log("status " + run.status)
console.log("run " + run.id)
console.log("round trip " + (JSON.stringify(encoded) === JSON.stringify(json)))
console.log("events " + events.map((event) => event._tag).join(","))
console.log("timestamp " + Schema.encodeSync(Timestamp.Timestamp)(run.created))
`

const consumerTypes = `import { RunState, WorkflowRun } from "@workflow-runs/core"
import { Either, Option, Schema } from "effect"

declare const json: unknown
const run: WorkflowRun.WorkflowRun = Schema.decodeUnknownSync(WorkflowRun.WorkflowRun)(json)
const startedAt: Option.Option<unknown> = run.startedAt
const events: Either.Either<ReadonlyArray<unknown>, RunState.InvalidRunTransition> = RunState.transitionsFrom(
  RunState.initial,
  run
)
export { events, startedAt }
`

describe("Package", () => {
  let scratch: string
  let tarball: string
  let project: string

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), "workflow-runs-core-pack-"))
    project = join(scratch, "project")
    run("pnpm", ["--filter", "@workflow-runs/core", "build"], packageDir)
    run("pnpm", ["pack", "--pack-destination", scratch], packageDir)
    const [name] = readdirSync(scratch).filter((file) => file.endsWith(".tgz"))
    if (name === undefined) throw new Error(`pnpm pack wrote no tarball into ${scratch}`)
    tarball = join(scratch, name)

    mkdirSync(project)
    run("npm", ["init", "-y"], project)
    run("npm", [
      "install",
      "--save-exact",
      "--no-audit",
      "--no-fund",
      tarball,
      `effect@${effectVersion}`,
      `typescript@${typescriptVersion}`,
      `@types/node@${nodeTypesVersion}`
    ], project)
    copyFileSync(seedFixture, join(project, "invoke-workflow-response.json"))
  }, 240_000)

  afterAll(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
  })

  it("packs a manifest without workspace-only settings", () => {
    const manifest = run("tar", ["-xzOf", tarball, "package/package.json"], scratch)
    expect(manifest).not.toContain("workspace:")
    const parsed = JSON.parse(manifest)
    expect(parsed.exports["."].default).toBe("./dist/index.js")
    // The workspace-only `source` condition must not reach users, whose tooling may set it.
    expect(JSON.stringify(parsed.exports)).not.toContain("source")
    expect(parsed.peerDependencies.effect).toMatch(/^\^3\./)
  })

  it("packs the built JavaScript and declarations", () => {
    const files = run("tar", ["-tzf", tarball], scratch).split("\n")
    expect(files).toContain("package/dist/index.js")
    expect(files).toContain("package/dist/index.d.ts")
    expect(files).toContain("package/dist/WorkflowRun.js")
    expect(files.some((file) => file.includes("/test/"))).toBe(false)
  })

  it("decodes the invoke response with plain node", () => {
    writeFileSync(join(project, "check.mjs"), consumerScript)
    const output = run(process.execPath, ["check.mjs"], project).split("\n")
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(20)
    expect(output).toContain(`node ${process.versions.node}`)
    expect(output).toContain("status started")
    expect(output).toContain("run wfrun_test_61UTL7vuMHzp5fHTd16TT0rUFzSQLefl99yAJBArITFo")
    expect(output).toContain("round trip true")
    expect(output).toContain("events RunStarted")
    expect(output).toContain("timestamp 2026-04-08T14:33:27.076Z")
  }, 60_000)

  it("keeps internal modules private", () => {
    writeFileSync(join(project, "internal.mjs"), `import "@workflow-runs/core/internal/uuid"\n`)
    expect(() => run(process.execPath, ["internal.mjs"], project)).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/)
  }, 60_000)

  it("typechecks a consumer under NodeNext", () => {
    writeFileSync(join(project, "consumer.mts"), consumerTypes)
    const tsc = join(project, "node_modules", "typescript", "bin", "tsc")
    const args = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext"]
    const output = run(
      process.execPath,
      [tsc, ...args, "--target", "es2022", "--types", "node", "consumer.mts"],
      project
    )
    expect(output).toBe("")
    expect(readFileSync(join(project, "package.json"), "utf8")).toContain(`"effect": "${effectVersion}"`)
  }, 120_000)
})
