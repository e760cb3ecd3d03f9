import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"
import { store } from "../src/contenders/Store.js"
import { parseVariant, variantOf } from "../src/contenders/Variant.js"
import * as Database from "../src/Database.js"
import { createSchema, dropSchema, uniqueSchemaName, withSearchPath } from "../src/internal/schema.js"

const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))
const shipped = fileURLToPath(new URL("../variants/status-indexes.sql", import.meta.url))

const runBin = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 30_000 }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : (error.code as number), stderr })
    })
  })

let folder: string

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "bench-variant-test-"))
})

afterAll(async () => {
  await rm(folder, { recursive: true, force: true })
})

describe("--variant", () => {
  it("reads a name and its SQL file", async () => {
    const file = join(folder, "marker.sql")
    await writeFile(file, "create table variant_marker (id int);\n")
    const variant = await parseVariant(`marker=${file}`)
    expect(variant).toEqual({ name: "marker", file, sql: "create table variant_marker (id int);\n" })
  })

  it("rejects a malformed value", async () => {
    await expect(parseVariant("status-indexes")).rejects.toThrow(
      "Invalid --variant value \"status-indexes\": give NAME=FILE"
    )
    await expect(parseVariant("=x.sql")).rejects.toThrow("Invalid --variant value \"=x.sql\"")
    await expect(parseVariant("two words=x.sql")).rejects.toThrow("Invalid --variant value \"two words=x.sql\"")
  })

  it("rejects a missing or empty file", async () => {
    const missing = join(folder, "missing.sql")
    await expect(parseVariant(`gone=${missing}`)).rejects.toThrow(
      `Failed to read the SQL file "${missing}" of --variant gone`
    )
    const empty = join(folder, "empty.sql")
    await writeFile(empty, "\n")
    await expect(parseVariant(`blank=${empty}`)).rejects.toThrow(
      `The SQL file "${empty}" of --variant blank is empty`
    )
  })

  it("exits 2 on bad arguments", async () => {
    const bad = await runBin(["--variant", "status-indexes"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("Invalid --variant value \"status-indexes\"")
    expect(bad.stderr).toContain("Usage: pnpm bench")
    const withoutAppend = await runBin(["--only", "growth", "--variant", `a=${shipped}`])
    expect(withoutAppend.code).toBe(2)
    expect(withoutAppend.stderr).toContain("--variant needs the append benchmark, which --only growth leaves out")
    const twice = await runBin(["--variant", `a=${shipped}`, "--variant", `a=${shipped}`])
    expect(twice.code).toBe(2)
    expect(twice.stderr).toContain("--variant a is given more than once; give each variant its own name.")
  })
})

describe("variant contender", () => {
  let database: Database.Database

  beforeAll(async () => {
    database = await Database.acquire()
  }, 120_000)

  afterAll(async () => {
    await database?.release()
  })

  const inSchema = async <A>(body: (url: string, schema: string) => Promise<A>): Promise<A> => {
    const schema = uniqueSchemaName("bench_variant_test")
    await createSchema(database.url, schema)
    try {
      return await body(withSearchPath(database.url, schema), schema)
    } finally {
      await dropSchema(database.url, schema)
    }
  }

  it("applies its file after migrations", async () => {
    const variant = variantOf(store, await parseVariant(`status-indexes=${shipped}`))
    expect(variant.name).toBe("workflow-runs store (status-indexes)")
    expect(variant.role).toBe("variant")
    expect(variant.guarantees[1]).toMatch(
      /^What .*status-indexes\.sql changes: The head indexes on status and outcome that migration 7 dropped\. /
    )
    const indexes = await inSchema(async (url, schema) => {
      const session = await variant.setup({ url, schema, poolSize: 2 })
      try {
        const client = new pg.Client({ connectionString: url })
        await client.connect()
        try {
          const result = await client.query<{ name: string }>(
            `select indexname as name from pg_indexes
             where schemaname = $1 and indexname in ('workflow_runs_status', 'invocations_outcome')
             order by indexname`,
            [schema]
          )
          return result.rows.map((row) => row.name)
        } finally {
          await client.end()
        }
      } finally {
        await session.teardown()
      }
    })
    expect(indexes).toEqual(["invocations_outcome", "workflow_runs_status"])
  }, 120_000)

  it("names the file of a failing statement", async () => {
    const file = join(folder, "broken.sql")
    await writeFile(file, "create index on no_such_table (id);\n")
    const variant = variantOf(store, await parseVariant(`broken=${file}`))
    const failure = await inSchema((url, schema) =>
      variant.setup({ url, schema, poolSize: 2 }).then(() => undefined, (error: unknown) => error)
    )
    expect(String(failure)).toContain(`Failed to apply ${file} to the variant broken:`)
    expect(String(failure)).toContain("no_such_table")
  }, 120_000)
})
