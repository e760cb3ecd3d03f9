/**
 * The CPU time PostgreSQL's backends spend on the benchmark's database, read from `/proc`.
 *
 * The append contenders share the machine's cores with the server, so a contender's rate follows
 * the CPU that one append costs on both sides. The probe sums the user and system time of every
 * client backend connected to the database, so the report can split that cost between the server
 * and the benchmark process. It works only when the server runs on this machine and its
 * processes are readable, as with the embedded server or a local one started by the same user
 * or seen by root; otherwise {@link CpuProbe.read} returns `undefined`.
 */
import { execFileSync } from "node:child_process"
import { readFile } from "node:fs/promises"
import pg from "pg"

/** Reads the CPU time of the database's client backends. */
export interface CpuProbe {
  /**
   * The user plus system time, in microseconds, of each client backend connected to the database
   * except the probe's own, by process id, or `undefined` when none of their `/proc` entries is
   * readable. {@link elapsed} subtracts two of them.
   */
  readonly read: () => Promise<CpuSnapshot | undefined>
  readonly close: () => Promise<void>
}

/** The CPU time of each client backend in microseconds, by process id. */
export type CpuSnapshot = ReadonlyMap<number, number>

/**
 * Returns the CPU time, in microseconds, that the backends spent between two snapshots. Each
 * backend adds its growth. A backend that connected in between adds its whole time, and so does
 * a new process under a reused id, whose time is below the old one's. A backend that exited adds
 * nothing, because the pools close only idle connections, whose time did not grow.
 */
export const elapsed = (before: CpuSnapshot | undefined, after: CpuSnapshot | undefined): number | undefined => {
  if (before === undefined || after === undefined) return undefined
  let total = 0
  for (const [pid, micros] of after) {
    const earlier = before.get(pid)
    total += earlier === undefined || micros < earlier ? micros : micros - earlier
  }
  return total
}

// Clock ticks per second, the unit of the times in /proc/<pid>/stat.
const ticksPerSecond = (): number => {
  try {
    const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim())
    return Number.isInteger(value) && value > 0 ? value : 100
  } catch {
    return 100
  }
}

/**
 * Sums fields 14 and 15 (utime, stime) of a `/proc/<pid>/stat` line, counted after the command
 * name, which is in parentheses and may contain spaces.
 */
export const cpuTicks = (stat: string): number | undefined => {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  const user = Number(fields[11])
  const system = Number(fields[12])
  return Number.isFinite(user) && Number.isFinite(system) ? user + system : undefined
}

/** The resolution of the CPU times read from `/proc`: one clock tick, in microseconds, per process. */
export const microsPerTick: number = 1_000_000 / ticksPerSecond()

/**
 * Returns the user plus system CPU time of process `pid` in microseconds, or `undefined` when its
 * `/proc` entry cannot be read.
 */
export const processCpuMicros = async (pid: number): Promise<number | undefined> => {
  const ticks = await readFile(`/proc/${pid}/stat`, "utf8").then(cpuTicks, () => undefined)
  return ticks === undefined ? undefined : ticks * microsPerTick
}

/** Opens a probe on its own connection to `url`. */
export const open = async (url: string): Promise<CpuProbe> => {
  const client = new pg.Client({ connectionString: url, application_name: "workflow-runs-bench-cpu-probe" })
  await client.connect()
  return {
    read: async () => {
      const { rows } = await client.query<{ pid: number }>(
        `select pid from pg_stat_activity
         where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()`
      )
      const snapshot = new Map<number, number>()
      for (const { pid } of rows) {
        const micros = await processCpuMicros(pid)
        if (micros !== undefined) snapshot.set(pid, micros)
      }
      return snapshot.size === 0 ? undefined : snapshot
    },
    close: () => client.end()
  }
}
