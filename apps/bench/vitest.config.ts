import { defineConfig, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

const merged = mergeConfig(shared, defineConfig({ test: { name: "bench" } }))

// Vitest hands `ssr.resolve.conditions` to its workers as `node --conditions`. With "import"
// among them, the CommonJS `require("pg-pool")` inside pg loads pg-pool's ES module, and pg
// fails at import with "Class extends value [object Module] is not a constructor".
export default {
  ...merged,
  ssr: { ...merged.ssr, resolve: { ...merged.ssr?.resolve, conditions: ["source", "node"] } }
}
