/**
 * The append of a single event, the common case (a notification usually brings one
 * transition), as a PL/pgSQL function with scalar parameters. It gives the same outcomes as the
 * batch function of `heads.ts` for a batch of one event, without the array parameters, the
 * aggregates and the loops that the batch case needs.
 */
import { extract, type HeadTable, patchAssignments } from "./heads.js"

/** The outcome of a one-event append, as the `outcome` column names it. */
export type Outcome = "appended" | "duplicate" | "different" | "conflict" | "not_first_write"

/** The row {@link appendOneFunction} returns. */
export interface AppendOneRow {
  readonly outcome: Outcome
  /** The new event's position, or for `duplicate` the stored event's. */
  readonly event_position: bigint | null
  /** The new event's version, or for `duplicate` the stored event's. */
  readonly event_version: number | null
  /** The head's version after an append, or the current one for `conflict` (null without a head). */
  readonly head_version: number | null
}

const parameters = [
  ["p_stream", "text"],
  ["p_expected", "bigint"],
  ["p_key", "text"],
  ["p_event_id", "uuid"],
  ["p_type", "text"],
  ["p_data", "jsonb"],
  ["p_metadata", "jsonb"],
  ["p_occurred_at", "timestamptz"],
  ["p_digest", "bytea"],
  ["p_patch", "jsonb"]
] as const

/** The number of parameters of {@link appendEventCall} (and of the function of migrations 4 to 6). */
export const appendOneParameterCount: number = parameters.length

/** The name of the function that appends one event to a stream headed by `head`. */
export const appendOneFunctionName = (head: HeadTable): string => `append_one_to_${head.table}`

// Looks the event up by id in its stream: its position and version, and whether its content
// matches the one being appended.
const findEvent =
  `select e.position, e.version::int, e.type = p_type and e.data = p_data and e.occurred_at = p_occurred_at
      into event_position, event_version, v_same
      from run_events e where e.stream_id = p_stream and e.event_id = p_event_id;`

// Moves the head to the next version, if it is still at the expected one, with `assignments`
// setting the patch's columns, and chains the digest onto the head's hash.
const headUpdate = (head: HeadTable, assignments: string, from: string, indent: string): string =>
  [
    `update ${head.table} h set`,
    `  version = p_expected + 1,`,
    `  ${assignments},`,
    `  head_hash = sha256(h.head_hash || p_digest),`,
    `  updated_at = now()${from}`,
    `where h.${head.key} = p_key and h.version = p_expected`,
    `returning h.head_hash into v_hash;`
  ].join(`\n${indent}`)

/**
 * Builds the condition that the patch `p_patch` has exactly the keys of `shape`, one of the
 * head's update shapes. Throws on a shape that names a column the head lacks, which is a mistake
 * in the head's definition.
 */
export const shapeCondition = (head: HeadTable, shape: ReadonlyArray<string>): string => {
  const names = head.columns.map((column) => column.name)
  const unknown = shape.filter((name) => !names.includes(name))
  if (unknown.length > 0 || shape.length === 0) {
    throw new Error(
      `The update shape [${shape.join(", ")}] of ${head.table} must name some of its columns, and only those: ${
        unknown.length > 0 ? `it has no column ${unknown.join(", ")}` : "it names none"
      }`
    )
  }
  const others = names.filter((name) => !shape.includes(name))
  const present = `p_patch ?& '{${shape.join(",")}}'::text[]`
  return others.length === 0 ? present : `${present} and not p_patch ?| '{${others.join(",")}}'::text[]`
}

