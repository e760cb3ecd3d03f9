import { describe, expect, it } from "@effect/vitest"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..")

interface Manifest {
  readonly name: string
  readonly bin?: Record<string, string>
  readonly dependencies?: Record<string, string>
  readonly devDependencies?: Record<string, string>
}

const read = (directory: string): Manifest => JSON.parse(readFileSync(join(directory, "package.json"), "utf8"))

const workspace = new Map(
  ["apps", "packages"].flatMap((folder) =>
    readdirSync(join(root, folder)).map((name) => join(root, folder, name)).filter((directory) =>
      existsSync(join(directory, "package.json"))
    ).map((directory) => [read(directory).name, directory] as const)
  )
)

describe("bench manifest", () => {
  it("links no workspace bin built later", () => {
    // pnpm links the bins of dependencies on install, before any build, and warns about each
    // target that does not exist yet, such as a dist/bin.js.
    const bench = read(join(root, "apps", "bench"))
    const dependencies = { ...bench.dependencies, ...bench.devDependencies }
    const workspaceDependencies = Object.keys(dependencies).filter((name) =>
      dependencies[name]!.startsWith("workspace:")
    )
    expect(workspaceDependencies.length).toBeGreaterThan(0)

    for (const name of workspaceDependencies) {
      const directory = workspace.get(name)
      expect(directory, name).toBeDefined()
      for (const [command, target] of Object.entries(read(directory!).bin ?? {})) {
        expect(target, `${name} bin ${command}`).not.toMatch(/^(\.\/)?dist\//)
        expect(existsSync(join(directory!, target)), `${name} bin ${command}`).toBe(true)
      }
    }
  })
})
