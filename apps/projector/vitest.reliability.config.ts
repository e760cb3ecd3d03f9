import { defineConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

// Scenarios that kill processes, restart a database, run several projectors or measure memory
// over time: one at a time, so no scenario's load or restart disturbs another. The shared
// settings are spread rather than merged, because merging would add the shared test globs.
export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    name: "projector-reliability",
    include: ["test/reliability/**/*.test.ts"],
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 120_000
  }
})
