/**
 * A table shaped like the store's run log (`run_events`), for the raw INSERT baseline of the
 * append benchmark.
 */
import type pg from "pg"
import { checkIdentifier } from "./internal/schema.js"

/** Location of a run-events table. */
export interface RunEventsTable {
  readonly schema: string
  readonly name: string
}

/** The schema-qualified name of `table`, safe to write into SQL. */
export const qualifiedName = (table: RunEventsTable): string =>
  `${checkIdentifier(table.schema)}.${checkIdentifier(table.name)}`

/**
 * Creates the table with the columns and indexes of the run log. It has a global position, the
 * writing transaction's id, a version per stream, an event id unique per stream and a hash,
 * plus the `(tx_id, position)` index that the gap-safe reader pages through.
 */
export const createTable = async (client: pg.ClientBase, table: RunEventsTable): Promise<void> => {
  const name = qualifiedName(table)
  const index = checkIdentifier(`${table.name}_tx_id_position`)
  await client.query(`
    CREATE TABLE ${name} (
      position bigint GENERATED ALWAYS AS IDENTITY,
      tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      stream text NOT NULL,
      version integer NOT NULL CHECK (version > 0),
      event_id uuid NOT NULL,
      type text NOT NULL,
      data jsonb NOT NULL,
      metadata jsonb NOT NULL,
      occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      hash bytea NOT NULL,
      PRIMARY KEY (stream, version),
      UNIQUE (stream, event_id),
      UNIQUE (position)
    )`)
  await client.query(`CREATE INDEX ${index} ON ${name} (tx_id, position)`)
}
