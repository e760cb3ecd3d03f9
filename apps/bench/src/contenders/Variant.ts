/**
 * Variants of the store: the store with a SQL file applied after its migrations, measured in the
 * same rounds as the store itself (`pnpm bench --only append --variant NAME=FILE`). A change to
 * the schema or to the append functions can then be weighed against the spread between rounds.
 */
import { readFile } from "node:fs/promises"
import pg from "pg"
import type { AppendContender } from "../AppendContender.js"

/** A store variant from `--variant NAME=FILE`: its name, file, statements and description. */
export interface Variant {
  readonly name: string
  readonly file: string
  readonly sql: string
  /** The `--` comment lines that open the file, joined, which the report quotes. */
  readonly description: string | undefined
}

// The comment lines at the top of a SQL file, without their `--`.
const leadingComment = (sql: string): string | undefined => {
  const lines: Array<string> = []
  for (const line of sql.split("\n")) {
    const trimmed = line.trim()
    if (!trimmed.startsWith("--")) break
    lines.push(trimmed.replace(/^--\s?/, ""))
  }
  const text = lines.join(" ").trim()
  return text === "" ? undefined : text
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

/**
 * Reads `NAME=FILE` and the file it names. Throws an error that names the value and what to give
 * when the name or the file is missing or the file is empty.
 */
export const parseVariant = async (text: string): Promise<Variant> => {
  const separator = text.indexOf("=")
  const name = separator < 0 ? "" : text.slice(0, separator).trim()
  const file = separator < 0 ? "" : text.slice(separator + 1).trim()
  if (!namePattern.test(name) || file === "") {
    throw new Error(
      `Invalid --variant value "${text}": give NAME=FILE, a name of letters, digits, "_", "." or "-" and a SQL file, such as --variant status-indexes=apps/bench/variants/status-indexes.sql.`
    )
  }
  const sql = await readFile(file, "utf8").catch((error: unknown) => {
    throw new Error(
      `Failed to read the SQL file "${file}" of --variant ${name}: ${
        error instanceof Error ? error.message : String(error)
      }. Give the path of a readable file.`
    )
  })
  if (sql.trim() === "") {
    throw new Error(`The SQL file "${file}" of --variant ${name} is empty; give a file with the statements to apply.`)
  }
  return { name, file, sql, description: leadingComment(sql) }
}

/**
 * Builds a contender that sets up `store` and then applies the variant's statements in its
 * schema. A failing statement fails the setup, and the error names the variant and its file.
 */
export const variantOf = (store: AppendContender, variant: Variant): AppendContender => ({
  name: `${store.name} (${variant.name})`,
  role: "variant",
  mechanism: `${store.mechanism}, with ${variant.file} applied after the migrations`,
  guarantees: [
    `Those of ${store.name}, except where ${variant.file} changes them.`,
    ...(variant.description === undefined ? [] : [`What ${variant.file} changes: ${variant.description}`])
  ],
  setup: async (context) => {
    const session = await store.setup(context)
    const client = new pg.Client({ connectionString: context.url })
    try {
      await client.connect()
      await client.query(variant.sql)
    } catch (error) {
      await session.teardown()
      throw new Error(
        `Failed to apply ${variant.file} to the variant ${variant.name}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error }
      )
    } finally {
      await client.end().catch(() => undefined)
    }
    return session
  }
})
