/**
 * The stream-head tables: one row per stream, the stream's optimistic-concurrency guard and its
 * current-state projection at once.
 */

/** A column of a head table that events set through their head patch. */
export interface HeadColumn {
  readonly name: string
  readonly type: "text" | "jsonb" | "boolean" | "timestamptz"
}

/** A head table, the column holding its stream key and the columns events set. */
export interface HeadTable {
  readonly table: string
  readonly key: string
  /** The column that must be set when the head is created. */
  readonly status: string
  readonly columns: ReadonlyArray<HeadColumn>
  /**
   * The key sets of the patches that usually update an existing head: those of the events that
   * settle a run or an attempt. A one-event append whose patch has exactly one of these key sets
   * updates only those columns. Any other patch goes through the update that tests every column.
   */
  readonly updateShapes: ReadonlyArray<ReadonlyArray<string>>
}

/** The head of each run stream. */
export const runs: HeadTable = {
  table: "workflow_runs",
  key: "run_id",
  status: "status",
  columns: [
    { name: "status", type: "text" },
    { name: "workflow_id", type: "text" },
    { name: "livemode", type: "boolean" },
    { name: "trigger_type", type: "text" },
    { name: "input_parameters", type: "jsonb" },
    { name: "error_message", type: "text" },
    { name: "started_at", type: "timestamptz" },
    { name: "finished_at", type: "timestamptz" }
  ],
  updateShapes: [["status", "finished_at"], ["status", "finished_at", "error_message"]]
}

/** The head of each invocation-attempt stream. */
export const invocations: HeadTable = {
  table: "invocations",
  key: "idempotency_key",
  status: "outcome",
  columns: [
    { name: "outcome", type: "text" },
    { name: "workflow_id", type: "text" },
    { name: "input_parameters", type: "jsonb" },
    { name: "actor", type: "text" },
    { name: "run_id", type: "text" },
    { name: "error", type: "jsonb" },
    { name: "requested_at", type: "timestamptz" },
    { name: "settled_at", type: "timestamptz" }
  ],
  updateShapes: [["outcome", "run_id", "error", "settled_at"], ["outcome", "error", "settled_at"], ["outcome", "error"]]
}

/** Builds the SQL expression that reads `column` from the head patch `patch` (`m.patch` by default). */
export const extract = (column: HeadColumn, patch: string = "m.patch"): string => {
  switch (column.type) {
    case "text":
      return `(${patch}->>'${column.name}')`
    case "jsonb":
      return `nullif(${patch}->'${column.name}', 'null'::jsonb)`
    case "boolean":
      return `(${patch}->>'${column.name}')::boolean`
    case "timestamptz":
      return `(${patch}->>'${column.name}')::timestamptz`
  }
}

const appendParameters = [
  ["p_stream", "text"],
  ["p_expected", "bigint"],
  ["p_key", "text"],
  ["p_event_ids", "uuid[]"],
  ["p_types", "text[]"],
  ["p_data", "text[]"],
  ["p_metadata", "text[]"],
  ["p_occurred_at", "text[]"],
  ["p_digests", "text[]"],
  ["p_patches", "text[]"]
] as const

/** The number of parameters of {@link appendCall}. */
export const appendParameterCount: number = appendParameters.length

const appendResults = [
  ["first_write", "boolean"],
  ["all_duplicates", "boolean"],
  ["overlap", "boolean"],
  ["leading_duplicates", "int"],
  ["written", "boolean"],
  ["positions", "text[]"],
  ["existing_positions", "text[]"],
  ["existing_versions", "int[]"],
  ["different", "int[]"],
  ["head_version", "int"]
] as const

/**
 * The SET list of an UPDATE of `head` aliased `h` that applies the patch `m.patch`: each column
 * the patch names takes the patch's value, the others keep theirs.
 */
export const patchAssignments = (head: HeadTable, separator: string): string =>
  head.columns
    .map((column) =>
      `${column.name} = case when m.patch ? '${column.name}' then ${extract(column)} else h.${column.name} end`
    )
    .join(separator)

/** The name of the function that appends to streams headed by `head`. */
export const appendFunctionName = (head: HeadTable): string => `append_to_${head.table}`

