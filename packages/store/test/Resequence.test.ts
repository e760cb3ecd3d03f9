import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Consumer from "../src/Consumer.js"
import * as Database from "../src/Database.js"
import * as EventStore from "../src/EventStore.js"
import * as PgEventStore from "../src/PgEventStore.js"
import * as Resequence from "../src/Resequence.js"
import * as RunLog from "../src/RunLog.js"
import { database } from "./support/database.js"
import { newRunId, started, succeeded } from "./support/fixtures.js"
import { tamper } from "./support/tamper.js"
import { urlOf } from "./support/urls.js"
import { waitFor } from "./support/wait.js"

// Reads the feed until it contains `count` events. A transaction open anywhere on the server keeps
// the feed's horizon back, so events committed a moment ago may not be readable yet.
const feedOf = (count: number) =>
  Effect.flatMap(EventStore.EventStore, (store) =>
    waitFor(
      `${count} events below the feed's horizon`,
      Effect.map(store.readFeed(EventStore.start, 1000), (events) => (events.length >= count ? events : undefined))
    ))

class CommandFailed extends Data.TaggedError("CommandFailed")<{ readonly message: string }> {}

const run = (command: string, args: ReadonlyArray<string>) =>
  Effect.async<string, CommandFailed>((resume) => {
    execFile(command, args, { timeout: 60_000 }, (error, stdout, stderr) =>
      resume(
        error
          ? Effect.fail(new CommandFailed({ message: `${command} failed: ${stderr || error.message}` }))
          : Effect.succeed(stdout)
      ))
  })

const majorOf = (version: string) => Number(/(\d+)/.exec(version)?.[1] ?? 0)

const storeAt = (url: Redacted.Redacted<string>) =>
  Layer.mergeAll(PgEventStore.layer, RunLog.layer).pipe(Layer.provideMerge(Database.layer({ url, maxConnections: 4 })))

const consumer = { name: "restored-reader", owner: "instance-a", batchSize: 3 }

/**
 * Copies `source` into `target` logically. It uses pg_dump and psql when pg_dump is at least as
 * new as the server, because pg_dump rejects newer servers, and psql's COPY otherwise.
 */
const logicalCopy = (source: Redacted.Redacted<string>, target: Redacted.Redacted<string>, serverMajor: number) =>
  Effect.gen(function*() {
    const directory = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "workflow-runs-dump-"))),
      (directory) => Effect.sync(() => fs.rmSync(directory, { recursive: true, force: true }))
    )
    const dumpMajor = majorOf(yield* run("pg_dump", ["--version"]))
    if (dumpMajor >= serverMajor) {
      const file = path.join(directory, "dump.sql")
      yield* run("pg_dump", ["--no-owner", "--file", file, "--dbname", Redacted.value(source)])
      yield* run("psql", ["--quiet", "--set", "ON_ERROR_STOP=1", "--file", file, "--dbname", Redacted.value(target)])
      return "pg_dump" as const
    }
    yield* Effect.provide(Effect.asVoid(Effect.void), Database.layer({ url: target, maxConnections: 2 }))
    for (const table of ["run_events", "workflow_runs", "invocations", "webhook_inbox", "projection_checkpoints"]) {
      const file = path.join(directory, `${table}.copy`)
      yield* run("psql", [
        "--set",
        "ON_ERROR_STOP=1",
        "--dbname",
        Redacted.value(source),
        "--command",
        `\\copy ${table} to '${file}'`
      ])
      yield* run("psql", [
        "--set",
        "ON_ERROR_STOP=1",
        "--dbname",
        Redacted.value(target),
        "--command",
        `\\copy ${table} from '${file}'`
      ])
    }
    return "copy" as const
  }).pipe(Effect.scoped)

describe("re-sequencing", () => {
  withLayer(database, { timeout: 180_000, excludeTestServices: true })((it) => {
    it.effect("makes a restored log readable again with checkpoints translated", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const client = yield* PgClient.PgClient
        const suffix = `${Date.now()}_${Math.random().toString(36).slice(2, 8)}`
        const sourceName = `wr_source_${suffix}`
        const targetName = `wr_target_${suffix}`
        yield* sql.unsafe(`create database ${sourceName}`)
        yield* sql.unsafe(`create database ${targetName}`)
        const source = urlOf(client, { database: sourceName })
        const target = urlOf(client, { database: targetName })
        const cleanup = Effect.orDie(Effect.zipRight(
          sql.unsafe(`drop database if exists ${sourceName} with (force)`),
          sql.unsafe(`drop database if exists ${targetName} with (force)`)
        ))

        const test = Effect.gen(function*() {
          // The source: a few runs, and a consumer that has read the first three events.
          const sourceFeed = yield* Effect.gen(function*() {
            const store = yield* EventStore.EventStore
            for (let index = 0; index < 4; index++) {
              const runId = newRunId()
              yield* store.appendRun(runId, 0, [started(runId)])
              yield* store.appendRun(runId, 1, [succeeded(runId)])
            }
            const feed = yield* feedOf(8)
            yield* Consumer.step(consumer, yield* Consumer.acquire(consumer), () => Effect.void)
            return feed
          }).pipe(Effect.provide(storeAt(source)))
          expect(sourceFeed).toHaveLength(8)

          const server = yield* sql.unsafe<{ server_version: string }>("show server_version")
          const method = yield* logicalCopy(source, target, majorOf(server[0]!.server_version))
          expect(["pg_dump", "copy"]).toContain(method)

          const restored = yield* Effect.gen(function*() {
            const store = yield* EventStore.EventStore
            const targetSql = yield* SqlClient.SqlClient
            // A server whose transaction counter is lower than the stored ids, as after a
            // restore into a new cluster.
            yield* tamper(Effect.gen(function*() {
              yield* targetSql.unsafe("update run_events set tx_id = (tx_id::text::numeric + 4000000000)::text::xid8")
            }))
            yield* targetSql.unsafe(
              "update projection_checkpoints set tx_id = (tx_id::text::numeric + 4000000000)::text::xid8"
            )
            const neededBefore = yield* Resequence.isNeeded()
            const hidden = yield* store.readFeed(EventStore.start, 1000)
            const result = yield* Resequence.resequence()
            const neededAfter = yield* Resequence.isNeeded()
            const feed = yield* store.readFeed(EventStore.start, 1000)
            const resumed: Array<string> = []
            yield* Consumer.catchUp(consumer, (events) =>
              Effect.sync(() => {
                resumed.push(...events.map((event) => event.eventId))
              }))
            const runId = newRunId()
            yield* store.appendRun(runId, 0, [started(runId)])
            const withNew = yield* feedOf(9)
            const report = yield* (yield* RunLog.RunLog).verify()
            return { neededBefore, hidden, result, neededAfter, feed, resumed, withNew, report, runId }
          }).pipe(Effect.provide(storeAt(target)))

          expect(restored.neededBefore).toBe(true)
          expect(restored.hidden).toEqual([])
          expect(restored.result).toEqual({ events: 8, checkpoints: 1 })
          expect(restored.neededAfter).toBe(false)
          expect(restored.feed.map((event) => event.eventId)).toEqual(sourceFeed.map((event) => event.eventId))
          expect(restored.feed.map((event) => event.position)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n])
          expect(restored.resumed).toEqual(sourceFeed.slice(3).map((event) => event.eventId))
          expect(restored.withNew[8]!.stream).toBe(EventStore.runStream(restored.runId))
          expect(restored.report.broken).toEqual([])
        })
        yield* Effect.ensuring(test, cleanup)
      }))
  })
})
