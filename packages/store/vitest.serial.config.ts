import { defineConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

// Tests that hold write transactions open or wait for readers: the feed's horizon is
// server-wide, so they run one at a time, each file on its own embedded server. The shared
// settings are spread rather than merged, because merging would add the shared test globs.
export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    name: "store-serial",
    include: ["test/serial/**/*.test.ts"],
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 60_000
  }
})
