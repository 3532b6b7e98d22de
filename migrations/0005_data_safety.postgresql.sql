-- 0005: data safety: checkpoints, named snapshots of a project's tasks, dependencies, cycles, decisions, settings and repo commits, so a project can be diffed against or rolled back to an earlier state.
-- PostgreSQL's version of step 0005 (types as in 0001_initial.postgresql.sql).
-- The snapshot is one JSON document (docs/data-safety.md describes it): a checkpoint is written once and
-- read whole, never queried by field, and its shape follows the schema of the day it was taken.

CREATE TABLE checkpoints (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    number      BIGINT NOT NULL CHECK (number > 0),
    name        TEXT CHECK (name IS NULL OR length(name) BETWEEN 1 AND 200),
    reason      TEXT,
    kind        TEXT NOT NULL DEFAULT 'manual' CHECK (kind IN ('manual', 'safety')),
    snapshot    TEXT NOT NULL,  -- JSON: {"schema_version", "tables": {kind: [row...]}, "repos": [...]}
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (project_id, number)
);
CREATE INDEX ix_checkpoints_project_time ON checkpoints(project_id, created_at);
