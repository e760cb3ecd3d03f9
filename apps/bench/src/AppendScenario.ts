/**
 * The append benchmark: every contender runs the same workloads at the same writer counts on
 * the same server, with rounds interleaved across contenders so that drift in the machine's
 * load spreads over all of them.
 */
import type { AppendContender, AppendSession, ContenderRole } from "./AppendContender.js"
import { createSchema, dropSchema, uniqueSchemaName, withSearchPath } from "./internal/schema.js"
import { type RoundSample, type RoundsSummary, runRound, summarize, summarizeRounds, type Summary } from "./Measure.js"
import * as ServerCpu from "./ServerCpu.js"
import { newRunStream, runEnded, runStarted } from "./Workload.js"

/** A workload of the append benchmark. */
export interface AppendWorkload {
  readonly id: "run" | "pair"
  /** Heading in the report. */
  readonly title: string
  /** The work of one measured call. */
  readonly description: string
  /** Appends per call, to turn calls per second into appends per second. */
  readonly appendsPerCall: number
  /** Events per call. */
  readonly eventsPerCall: number
  /** One measured call against a session. */
  readonly call: (session: AppendSession, index: number) => Promise<void>
}

/** The two workloads: a run as two one-event appends, and one append carrying both events. */
export const appendWorkloads: ReadonlyArray<AppendWorkload> = [
  {
    id: "run",
    title: "A run as two one-event appends",
    description:
      "A call is one run on a new stream: append `RunStarted` expecting version 0, then `RunSucceeded` (every fourth run `RunFailed`) expecting version 1, as notifications produce them.",
    appendsPerCall: 2,
    eventsPerCall: 2,
    call: async (session, index) => {
      const stream = newRunStream()
      await session.append(stream, 0, [runStarted(stream)])
      await session.append(stream, 1, [runEnded(stream, index % 4 === 3)])
    }
  },
  {
    id: "pair",
    title: "One append of two events",
    description:
      "A call is one append of `RunStarted` and `RunSucceeded` together to a new stream, expecting version 0.",
    appendsPerCall: 1,
    eventsPerCall: 2,
    call: async (session) => {
      const stream = newRunStream()
      await session.append(stream, 0, [runStarted(stream), runEnded(stream, false)])
    }
  }
]

/** Settings of the append benchmark. */
export interface AppendOptions {
  /** Writer counts to measure, for example `[1, 16]`. */
  readonly writers: ReadonlyArray<number>
  /** Pool size of every contender; at least the largest writer count. */
  readonly poolSize: number
  /** Rounds per contender, workload and writer count. */
  readonly rounds: number
  /** Calls per round at a writer count. */
  readonly callsPerRound: (writers: number) => number
  /** Calls of each contender before its first measured round, untimed. */
  readonly warmupCalls: number
}

/** The figures of one contender for one workload at one writer count. */
export interface AppendFigure {
  readonly contender: string
  readonly role: ContenderRole
  readonly workload: AppendWorkload["id"]
  readonly writers: number
  readonly callsPerRound: number
  readonly summary: RoundsSummary
  /** CPU time per append over the rounds, in microseconds. */
  readonly cpu: AppendCpu
}

/** The CPU time one append costs, in microseconds, median with min and max over the rounds. */
export interface AppendCpu {
  /** PostgreSQL's client backends; `undefined` when their `/proc` entries cannot be read. */
  readonly server: Summary | undefined
  /** The benchmark process, user plus system time: the contender's client side and the harness. */
  readonly client: Summary
}

interface CpuSample {
  readonly server: number | undefined
  readonly client: number
}

/** The results of the append benchmark. */
export interface AppendResults {
  readonly options: Omit<AppendOptions, "callsPerRound"> & { readonly callsPerRound: Record<number, number> }
  readonly workloads: ReadonlyArray<Omit<AppendWorkload, "call">>
  readonly contenders: ReadonlyArray<
    Omit<AppendContender, "setup"> & {
      /** Whether an append with a stale expected version was rejected when this run checked it. */
      readonly staleVersionRejected: boolean
    }
  >
  readonly figures: ReadonlyArray<AppendFigure>
}

interface Prepared {
  readonly contender: AppendContender
  readonly schema: string
  readonly session: AppendSession
  readonly staleVersionRejected: boolean
}

// Appends to a new stream, then appends again expecting the stream to be empty: a store that
// enforces expected versions rejects the second append.
const rejectsStaleVersion = async (session: AppendSession): Promise<boolean> => {
  const stream = newRunStream()
  await session.append(stream, 0, [runStarted(stream)])
  try {
    await session.append(stream, 0, [runEnded(stream, false)])
    return false
  } catch {
    return true
  }
}

const checkOptions = (contenders: ReadonlyArray<AppendContender>, options: AppendOptions): void => {
  const largest = Math.max(...options.writers)
  if (options.poolSize < largest) {
    throw new Error(`Pool size ${options.poolSize} is below the largest writer count ${largest}: raise the pool size.`)
  }
  // Variants are compared with the peer and the baseline as the subject is, so there may be many.
  const roles = contenders.map((contender) => contender.role).filter((role) => role !== "variant")
  const repeated = roles.find((role, index) => roles.indexOf(role) !== index)
  if (repeated !== undefined) {
    throw new Error(`More than one append contender has the role "${repeated}": give each role to one contender.`)
  }
  const names = contenders.map((contender) => contender.name)
  const repeatedName = names.find((name, index) => names.indexOf(name) !== index)
  if (repeatedName !== undefined) {
    throw new Error(`More than one append contender is named "${repeatedName}": give each variant its own name.`)
  }
}

