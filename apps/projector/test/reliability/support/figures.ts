import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { mkdirSync, writeFileSync } from "node:fs"
import { loadavg } from "node:os"
import { join } from "node:path"

/**
 * Whether the long forms run: `RELIABILITY_FULL=1`, which `pnpm reliability --full` sets. The
 * short forms are what `pnpm test` runs in CI.
 */
export const fullForm = process.env.RELIABILITY_FULL === "1"

/** Picks the short or the long form's value of a setting. */
export const byForm = <A>(short: A, full: A): A => (fullForm ? full : short)

// Scenario 3 always runs on an embedded server of its own; the others follow DATABASE_URL.
const databaseKind = process.env.DATABASE_URL?.trim() ? "DATABASE_URL server" : "embedded server"

/** A scenario's measured figures, in the order the report shows them. */
export type Figures = Readonly<Record<string, number | string | boolean>>

/**
 * Writes a scenario's figures to `<RELIABILITY_RESULTS>/<scenario>.json` when that variable is
 * set (`pnpm reliability` sets it and renders docs/reliability.md from the files), so a plain
 * `pnpm test` leaves the tree as it was.
 */
export const recordFigures = (
  scenario: string,
  figures: Figures,
  options: { readonly database?: string } = {}
) =>
  Effect.sync(() => {
    const directory = process.env.RELIABILITY_RESULTS
    if (directory === undefined || directory === "") return
    mkdirSync(directory, { recursive: true })
    const result = {
      scenario,
      form: fullForm ? "full" : "short",
      finishedAt: new Date().toISOString(),
      database: options.database ?? databaseKind,
      loadAverage: Number(loadavg()[0]!.toFixed(2)),
      figures
    }
    writeFileSync(join(directory, `${scenario}.json`), `${JSON.stringify(result, null, 2)}\n`)
  })

/** The PostgreSQL server's version, for the report. */
export const postgresVersion = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    Effect.map(
      sql<{ version: string }>`select current_setting('server_version') as version`,
      (rows) => rows[0]?.version ?? "unknown"
    )
)

/** Counts the items of `items` for which `predicate` holds. */
export const count = <A>(items: ReadonlyArray<A>, predicate: (item: A) => boolean) =>
  items.reduce((total, item) => (predicate(item) ? total + 1 : total), 0)
