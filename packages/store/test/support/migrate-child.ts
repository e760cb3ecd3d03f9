// Runs the store's migrations against the database URL given as the first argument, as a
// separate process would at start-up, and prints how many migrations it applied.
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Database from "../../src/Database.js"
import * as Migrations from "../../src/Migrations.js"

const url = process.argv[2]
if (url === undefined) throw new Error("Usage: migrate-child.ts DATABASE_URL")

const program = Effect.gen(function*() {
  const applied = yield* Migrations.run
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe("select 1 from run_events limit 1")
  process.stdout.write(`applied ${applied.length}\n`)
}).pipe(
  Effect.provide(Database.layerClient({ url: Redacted.make(url), maxConnections: 2 })),
  // Standard output carries only the count.
  Logger.withMinimumLogLevel(LogLevel.None)
)

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  }
)
