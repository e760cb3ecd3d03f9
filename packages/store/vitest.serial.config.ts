import { defineConfig, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"
import { serverConditions } from "./test/support/conditions.js"

// Tests that hold write transactions open or wait for readers: the feed's horizon is
// server-wide, so they run one file at a time, each on its own embedded server.
export default mergeConfig(
  { ...shared, ssr: serverConditions },
  defineConfig({
    test: {
      name: "store-serial",
      include: ["test/serial/**/*.test.ts"],
      fileParallelism: false,
      testTimeout: 60_000
    }
  })
)
