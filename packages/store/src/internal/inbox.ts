import type { InboxRow } from "../EventStore.js"
import type { PreparedStatement } from "./prepared.js"

/**
 * Extends an append statement so that it also inserts a webhook inbox row in the same statement,
 * and so the same transaction, when the append wrote events. `written.condition` tests the
 * append's result row `appended`, and `written.count` gives the number of events written, which
 * goes into the row's detail. The append function runs first, because the insert reads its
 * result, so it stays the transaction's first write. The inbox row's five parameters follow the
 * append's `appendParameters`.
 */
export const withInbox = (
  append: PreparedStatement,
  appendParameters: number,
  written: { readonly condition: string; readonly count: string }
): PreparedStatement => {
  const placeholder = (index: number) => `$${appendParameters + index}`
  return {
    name: `${append.name}_with_inbox`,
    text: `with appended as materialized (${append.text}),
  inbox as (
    insert into webhook_inbox (event_id, raw_body, outcome, run_id, detail)
    select ${placeholder(1)}::text, ${placeholder(2)}::text, ${placeholder(3)}::text, ${placeholder(4)}::text,
           coalesce(${placeholder(5)}::jsonb, '{}') || jsonb_build_object('appended', ${written.count})
    from appended where ${written.condition}
    on conflict (event_id) do nothing
  )
select * from appended`
  }
}

/** The parameters of {@link withInbox}'s row, in its order. */
export const inboxParameters = (row: InboxRow): ReadonlyArray<unknown> => [
  row.eventId,
  row.rawBody,
  row.outcome,
  row.runId,
  row.detail === null ? null : JSON.stringify(row.detail)
]
