import { defineConfig } from "vitest/config"

// Workspace packages export their TypeScript sources under the "source" condition, so tests run
// against `src` without a build. Vitest also passes these conditions to its workers as
// `--conditions`; with `import` among them Node's `require` would pick packages' ESM entries
// and `pg` would fail to load, so only `source` and `node` are listed.
const conditions = ["source", "node"]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    sequence: { concurrent: true },
    testTimeout: 30_000,
    hookTimeout: 120_000
  }
})
