-- 0001: the NERV schema (projects, repos, cycles, tasks, deps, sessions, rules, approvals, decisions, metrics, audit, settings).
-- PostgreSQL (team mode, docs/teams.md): the same tables, columns and constraints as the SQLite file; INTEGER is
-- BIGINT, REAL is DOUBLE PRECISION, BLOB is BYTEA, SQLite's rowid keys are identity columns, triggers are
-- PL/pgSQL functions. Time stamps stay the same ISO-8601 UTC text on both backends (docs/architecture.md,
-- "Team mode", says why).
-- Ids: TEXT (uuid hex) for things people and other machines refer to, so exports merge; BIGINT for
-- high-volume or sequential rows. Time stamps: ISO-8601 UTC text ("2026-11-22T03:40:00.000000Z").
-- ON DELETE: CASCADE where a row cannot exist without its owner (a project's tasks), SET NULL where a
-- link is informative (a session's task), and nothing on audit_log, which must outlive what it describes.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    goal        TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE project_repos (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    path        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE INDEX ix_project_repos_project ON project_repos(project_id);

CREATE TABLE cycles (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    number      BIGINT NOT NULL CHECK (number > 0),
    goal        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    learnings   TEXT,
    started_at  TEXT NOT NULL,
    closed_at   TEXT,
    UNIQUE (project_id, number)
);
-- One active cycle per project, enforced by the database rather than by hope.
CREATE UNIQUE INDEX ux_cycles_one_active ON cycles(project_id) WHERE status = 'active';
CREATE INDEX ix_cycles_status ON cycles(status);

CREATE TABLE tasks (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    number            BIGINT NOT NULL CHECK (number > 0),
    cycle_id          TEXT REFERENCES cycles(id) ON DELETE SET NULL,
    parent_id         TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    title             TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    description       TEXT,
    type              TEXT NOT NULL DEFAULT 'task' CHECK (type IN ('task', 'feature', 'bug', 'chore', 'spike', 'docs', 'epic')),
    status            TEXT NOT NULL DEFAULT 'todo'
                      CHECK (status IN ('todo', 'in_progress', 'review', 'done', 'blocked', 'cancelled')),
    priority          BIGINT NOT NULL DEFAULT 2 CHECK (priority BETWEEN 0 AND 4),
    assignee          TEXT,
    lease_expires_at  TEXT,
    status_reason     TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    started_at        TEXT,
    completed_at      TEXT,
    UNIQUE (project_id, number)
);
CREATE INDEX ix_tasks_project_status ON tasks(project_id, status);
CREATE INDEX ix_tasks_status ON tasks(status);
CREATE INDEX ix_tasks_cycle ON tasks(cycle_id);
CREATE INDEX ix_tasks_parent ON tasks(parent_id);
CREATE INDEX ix_tasks_assignee ON tasks(assignee);

CREATE TABLE task_deps (
    task_id        TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    depends_on_id  TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    type           TEXT NOT NULL DEFAULT 'blocks' CHECK (type IN ('blocks', 'related')),
    created_at     TEXT NOT NULL,
    PRIMARY KEY (task_id, depends_on_id),
    CHECK (task_id <> depends_on_id)
);
CREATE INDEX ix_task_deps_depends_on ON task_deps(depends_on_id);

CREATE TABLE claude_sessions (
    id                  TEXT PRIMARY KEY,  -- Claude Code's session_id
    project_id          TEXT REFERENCES projects(id) ON DELETE SET NULL,
    task_id             TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    agent               TEXT,
    model               TEXT,
    cwd                 TEXT,
    source              TEXT,
    end_reason          TEXT,
    transcript_path     TEXT,
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    started_at          TEXT,
    ended_at            TEXT,
    last_activity_at    TEXT,
    input_tokens        BIGINT NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens       BIGINT NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    cache_write_tokens  BIGINT NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0),
    cache_read_tokens   BIGINT NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
    cost_usd            DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX ix_sessions_project ON claude_sessions(project_id);
CREATE INDEX ix_sessions_task ON claude_sessions(task_id);
CREATE INDEX ix_sessions_status ON claude_sessions(status);
CREATE INDEX ix_sessions_started ON claude_sessions(started_at);

CREATE TABLE approval_rules (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    project_id  TEXT REFERENCES projects(id) ON DELETE CASCADE,  -- NULL: a global rule
    tool        TEXT NOT NULL,
    pattern     TEXT,  -- the specifier inside the parentheses; NULL for a bare tool name
    rule        TEXT NOT NULL,  -- canonical text, e.g. Bash(npm test *)
    action      TEXT NOT NULL CHECK (action IN ('allow', 'ask', 'deny')),
    reason      TEXT,
    source      TEXT NOT NULL DEFAULT 'cli',
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_rules_scope_rule_action ON approval_rules(COALESCE(project_id, ''), rule, action);
CREATE INDEX ix_rules_tool ON approval_rules(tool);
CREATE INDEX ix_rules_project ON approval_rules(project_id);

CREATE TABLE approval_requests (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    project_id  TEXT REFERENCES projects(id) ON DELETE SET NULL,
    session_id  TEXT,  -- not a foreign key: the hook may see a session before nerv records it
    task_id     TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    tool        TEXT NOT NULL,
    tool_input  TEXT NOT NULL,  -- JSON
    cwd         TEXT,
    mode        TEXT NOT NULL DEFAULT 'ask' CHECK (mode IN ('ask', 'queue')),
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
    decided_by  TEXT,
    decided_at  TEXT,
    reason      TEXT,
    rule_id     BIGINT REFERENCES approval_rules(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX ix_approvals_status ON approval_requests(status);
CREATE INDEX ix_approvals_project ON approval_requests(project_id);
CREATE INDEX ix_approvals_task ON approval_requests(task_id);
CREATE INDEX ix_approvals_rule ON approval_requests(rule_id);

CREATE TABLE decisions (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    number            BIGINT NOT NULL CHECK (number > 0),
    title             TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    context           TEXT,
    decision          TEXT,
    consequences      TEXT,
    alternatives      TEXT,
    status            TEXT NOT NULL DEFAULT 'proposed'
                      CHECK (status IN ('proposed', 'accepted', 'rejected', 'deprecated', 'superseded')),
    superseded_by_id  TEXT REFERENCES decisions(id) ON DELETE SET NULL,
    task_id           TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    cycle_id          TEXT REFERENCES cycles(id) ON DELETE SET NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (project_id, number)
);
CREATE INDEX ix_decisions_status ON decisions(status);
CREATE INDEX ix_decisions_task ON decisions(task_id);
CREATE INDEX ix_decisions_cycle ON decisions(cycle_id);
CREATE INDEX ix_decisions_superseded_by ON decisions(superseded_by_id);

CREATE TABLE metrics (
    id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    project_id   TEXT REFERENCES projects(id) ON DELETE SET NULL,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    value        DOUBLE PRECISION NOT NULL,
    unit         TEXT,
    task_id      TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    session_id   TEXT,
    meta         TEXT,  -- JSON object
    recorded_at  TEXT NOT NULL
);
CREATE INDEX ix_metrics_name_time ON metrics(name, recorded_at);
CREATE INDEX ix_metrics_project ON metrics(project_id);
CREATE INDEX ix_metrics_task ON metrics(task_id);

CREATE TABLE audit_log (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,  -- assigned as last id + 1 under the write lock: the chain's order
    ts          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT,
    project_id  TEXT,  -- no foreign key: the log outlives deleted projects
    before      TEXT,  -- JSON of the changed fields before
    after       TEXT,  -- JSON of the changed fields after
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE
);
CREATE INDEX ix_audit_entity ON audit_log(entity, entity_id);
CREATE INDEX ix_audit_project ON audit_log(project_id);
CREATE INDEX ix_audit_ts ON audit_log(ts);

CREATE TABLE settings (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    project_id  TEXT REFERENCES projects(id) ON DELETE CASCADE,  -- NULL: global
    key         TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    value       TEXT NOT NULL,  -- JSON
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_settings_scope_key ON settings(COALESCE(project_id, ''), key);