// Builds the head's update: one statement per update shape, setting only the shape's columns,
// then the statement that tests every column, for a patch of any other shape. PostgreSQL sets up
// every expression of a statement on each call, even of a cached plan. In a callgrind count on
// PostgreSQL 18, setting up those column tests cost about 5% of the server's instructions per
// append.
const headUpdates = (head: HeadTable): string => {
  const generic = headUpdate(
    head,
    patchAssignments(head, ",\n        "),
    "\n      from (select p_patch as patch) m",
    "      "
  )
  if (head.updateShapes.length === 0) return generic
  const branches = head.updateShapes.map((shape, index) => {
    const columns = head.columns.filter((column) => shape.includes(column.name))
    const assignments = columns.map((column) => `${column.name} = ${extract(column, "p_patch")}`).join(",\n        ")
    return `${index === 0 ? "if" : "elsif"} ${shapeCondition(head, shape)} then\n      ${
      headUpdate(head, assignments, "", "      ")
    }`
  })
  return `${branches.join("\n    ")}\n    else\n      ${generic}\n    end if;`
}

// The two forms of the one-event function: the record of migrations 4 to 6, and the array that
// the store calls since migration 8.
interface FunctionForm {
  readonly name: string
  // Text between the parameters and the body: the result's declaration.
  readonly result: string
  readonly declarations: string
  // Ends the function early, once the result variables are set.
  readonly exit: string
  // Ends the function after an append.
  readonly finish: string
}

const functionText = (head: HeadTable, form: FunctionForm): string => `
create or replace function ${form.name}(
  ${parameters.map(([name, type]) => `${name} ${type}`).join(", ")}${form.result} language plpgsql as $append$
declare
  v_same boolean;
  v_hash bytea;${form.declarations}
begin
  if pg_current_xact_id_if_assigned() is not null then
    outcome := 'not_first_write';
    ${form.exit}
  end if;
  if p_expected = 0 then
    v_hash := sha256('\\x${"00".repeat(32)}'::bytea || p_digest);
    insert into ${head.table} as h (${head.key}, version, ${
  head.columns.map((column) => column.name).join(", ")
}, head_hash)
    select p_key, 1, ${head.columns.map((column) => extract(column)).join(", ")}, v_hash
    from (select p_patch as patch) m
    on conflict (${head.key}) do nothing;
  else
    perform from run_events e where e.stream_id = p_stream and e.event_id = p_event_id;
    if found then
      ${findEvent}
      outcome := case when v_same then 'duplicate' else 'different' end;
      ${form.exit}
    end if;
    ${headUpdates(head)}
  end if;
  if not found then
    ${findEvent}
    if found then
      outcome := case when v_same then 'duplicate' else 'different' end;
    else
      outcome := 'conflict';
      select h.version::int into head_version from ${head.table} h where h.${head.key} = p_key;
    end if;
    ${form.exit}
  end if;
  insert into run_events (stream_id, version, event_id, type, data, metadata, occurred_at, hash)
  values (p_stream, p_expected + 1, p_event_id, p_type, p_data, p_metadata, p_occurred_at, v_hash)
  returning position into event_position;
  outcome := 'appended';
  event_version := p_expected + 1;
  head_version := p_expected + 1;${form.finish}
end
$append$`

/**
 * Creates the PL/pgSQL function of migrations 4 to 6 that appends one event to a stream headed
 * by `head` and returns one {@link AppendOneRow}. Migration 8 replaced it with
 * {@link appendEventFunction}, which works the same way.
 *
 * NOTE: the function stays in the database, so a process of an earlier version can append
 * during a rolling upgrade. No version of the store calls it after migration 8.
 */
export const appendOneFunction = (head: HeadTable): string =>
  functionText(head, {
    name: appendOneFunctionName(head),
    result: ",\n  out outcome text, out event_position bigint, out event_version int, out head_version int\n)",
    declarations: "",
    exit: "return;",
    finish: ""
  })

/** The outcomes in the order of their codes in {@link appendEventFunction}'s result, from 1. */
const outcomeCodes: ReadonlyArray<Outcome> = ["appended", "duplicate", "different", "conflict", "not_first_write"]

const resultArray = `return array[array_position('{${
  outcomeCodes.join(",")
}}'::text[], outcome), event_position, event_version, head_version];`

