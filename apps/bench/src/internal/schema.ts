import pg from "pg"

const identifierPattern = /^[a-z_][a-z0-9_]{0,62}$/

/** Rejects a schema name that would need quoting, since it is written into SQL and URLs. */
export const checkIdentifier = (name: string): string => {
  if (!identifierPattern.test(name)) {
    throw new Error(`Invalid schema name "${name}": use lowercase letters, digits and "_" (at most 63).`)
  }
  return name
}

/** A schema name unique to this process and moment, starting with `prefix`. */
export const uniqueSchemaName = (prefix: string): string =>
  checkIdentifier(`${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`)

/**
 * Returns `url` with `search_path` set to `schema` on every connection made from it, so a
 * contender that creates unqualified tables (Emmett does) keeps them in its own schema.
 */
export const withSearchPath = (url: string, schema: string): string => {
  const parsed = new URL(url)
  parsed.searchParams.set("options", `-c search_path=${checkIdentifier(schema)}`)
  return parsed.toString()
}

/** Runs `statements` in order on one new connection to `url`. */
export const execute = async (url: string, statements: ReadonlyArray<string>): Promise<void> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    for (const statement of statements) {
      await client.query(statement)
    }
  } finally {
    await client.end()
  }
}

/** Creates `schema` on the server of `url`. */
export const createSchema = (url: string, schema: string): Promise<void> =>
  execute(url, [`CREATE SCHEMA ${checkIdentifier(schema)}`])

/** Drops `schema` with everything in it. */
export const dropSchema = (url: string, schema: string): Promise<void> =>
  execute(url, [`DROP SCHEMA IF EXISTS ${checkIdentifier(schema)} CASCADE`])
