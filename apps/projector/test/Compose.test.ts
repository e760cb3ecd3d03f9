import { describe, expect, it } from "@effect/vitest"
import { AppConfig } from "@workflow-runs/projector"
import { Duration, Either } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const compose = readFileSync(fileURLToPath(new URL("../../../docker-compose.yml", import.meta.url)), "utf8")

// The `NAME: value` lines of one service's `environment:` block.
const environmentOf = (service: string): Map<string, string> => {
  const lines = compose.split("\n")
  const start = lines.indexOf(`  ${service}:`)
  const result = new Map<string, string>()
  if (start < 0) return result
  let inEnvironment = false
  for (const line of lines.slice(start + 1)) {
    if (/^ {2}\S/.test(line) || /^\S/.test(line)) break
    if (/^ {4}environment:\s*$/.test(line)) {
      inEnvironment = true
      continue
    }
    if (/^ {4}\S/.test(line)) inEnvironment = false
    const match = /^ {6}([A-Z0-9_]+):\s*(.*)$/.exec(line)
    if (inEnvironment && match !== null) result.set(match[1]!, match[2]!)
  }
  return result
}

describe("docker-compose.yml", () => {
  it("gives the projector only variables the app reads, and every required one", () => {
    const environment = environmentOf("projector")
    for (const name of environment.keys()) expect(AppConfig.variables).toContain(name)
    for (const name of ["DATABASE_URL", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "AUDIT_API_TOKEN"]) {
      expect(environment.has(name)).toBe(true)
    }
  })

  it("points the projector at the compose database with its credentials", () => {
    const postgres = environmentOf("postgres")
    const url = new URL(environmentOf("projector").get("DATABASE_URL") ?? "")
    expect(url.hostname).toBe("postgres")
    expect(url.username).toBe(postgres.get("POSTGRES_USER"))
    expect(url.password).toBe(postgres.get("POSTGRES_PASSWORD"))
    expect(url.pathname).toBe(`/${postgres.get("POSTGRES_DB")}`)
  })

  it("publishes the port the projector listens on", () => {
    const port = environmentOf("projector").get("PORT")?.replaceAll("\"", "")
    expect(compose).toContain(`"127.0.0.1:${port}:${port}"`)
    expect(compose).toMatch(/command: \["serve"\]/)
  })

  it("gives up on in-flight work before compose kills the projector", () => {
    const timeout = AppConfig.parsePositiveDuration(environmentOf("projector").get("SHUTDOWN_TIMEOUT") ?? "")
    const grace = /stop_grace_period: (\d+)s/.exec(compose)
    expect(Either.isRight(timeout)).toBe(true)
    expect(grace).not.toBeNull()
    const timeoutSeconds = Either.isRight(timeout) ? Duration.toSeconds(timeout.right) : Number.POSITIVE_INFINITY
    expect(timeoutSeconds).toBeLessThan(Number(grace![1]))
  })
})