/** The name of the function that appends one event to a stream headed by `head`, since migration 8. */
export const appendEventFunctionName = (head: HeadTable): string => `append_event_to_${head.table}`

/**
 * Creates the PL/pgSQL function that appends one event to a stream headed by `head`.
 * Parameters: the stream, the expected version, the head key, the event's id, type, data,
 * metadata, occurred time, digest (32 bytes) and head patch. It returns a `bigint[]` of the
 * outcome's code and the other fields of {@link AppendOneRow}, which {@link decodeAppendEvent}
 * reads.
 *
 * A stored event with the same id is a duplicate when its type, data and occurred time match
 * (whatever the expected version) and `different` otherwise. Otherwise the head moves to the
 * next version only if it is still at the expected one (a compare-and-set), and the event is
 * inserted. Its hash chains the digest onto the head's stored hash, which every append keeps
 * equal to the hash of the stream's last event, so the chain needs no read of that event.
 *
 * The event is looked up before the compare-and-set only when the stream may already hold it.
 * When the append creates the head row (expected version 0), the stream has no events yet, so it
 * looks only if the head row already existed. If a deleted head row let an old event through,
 * the insert's unique constraint rejects it and the caller resolves the outcome.
 *
 * A writer that lost the compare-and-set waited for the winner's commit. It then looks for its
 * event once more, because the winner may have written this very event. Nothing is written
 * when the transaction already has an id: an append must be its transaction's first write for
 * the global feed to keep each stream's order.
 *
 * The function returns an array, not a record, and the call selects it as a value. With a
 * record of output parameters, selected with `select * from`, PostgreSQL built the row type and
 * a function scan on every call. That cost 5% to 8% of the server's CPU per append at 16 writers
 * (an exploratory pgbench measurement on PostgreSQL 15). The function sets no
 * `plan_cache_mode`, because a `SET` clause makes every call save and restore the setting.
 */
export const appendEventFunction = (head: HeadTable): string =>
  functionText(head, {
    name: appendEventFunctionName(head),
    result: "\n) returns bigint[]",
    declarations: "\n  outcome text;\n  event_position bigint;\n  event_version int;\n  head_version int;",
    exit: resultArray,
    finish: `\n  ${resultArray}`
  })

/**
 * The result of {@link appendEventFunction}: the outcome's code, then the event's position and
 * version, then the head's version.
 */
export type AppendEventResult = ReadonlyArray<bigint | null>

// Reads a `bigint[]` in PostgreSQL's text form, such as `{1,42,1,NULL}`.
const parseResult = (text: string): AppendEventResult => {
  if (!/^\{(?:-?\d+|NULL)(?:,(?:-?\d+|NULL))*\}$/.test(text)) {
    throw new Error(
      `The append function returned ${
        JSON.stringify(text)
      }, not an array of integers: the database's functions do not match this version of the store, so run its migrations`
    )
  }
  return text.slice(1, -1).split(",").map((item) => item === "NULL" ? null : BigInt(item))
}

/**
 * Reads the result of {@link appendEventFunction}: as the server sends it (text), or as the
 * driver parses it (an array).
 */
export const decodeAppendEvent = (result: string | AppendEventResult): AppendOneRow => {
  const [code, position, version, headVersion] = typeof result === "string" ? parseResult(result) : result
  const outcome = outcomeCodes[Number(code) - 1]
  if (outcome === undefined) {
    throw new Error(
      `The append function returned the unknown outcome code ${
        String(code)
      }: the database's functions do not match this version of the store, so run its migrations`
    )
  }
  return {
    outcome,
    event_position: position ?? null,
    event_version: version == null ? null : Number(version),
    head_version: headVersion == null ? null : Number(headVersion)
  }
}

/** The call of {@link appendEventFunction}: one statement, one round trip. */
export const appendEventCall = (head: HeadTable): string =>
  `select ${appendEventFunctionName(head)}(${
    parameters.map(([, type], index) => `$${index + 1}::${type}`).join(", ")
  }) as result`
