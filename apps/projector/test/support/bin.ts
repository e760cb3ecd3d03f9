import * as Effect from "effect/Effect"
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..")

/** The built `workflow-runs` executable. */
export const bin = join(packageDir, "dist", "bin.js")

/** Builds the projector and its packages once when {@link bin} is missing, since plain Node runs it. */
export const ensureBuilt = Effect.runSync(Effect.cached(Effect.sync(() => {
  if (!existsSync(bin)) {
    execFileSync("pnpm", ["--filter", "@workflow-runs/projector...", "--sort", "run", "build"], {
      cwd: packageDir,
      stdio: "ignore"
    })
  }
})))
