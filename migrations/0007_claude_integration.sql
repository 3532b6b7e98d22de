-- 0007: Claude Code integration: approval requests that always reach an end state (modes observe/queue/strict, status abandoned, matching by session + tool + input), sessions tied to agents, subagents, and per-API-call task attribution from a history of which agent held which task when.
-- approval_requests is rebuilt because SQLite cannot alter a CHECK constraint. Its old `ask` mode is the
-- new `strict` (nerv answered `ask` for every unruled call), and pending requests of ended sessions are
-- closed as `abandoned`: nothing stays pending after its session ended. input_hash (sha256 of the
-- canonical JSON input) lets an event without a tool_use_id (PermissionRequest) find its request.
-- agent_task_spans is history, written by the services in the same transaction as the claim, release or
-- status change that starts or ends a holding; the importer assigns usage.task_id from it by time stamp.

CREATE TABLE approval_requests_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id      TEXT REFERENCES projects(id) ON DELETE SET NULL,
    session_id      TEXT,  -- not a foreign key: the hook may see a session before nerv records it
    task_id         TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    tool            TEXT NOT NULL,
    tool_input      TEXT NOT NULL,  -- JSON
    cwd             TEXT,
    mode            TEXT NOT NULL DEFAULT 'observe' CHECK (mode IN ('observe', 'queue', 'strict')),
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'abandoned')),
    decided_by      TEXT,
    decided_at      TEXT,
    reason          TEXT,
    rule_id         INTEGER REFERENCES approval_rules(id) ON DELETE SET NULL,
    created_at      TEXT NOT NULL,
    suggested_rule  TEXT,
    tool_use_id     TEXT,
    agent           TEXT,  -- NERV_AGENT of the hook, else the session's agent
    hook_event      TEXT CHECK (hook_event IS NULL OR hook_event IN ('PreToolUse', 'PermissionRequest')),
    input_hash      TEXT  -- sha256 hex of the canonical JSON tool input (nerv.hook.requests.input_hash)
);
INSERT INTO approval_requests_new (id, project_id, session_id, task_id, tool, tool_input, cwd, mode, status,
                                   decided_by, decided_at, reason, rule_id, created_at, suggested_rule,
                                   tool_use_id, hook_event)
    SELECT id, project_id, session_id, task_id, tool, tool_input, cwd,
           CASE mode WHEN 'queue' THEN 'queue' ELSE 'strict' END, status, decided_by, decided_at, reason,
           rule_id, created_at, suggested_rule, tool_use_id, 'PreToolUse'
    FROM approval_requests;
-- Keep the AUTOINCREMENT high-water mark: an id once shown to a person is never given to another request.
DELETE FROM sqlite_sequence WHERE name = 'approval_requests_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'approval_requests_new', max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'approval_requests'), 0),
                                        coalesce((SELECT max(id) FROM approval_requests_new), 0));
DROP TABLE approval_requests;
ALTER TABLE approval_requests_new RENAME TO approval_requests;
CREATE INDEX ix_approvals_status ON approval_requests(status);
CREATE INDEX ix_approvals_project ON approval_requests(project_id);
CREATE INDEX ix_approvals_task ON approval_requests(task_id);
CREATE INDEX ix_approvals_rule ON approval_requests(rule_id);
CREATE INDEX ix_approvals_suggested ON approval_requests(suggested_rule, status);
CREATE INDEX ix_approvals_created ON approval_requests(created_at);
-- Every tool event asks "does this session have a pending request?" before hashing any input.
CREATE INDEX ix_approvals_session_status ON approval_requests(session_id, status);

-- hook.mode `ask` answered `ask` for every unruled call: that is `strict` now (`observe` is the new default).
UPDATE settings SET value = '"strict"' WHERE key = 'hook.mode' AND value = '"ask"';

ALTER TABLE claude_sessions ADD COLUMN agent_type TEXT;  -- Claude Code's `--agent` definition (SessionStart)
ALTER TABLE claude_sessions ADD COLUMN waiting_for TEXT;  -- the last Notification, until the session moves on
ALTER TABLE claude_sessions ADD COLUMN waiting_since TEXT;

UPDATE approval_requests SET status = 'abandoned', decided_by = 'session-end',
       decided_at = (SELECT coalesce(s.ended_at, s.updated_at) FROM claude_sessions s WHERE s.id = approval_requests.session_id),
       reason = 'the session ended before the call ran or was decided'
    WHERE status = 'pending'
      AND session_id IN (SELECT id FROM claude_sessions WHERE status = 'ended');

CREATE TABLE subagents (
    session_id       TEXT NOT NULL REFERENCES claude_sessions(id) ON DELETE CASCADE,
    agent_id         TEXT NOT NULL CHECK (length(agent_id) BETWEEN 1 AND 200),  -- Claude Code's agent_id
    agent_type       TEXT,  -- e.g. general-purpose, or a custom agent's name
    transcript_path  TEXT,  -- <session>/subagents/agent-<agent_id>.jsonl
    status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    started_at       TEXT,
    ended_at         TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (session_id, agent_id)
);

CREATE TABLE agent_task_spans (
    id          INTEGER PRIMARY KEY,
    agent       TEXT NOT NULL CHECK (length(agent) BETWEEN 1 AND 200),
    task_id     TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,  -- NULL: the agent still holds the task
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
-- A task has one holder at a time.
CREATE UNIQUE INDEX ux_spans_open_task ON agent_task_spans(task_id) WHERE ended_at IS NULL;
CREATE INDEX ix_spans_agent_time ON agent_task_spans(agent, started_at);
-- What is held now started when it was last started (the best this database knows).
INSERT INTO agent_task_spans (agent, task_id, started_at)
    SELECT assignee, id, coalesce(started_at, updated_at) FROM tasks
    WHERE status IN ('in_progress', 'review') AND assignee IS NOT NULL;

ALTER TABLE usage ADD COLUMN task_id TEXT REFERENCES tasks(id) ON DELETE SET NULL;
ALTER TABLE usage ADD COLUMN subagent_id TEXT;  -- the transcript line's agentId (a subagent's own call)
-- Until now a call's task was its session's: keep every report as it was.
UPDATE usage SET task_id = (SELECT task_id FROM claude_sessions s WHERE s.id = usage.session_id);
UPDATE usage SET subagent_id = (
    SELECT replace(substr(f.path, instr(f.path, '/subagents/agent-') + 17), '.jsonl', '')
    FROM transcript_files f WHERE f.id = usage.source_file_id AND f.path LIKE '%/subagents/agent-%.jsonl');
INSERT OR IGNORE INTO subagents (session_id, agent_id, transcript_path, status, created_at, updated_at)
    SELECT u.session_id, u.subagent_id, min(f.path), 'ended', strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'),
           strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')
    FROM usage u LEFT JOIN transcript_files f ON f.id = u.source_file_id
    WHERE u.subagent_id IS NOT NULL GROUP BY u.session_id, u.subagent_id;
-- The per-task budget guard sums a task's calls before tool calls: an index, only over attributed rows.
CREATE INDEX ix_usage_task ON usage(task_id) WHERE task_id IS NOT NULL;