// Gives a contender its own schema, sets it up and checks that it rejects a stale version.
const prepare = async (url: string, contender: AppendContender, poolSize: number): Promise<Prepared> => {
  const schema = uniqueSchemaName("bench_append")
  await createSchema(url, schema)
  const session = await contender.setup({ url: withSearchPath(url, schema), schema, poolSize }).catch(
    async (error: unknown) => {
      await dropSchema(url, schema)
      throw error
    }
  )
  const staleVersionRejected = await rejectsStaleVersion(session).catch(async (error: unknown) => {
    await session.teardown()
    await dropSchema(url, schema)
    throw error
  })
  return { contender, schema, session, staleVersionRejected }
}

// Warms every contender up, then measures the rounds, alternating between the contenders.
const measure = async (
  prepared: ReadonlyArray<Prepared>,
  probe: ServerCpu.CpuProbe,
  workload: AppendWorkload,
  writers: number,
  options: AppendOptions,
  log: (line: string) => void
): Promise<Array<AppendFigure>> => {
  const load = { concurrency: writers, iterations: options.callsPerRound(writers) }
  for (const { contender, session } of prepared) {
    const warmup = { concurrency: writers, iterations: options.warmupCalls }
    await runRound(`${contender.name} warmup`, warmup, () => workload.call(session, 0))
  }

  const samples = new Map<Prepared, Array<RoundSample>>(prepared.map((entry) => [entry, []]))
  const cpuSamples = new Map<Prepared, Array<CpuSample>>(prepared.map((entry) => [entry, []]))
  const appendsPerRound = load.iterations * workload.appendsPerCall
  for (let round = 1; round <= options.rounds; round++) {
    for (const entry of prepared) {
      let index = 0
      const name = `${entry.contender.name} ${workload.id} x${writers}`
      const serverBefore = await probe.read()
      const clientBefore = process.cpuUsage()
      const sample = await runRound(name, load, () => workload.call(entry.session, index++))
      const client = process.cpuUsage(clientBefore)
      const server = ServerCpu.elapsed(serverBefore, await probe.read())
      samples.get(entry)!.push(sample)
      cpuSamples.get(entry)!.push({
        server: server === undefined ? undefined : server / appendsPerRound,
        client: (client.user + client.system) / appendsPerRound
      })
      const appendsPerSecond = Math.round(sample.callsPerSecond * workload.appendsPerCall)
      log(
        `append ${workload.id} ${writers} writers, round ${round}/${options.rounds}: ${entry.contender.name} ${appendsPerSecond} appends/s`
      )
    }
  }

  return prepared.map((entry) => ({
    contender: entry.contender.name,
    role: entry.contender.role,
    workload: workload.id,
    writers,
    callsPerRound: load.iterations,
    summary: summarizeRounds(samples.get(entry)!),
    cpu: summarizeCpu(cpuSamples.get(entry)!)
  }))
}

const summarizeCpu = (samples: ReadonlyArray<CpuSample>): AppendCpu => {
  const server = samples.map((sample) => sample.server)
  return {
    server: server.every((value) => value !== undefined) ? summarize(server) : undefined,
    client: summarize(samples.map((sample) => sample.client))
  }
}

/** Runs every workload for every contender and writer count against the server at `url`. */
export const runAppendBenchmark = async (
  url: string,
  contenders: ReadonlyArray<AppendContender>,
  options: AppendOptions,
  log: (line: string) => void
): Promise<AppendResults> => {
  checkOptions(contenders, options)
  const prepared: Array<Prepared> = []
  const probe = await ServerCpu.open(url)
  try {
    for (const contender of contenders) {
      prepared.push(await prepare(url, contender, options.poolSize))
    }

    const figures: Array<AppendFigure> = []
    for (const workload of appendWorkloads) {
      for (const writers of options.writers) {
        figures.push(...(await measure(prepared, probe, workload, writers, options, log)))
      }
    }

    return {
      options: {
        ...options,
        callsPerRound: Object.fromEntries(options.writers.map((writers) => [writers, options.callsPerRound(writers)]))
      },
      workloads: appendWorkloads.map(({ call: _call, ...workload }) => workload),
      contenders: prepared.map(({ contender: { setup: _setup, ...contender }, staleVersionRejected }) => ({
        ...contender,
        staleVersionRejected
      })),
      figures
    }
  } finally {
    await probe.close().catch((error: unknown) => log(`Failed to close the CPU probe: ${String(error)}`))
    // Every contender is closed and its schema dropped even when another one fails to close.
    for (const { contender, schema, session } of prepared) {
      await session.teardown().catch((error: unknown) => log(`Failed to close ${contender.name}: ${String(error)}`))
      await dropSchema(url, schema)
    }
  }
}
