/**
 * The store's schema, applied with the `@effect/sql` Migrator.
 *
 * The Migrator creates its own table before it locks anything, so two processes migrating an
 * empty database at once race. {@link run} therefore runs the Migrator inside one transaction
 * that first takes a transaction-level advisory lock, which serializes every migrating process,
 * and then creates the Migrator's table itself. The Migrator's own transaction becomes a
 * savepoint of that one, so migrating needs a single connection: a pool of one migrates too.
 *
 * The store records its migrations in its own table, {@link table}, and not in the Migrator's
 * default `effect_sql_migrations`. An application that shares the database and migrates with the
 * Migrator's defaults keeps its own list there. In a shared list, each side would take the
 * other's ids for its own and skip its migrations.
 *
 * @since 0.1.0
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as AppendOne from "./internal/appendOne.js"
import * as Heads from "./internal/heads.js"

/**
 * The advisory lock key that serializes migrations (the ASCII bytes of `wfrunmig`).
 *
 * @since 0.1.0
 * @category constants
 */
export const lockKey = 0x7766_7275_6e6d_6967n

/**
 * The table that records the store's applied migrations.
 *
 * @since 0.1.0
 * @category constants
 */
export const table = "workflow_runs_migrations"

// The Migrator's default table, where versions before {@link table} recorded the store's
// migrations.
const legacyTable = "effect_sql_migrations"

const createLog = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
create table run_events (
  position bigint generated always as identity,
  tx_id xid8 not null default pg_current_xact_id(),
  stream_id text not null,
  version bigint not null check (version > 0),
  event_id uuid not null,
  type text not null,
  data jsonb not null,
  metadata jsonb not null default '{}',
  occurred_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  hash bytea not null check (length(hash) = 32),
  primary key (stream_id, version),
  unique (stream_id, event_id),
  unique (position)
);
create index run_events_feed on run_events (tx_id, position);
create index run_events_recorded on run_events using brin (recorded_at);
create index run_events_type on run_events (type, occurred_at);

create function run_events_reject_change() returns trigger language plpgsql as $$
begin
  raise exception 'run_events is append-only: % is not allowed', tg_op
    using errcode = 'restrict_violation';
end
$$;
create trigger run_events_append_only before update or delete on run_events
  for each row execute function run_events_reject_change();
create trigger run_events_no_truncate before truncate on run_events
  for each statement execute function run_events_reject_change();

create table workflow_runs (
  run_id text primary key,
  version bigint not null,
  status text not null,
  workflow_id text,
  livemode boolean,
  trigger jsonb,
  input_parameters jsonb,
  error_message text,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  head_hash bytea not null
);
create index workflow_runs_workflow on workflow_runs (workflow_id, started_at, run_id);
create index workflow_runs_status on workflow_runs (status, started_at, run_id);
create index workflow_runs_started on workflow_runs (started_at, run_id);

create table invocations (
  idempotency_key text primary key,
  version bigint not null,
  outcome text not null,
  workflow_id text,
  input_parameters jsonb,
  actor text,
  run_id text,
  error jsonb,
  requested_at timestamptz,
  settled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  head_hash bytea not null
);
create index invocations_workflow on invocations (workflow_id, requested_at, idempotency_key);
create index invocations_outcome on invocations (outcome, requested_at, idempotency_key);

create table webhook_inbox (
  event_id text primary key,
  raw_body text not null,
  received_at timestamptz not null default now(),
  outcome text not null,
  run_id text,
  detail jsonb
);

