import { defineConfig, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"
import { serverConditions } from "./test/support/conditions.js"

export default mergeConfig(
  { ...shared, ssr: serverConditions },
  defineConfig({ test: { name: "store", exclude: ["test/serial/**", "**/node_modules/**"] } })
)
