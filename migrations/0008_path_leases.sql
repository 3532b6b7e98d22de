-- 0008: path leases, so agents working in parallel do not edit the same files: an agent holds gitignore-style patterns (optionally for a claimed task) until they expire or are released, and the PreToolUse hook denies other agents' writes inside them.
-- `pattern` is kept as written (the syntax of Edit rules) with `anchor`, the absolute folder it was
-- written against (the project's repo root, else the creating command's cwd): the hook matches a file
-- against the pattern anchored there, wherever the hook itself runs. A lease counts while released_at is
-- NULL and expires_at is in the future; released and expired rows stay as history.

CREATE TABLE path_leases (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    agent       TEXT NOT NULL,
    task_id     TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    pattern     TEXT NOT NULL,
    anchor      TEXT NOT NULL,  -- absolute folder the pattern is relative to
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    released_at TEXT
);
-- The hook asks on every write-tool call "which leases are live now?": a partial index over open leases by
-- expiry answers it without touching history (with no lease it is one empty index probe).
CREATE INDEX ix_path_leases_live ON path_leases(expires_at) WHERE released_at IS NULL;
CREATE INDEX ix_path_leases_project ON path_leases(project_id, released_at, expires_at);
CREATE INDEX ix_path_leases_task ON path_leases(task_id, agent) WHERE task_id IS NOT NULL;
CREATE INDEX ix_path_leases_agent ON path_leases(agent, released_at);
