/**
 * The path of the report that `pnpm bench` writes.
 */
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"

// The repository root, three levels above this file in `src` and in `dist` alike.
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..")

/** The recorded report, which only a run of every benchmark writes by default. */
export const recordedReport: string = resolve(root, "docs/benchmarks.md")

/** The default report of a run limited with `--only` or given variants, ignored by Git. */
export const partialReport: string = resolve(root, "bench-report.md")

/**
 * Returns the report's path: `out` when given, otherwise {@link partialReport} for a run limited
 * with `--only` or given variants, and {@link recordedReport} for a plain run of every benchmark.
 */
export const reportPath = (options: { readonly out: string | undefined; readonly limited: boolean }): string => {
  if (options.out !== undefined) return resolve(options.out)
  return options.limited ? partialReport : recordedReport
}
