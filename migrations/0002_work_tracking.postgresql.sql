-- 0002: work tracking: an agents table (who claimed, last heartbeat) and the indexes the ready query and lease expiry need.
-- PostgreSQL's version of step 0002 (types as in 0001_initial.postgresql.sql).
-- The ready query walks a project's todo tasks in (priority, created_at) order and probes each one's
-- blocking dependencies, so both sides get an index that answers without touching the table.

CREATE TABLE agents (
    name               TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
    first_seen_at      TEXT NOT NULL,
    last_seen_at       TEXT NOT NULL,
    last_heartbeat_at  TEXT,
    last_action        TEXT
);

-- Ready order: priority, then age, within a project and status.
CREATE INDEX ix_tasks_ready_order ON tasks(project_id, status, priority, created_at, number);
-- Finding expired leases without scanning every in-progress task.
CREATE INDEX ix_tasks_lease ON tasks(lease_expires_at) WHERE lease_expires_at IS NOT NULL;
-- The NOT EXISTS probe: a task's blocking dependencies, covering the dependency's id.
CREATE INDEX ix_task_deps_task_type ON task_deps(task_id, type, depends_on_id);
-- ... and the status of each dependency read from the index alone (no table seek per probed edge).
CREATE INDEX ix_tasks_id_status ON tasks(id, status);