create table projection_checkpoints (
  name text primary key,
  tx_id xid8 not null default '0',
  position bigint not null default 0,
  owner text,
  lease_until timestamptz,
  updated_at timestamptz not null default now()
);
`)
})

const createAppendFunctions = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(Heads.appendFunction(Heads.runs))
  yield* sql.unsafe(Heads.appendFunction(Heads.invocations))
})

// Replaces the one-statement append functions of migration 2 with procedural ones, and drops
// two indexes of the log that no query reads but every append had to maintain.
const replaceAppendFunctions = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  for (const head of [Heads.runs, Heads.invocations]) {
    yield* sql.unsafe(Heads.dropAppendFunction(head))
    yield* sql.unsafe(Heads.appendFunction(head))
  }
  yield* sql.unsafe("drop index if exists run_events_recorded; drop index if exists run_events_type")
})

// Adds the one-event append functions, which spare the common single-event append the batch
// function's array parameters, aggregates and loops.
const createAppendOneFunctions = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(AppendOne.appendOneFunction(Heads.runs))
  yield* sql.unsafe(AppendOne.appendOneFunction(Heads.invocations))
})

// Replaces the one-event append functions: the new ones look for the event before the
// compare-and-set only when the head existed, and set no `plan_cache_mode`, whose save and
// restore every call paid. `create or replace` keeps the functions' grants, so the statements
// are those of migration 4.
const replaceAppendOneFunctions = createAppendOneFunctions

// Replaces the head's `trigger` document, which repeated `input_parameters`, with the type that
// the listing reads. The whole trigger stays in the `RunStarted` event. Both run append
// functions name the head's columns, so they are replaced.
// NOTE: migrations 2 to 5 build their functions from today's head columns, so on an empty
// database they name `trigger_type` before this migration adds it. PL/pgSQL checks column
// names only when a function runs, and the upgrade test covers that order.
const replaceRunTrigger = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
alter table workflow_runs add column trigger_type text;
update workflow_runs set trigger_type = trigger->>'type' where trigger is not null;
alter table workflow_runs drop column trigger;
`)
  yield* sql.unsafe(Heads.appendFunction(Heads.runs))
  yield* sql.unsafe(AppendOne.appendOneFunction(Heads.runs))
})

// Makes the update that settles a run or an attempt heap-only (HOT). When an update changes an
// indexed column, PostgreSQL adds an entry to every index of the table, four per settled run, and
// the status and outcome indexes were the only ones on a column that settling changes. Listings
// by status or outcome read the workflow or time index and skip the other statuses. Invocations
// gain a request-time index, which orders the listing without a workflow.
const indexHeadsByFixedColumns = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
drop index if exists workflow_runs_status;
drop index if exists invocations_outcome;
create index invocations_requested on invocations (requested_at, idempotency_key);
`)
})

// Adds the one-event append functions that return an array, which the store calls from now on.
// The record-returning functions of migrations 4 to 6 stay, so a process of an earlier version
// can still append while an upgrade rolls out.
const createAppendEventFunctions = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(AppendOne.appendEventFunction(Heads.runs))
  yield* sql.unsafe(AppendOne.appendEventFunction(Heads.invocations))
})

// Replaces the batch append functions with ones that skip the classification join when no
// event of the batch is stored yet. `create or replace` keeps the functions' grants, and the
// signature and results do not change.
const replaceAppendFunctionsWithProbe = createAppendFunctions

// Moves the log's row checks onto domain types and the uniqueness of positions onto the feed's
// index, so that an insert into the log sets up less. PostgreSQL rebuilds a table's CHECK
// constraints from their stored text for every statement that inserts into the table, while a
// domain's checks come from a cache. A position is unique by construction (an identity column),
// and the feed reads the log by `(tx_id, position)`, so that pair is the key the reader needs.
// One unique index on the pair now replaces a unique index on `position` and the feed's index.
// The domains get their checks after the columns take them, so the change checks the stored rows
// with one read instead of rewriting the log and its indexes.
const checkLogRowsByDomains = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
create domain run_event_version as bigint;
create domain run_event_hash as bytea;
alter table run_events
  alter column version type run_event_version,
  alter column hash type run_event_hash;
alter domain run_event_version add constraint run_event_version_check check (value > 0);
alter domain run_event_hash add constraint run_event_hash_check check (length(value) = 32);
alter table run_events
  drop constraint if exists run_events_version_check,
  drop constraint if exists run_events_hash_check,
  drop constraint if exists run_events_position_key;
drop index if exists run_events_feed;
create unique index run_events_feed on run_events (tx_id, position);
`)
})

