import { defineConfig } from "vitest/config"

// Workspace packages export their TypeScript sources under the "source" condition, so tests run
// against `src` without a build.
const conditions = ["source", "module", "node", "import", "default"]

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
