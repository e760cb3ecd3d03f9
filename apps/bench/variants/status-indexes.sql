-- The head indexes on status and outcome that migration 7 dropped. With them, the update that
-- settles a run or an attempt changes an indexed column, so PostgreSQL writes a new entry in
-- every index of the head table instead of a heap-only update.
create index workflow_runs_status on workflow_runs (status, started_at, run_id);
create index invocations_outcome on invocations (outcome, requested_at, idempotency_key);