/**
 * Drops the append function of `head`, whose result columns changed after migration 2 (a
 * replacement cannot change them).
 */
export const dropAppendFunction = (head: HeadTable): string =>
  `drop function if exists ${appendFunctionName(head)}(${appendParameters.map(([, type]) => type).join(", ")})`

/**
 * Creates the PL/pgSQL function that appends to streams headed by `head`, in one call.
 * Parameters: the stream, the expected version, the head key, then one array per event field:
 * ids, types, data, metadata, occurred times, digests (hex) and head patches. It returns one row
 * of {@link appendResults}.
 *
 * It classifies the batch against the stored events: all duplicates, leading duplicates
 * followed by new events, overlap or different content. Then it writes only when the head's
 * version still equals the expected one. This is a compare-and-set: a writer that waited for a
 * concurrent one re-checks the version and writes nothing. Each new event's digest is chained
 * onto its stored predecessor's hash. Nothing is written when the transaction already has an
 * id, because an append must be its transaction's first write for the global feed to keep each
 * stream's order.
 *
 * The classification joins the batch with the stored events only when an index probe finds one
 * of them, so a batch of new events skips the join and its aggregates.
 *
 * Each step is a small statement whose plan PL/pgSQL caches per session. The plans are generic:
 * with the custom plans PostgreSQL otherwise keeps choosing (the generic ones estimate ten
 * elements per array), every call planned each statement again, which cost about a third of
 * the function's time at 16 writers on PostgreSQL 15.
 */
export const appendFunction = (head: HeadTable): string => {
  const setColumns = patchAssignments(head, ",\n        ")
  const insertColumns = head.columns.map((column) => column.name).join(", ")
  const insertValues = head.columns.map((column) => extract(column)).join(", ")
  return `
create or replace function ${appendFunctionName(head)}(
  ${appendParameters.map(([name, type]) => `${name} ${type}`).join(", ")},
  ${appendResults.map(([name, type]) => `out ${name} ${type}`).join(", ")}
) language plpgsql set plan_cache_mode = force_generic_plan as $append$
declare
  n int := cardinality(p_event_ids);
  k int;
  x_ords int[];
  x_same boolean[];
  x_versions int[];
  x_positions text[];
  base bigint;
  v_hash bytea;
  hashes bytea[] := '{}';
  v_patch jsonb := '{}';
  i int;
begin
  first_write := pg_current_xact_id_if_assigned() is null;
  -- Usually no event of the batch is stored yet, and one index probe shows it.
  if exists (select 1 from run_events e where e.stream_id = p_stream and e.event_id = any(p_event_ids)) then
    select coalesce(array_agg(b.ord::int order by b.ord), '{}'),
           coalesce(array_agg(e.type = p_types[b.ord] and e.data = p_data[b.ord]::jsonb
                                and e.occurred_at = p_occurred_at[b.ord]::timestamptz order by b.ord), '{}'),
           coalesce(array_agg(e.version::int order by b.ord), '{}'),
           coalesce(array_agg(e.position::text order by b.ord), '{}')
      into x_ords, x_same, x_versions, x_positions
      from (select u.event_id, u.ord::int as ord from unnest(p_event_ids) with ordinality as u(event_id, ord)) b
      join run_events e on e.stream_id = p_stream and e.event_id = b.event_id;
  else
    x_ords := '{}';
    x_same := '{}';
    x_versions := '{}';
    x_positions := '{}';
  end if;
  existing_positions := x_positions;
  existing_versions := x_versions;
  different := '{}';
  k := n;
  all_duplicates := cardinality(x_ords) = n;
  for i in 1 .. cardinality(x_ords) loop
    if not x_same[i] then
      different := different || x_ords[i];
      all_duplicates := false;
    end if;
  end loop;
  -- The leading duplicates: the events before the first one not stored at its expected version.
  for i in 1 .. n loop
    if not coalesce(x_ords[i] = i and x_same[i] and x_versions[i] = p_expected + i, false) then
      k := i - 1;
      exit;
    end if;
  end loop;
  overlap := cardinality(x_ords) > 0 and x_ords[cardinality(x_ords)] > k;
  leading_duplicates := k;
  written := false;
  positions := '{}';
  base := p_expected + k;
  if first_write and not all_duplicates and not overlap then
    if base = 0 then
      v_hash := '\\x${"00".repeat(32)}'::bytea;
    else
      select e.hash into v_hash from run_events e where e.stream_id = p_stream and e.version = base;
    end if;
    if v_hash is not null then
      for i in k + 1 .. n loop
        v_hash := sha256(v_hash || decode(p_digests[i], 'hex'));
        hashes := hashes || v_hash;
        v_patch := v_patch || p_patches[i]::jsonb;
      end loop;
      if base = 0 then
        insert into ${head.table} as h (${head.key}, version, ${insertColumns}, head_hash)
        select p_key, n - k, ${insertValues}, v_hash
        from (select v_patch as patch) m
        on conflict (${head.key}) do nothing;
      else
        update ${head.table} h set
          version = base + n - k,
          ${setColumns},
          head_hash = v_hash,
          updated_at = now()
        from (select v_patch as patch) m
        where h.${head.key} = p_key and h.version = base;
      end if;
      written := found;
    end if;
  end if;
  if written then
    with inserted as (
      insert into run_events (stream_id, version, event_id, type, data, metadata, occurred_at, hash)
      select p_stream, base + f.ord, p_event_ids[k + f.ord], p_types[k + f.ord], p_data[k + f.ord]::jsonb,
             p_metadata[k + f.ord]::jsonb, p_occurred_at[k + f.ord]::timestamptz, f.hash
      from (select u.hash, u.ord::int as ord from unnest(hashes) with ordinality as u(hash, ord)) f
      order by f.ord
      returning run_events.position, run_events.version
    )
    select array_agg(inserted.position::text order by inserted.version) into positions from inserted;
    head_version := base + n - k;
  else
    select h.version::int into head_version from ${head.table} h where h.${head.key} = p_key;
  end if;
end
$append$`
}

