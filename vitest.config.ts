import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    projects: [
      "packages/*/vitest.config.ts",
      "packages/*/vitest.serial.config.ts",
      "apps/*/vitest.config.ts",
      "apps/*/vitest.reliability.config.ts"
    ]
  }
})