// Replaces the one-event append functions with ones that settle a head with a statement that
// sets only the patch's columns, and probe for a repeated event before reading it.
// `create or replace` keeps the functions' grants, and the signature and results do not change.
const updateHeadsByPatchShape = createAppendEventFunctions

/**
 * The migrations, by id and name.
 *
 * @since 0.1.0
 * @category migrations
 */
export const migrations = {
  "1_create_log": createLog,
  "2_create_append_functions": createAppendFunctions,
  "3_replace_append_functions": replaceAppendFunctions,
  "4_create_append_one_functions": createAppendOneFunctions,
  "5_replace_append_one_functions": replaceAppendOneFunctions,
  "6_replace_run_trigger_with_type": replaceRunTrigger,
  "7_index_heads_by_fixed_columns": indexHeadsByFixedColumns,
  "8_create_append_event_functions": createAppendEventFunctions,
  "9_probe_batches_before_classifying": replaceAppendFunctionsWithProbe,
  "10_check_log_rows_by_domains": checkLogRowsByDomains,
  "11_update_heads_by_patch_shape": updateHeadsByPatchShape
}

// The store's migrations as SQL values: (id, name), ...
const ownRows = Object.keys(migrations)
  .map((key) => `(${Number.parseInt(key, 10)}, '${key.slice(key.indexOf("_") + 1)}')`)
  .join(", ")

// Copies the store's migrations from the Migrator's default table into {@link table}, for a
// database that an earlier version migrated. Only rows whose id and name are the store's own are
// copied, and only when the log exists, so another application's list is left alone. The rows
// stay in the old table, which a process of the earlier version may still read during an upgrade.
const adoptLegacyRows = (sql: SqlClient.SqlClient) =>
  sql.unsafe(`
insert into ${table} (migration_id, created_at, name)
select m.migration_id, m.created_at, m.name
from ${legacyTable} m
join (values ${ownRows}) as own (migration_id, name) using (migration_id, name)
where to_regclass('run_events') is not null`)

/**
 * Whether the database that the client reaches (through its `search_path`) contains the log.
 *
 * @since 0.1.0
 * @category migrations
 */
export const logExists: Effect.Effect<boolean, SqlError, SqlClient.SqlClient> = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    Effect.map(
      sql.unsafe<{ exists: boolean }>("select to_regclass('run_events') is not null as exists"),
      (rows) => rows[0]?.exists === true
    )
)

/**
 * Applies the pending migrations, serialized across processes. Returns the applied ones.
 *
 * @since 0.1.0
 * @category migrations
 */
export const run: Effect.Effect<
  ReadonlyArray<readonly [id: number, name: string]>,
  Migrator.MigrationError | SqlError,
  SqlClient.SqlClient
> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const migrate = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table })
  return yield* sql.withTransaction(
    Effect.zipRight(
      sql.unsafe(`select pg_advisory_xact_lock(${lockKey})`).pipe(
        // A separate statement, because a statement's snapshot predates the lock it waits for.
        Effect.zipRight(
          sql.unsafe<{ missing: boolean; legacy: boolean }>(
            `select to_regclass('${table}') is null as missing, to_regclass('${legacyTable}') is not null as legacy`
          )
        ),
        // The Migrator probes its table with a query that fails, and so aborts this
        // transaction, when the table is missing. The table is created here first, and only when
        // missing, because a role without CREATE on the schema may migrate an up-to-date database.
        Effect.flatMap(([row]) =>
          row?.missing === true
            ? Effect.zipRight(
              sql.unsafe(`create table ${table} (
                migration_id integer primary key,
                created_at timestamp with time zone not null default now(),
                name text not null
              )`),
              row.legacy ? adoptLegacyRows(sql) : Effect.void
            )
            : Effect.void
        )
      ),
      migrate
    )
  ).pipe(
    Effect.tap((applied) =>
      applied.length === 0 ? Effect.void : Effect.logInfo(
        `Applied ${applied.length} migration(s): ${applied.map(([id, name]) => `${id}_${name}`).join(", ")}`
      )
    )
  )
}).pipe(Effect.withSpan("Migrations.run"))