/** The call of {@link appendFunction}: one statement, one round trip. */
export const appendCall = (head: HeadTable): string =>
  `select * from ${appendFunctionName(head)}(${
    appendParameters.map(([, type], index) => `$${index + 1}::${type}`).join(", ")
  })`

/**
 * Writes the heads of a batch of streams into `table` in one statement, one array element per
 * stream. Each element carries the first and last versions of the stream's events in the batch
 * and their patches merged in order, as the append function merges them. A stream whose batch
 * starts at version 1 gets a new head. Any other stream's head is updated only when it is at the
 * version before the batch's first. Created and updated times are the recorded times of the
 * first and last events, as in the inline head.
 *
 * Parameters, arrays in the same order: $1 keys, $2 streams, $3 first versions, $4 last
 * versions, $5 merged patches, $6 last hashes (hex). Returns the key of each updated head, so the
 * caller can name a stream that does not follow its head.
 */
export const projectBatchStatement = (head: HeadTable, table: string): string =>
  `with m as (
     select b.key, b.first_version, b.last_version, b.patch::jsonb as patch, decode(b.hash, 'hex') as hash,
            f.recorded_at as first_recorded_at, l.recorded_at as last_recorded_at
     from unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[])
            as b(key, stream, first_version, last_version, patch, hash)
     join run_events f on f.stream_id = b.stream and f.version = b.first_version
     join run_events l on l.stream_id = b.stream and l.version = b.last_version
   ),
   inserted as (
     insert into ${table} (${head.key}, version, ${head.columns.map((column) => column.name).join(", ")},
       head_hash, created_at, updated_at)
     select m.key, m.last_version, ${
    head.columns.map((column) => extract(column)).join(", ")
  }, m.hash, m.first_recorded_at, m.last_recorded_at
     from m where m.first_version = 1
   ),
   updated as (
     update ${table} h set version = m.last_version,
     ${patchAssignments(head, ",\n     ")},
     head_hash = m.hash, updated_at = m.last_recorded_at
     from m
     where m.first_version > 1 and h.${head.key} = m.key and h.version = m.first_version - 1
     returning h.${head.key} as key
   )
   select key from updated`
