-- 0004: per-API-call token usage imported from Claude Code transcripts (kept after Claude Code deletes them), import bookkeeping for incremental re-reads, price overrides, and budgets.
-- usage holds one row per API call: (message_id, request_id) is unique, so a response written as several
-- transcript lines, or copied into another file, is counted once. Lines without a message id have no such
-- identity; they are keyed by where they were read (file, byte offset). Session totals in
-- claude_sessions are sums over these rows, recomputed by the importer in the same transaction.
-- Indexes are few on purpose: each one costs every bulk insert. Budgets read today's or this month's rows
-- through ix_usage_ts and filter the project there; re-pricing and replaced files are rare and may scan.

CREATE TABLE transcript_files (
    id               INTEGER PRIMARY KEY,
    path             TEXT NOT NULL UNIQUE,
    size             INTEGER NOT NULL CHECK (size >= 0),
    mtime_ns         INTEGER NOT NULL,
    offset           INTEGER NOT NULL CHECK (offset >= 0),  -- bytes consumed: always the end of a complete line
    first_line_hash  TEXT,  -- sha256 of the first line (its first 64 KiB): a different hash means the file was replaced
    lines            INTEGER NOT NULL DEFAULT 0 CHECK (lines >= 0),
    skipped          INTEGER NOT NULL DEFAULT 0 CHECK (skipped >= 0),
    imported_at      TEXT NOT NULL
);

CREATE TABLE usage (
    id                     INTEGER PRIMARY KEY,
    session_id             TEXT NOT NULL REFERENCES claude_sessions(id) ON DELETE CASCADE,
    project_id             TEXT REFERENCES projects(id) ON DELETE SET NULL,  -- NULL: the unassigned bucket
    message_id             TEXT,
    request_id             TEXT,  -- '' when the line had a message id but no requestId
    model                  TEXT,
    ts                     TEXT NOT NULL,
    cwd                    TEXT,
    is_sidechain           INTEGER NOT NULL DEFAULT 0 CHECK (is_sidechain IN (0, 1)),
    input_tokens           INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens          INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    cache_write_5m_tokens  INTEGER NOT NULL DEFAULT 0 CHECK (cache_write_5m_tokens >= 0),
    cache_write_1h_tokens  INTEGER NOT NULL DEFAULT 0 CHECK (cache_write_1h_tokens >= 0),
    cache_read_tokens      INTEGER NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
    cost_usd               REAL NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    cost_known             INTEGER NOT NULL DEFAULT 1 CHECK (cost_known IN (0, 1)),  -- 0: no price for the model
    source_file_id         INTEGER REFERENCES transcript_files(id) ON DELETE SET NULL,
    line_offset            INTEGER  -- byte offset of the line in its source file
);
CREATE UNIQUE INDEX ux_usage_api_call ON usage(message_id, request_id) WHERE message_id IS NOT NULL;
CREATE UNIQUE INDEX ux_usage_unkeyed_line ON usage(source_file_id, line_offset) WHERE message_id IS NULL;
CREATE INDEX ix_usage_session ON usage(session_id);
CREATE INDEX ix_usage_ts ON usage(ts);

-- Prices in US$ per million tokens that override or extend the built-in table (nerv.pricing).
CREATE TABLE model_prices (
    model           TEXT PRIMARY KEY CHECK (length(model) BETWEEN 1 AND 200),
    input           REAL NOT NULL CHECK (input >= 0),
    output          REAL NOT NULL CHECK (output >= 0),
    cache_write_5m  REAL NOT NULL CHECK (cache_write_5m >= 0),
    cache_write_1h  REAL NOT NULL CHECK (cache_write_1h >= 0),
    cache_read      REAL NOT NULL CHECK (cache_read >= 0),
    updated_at      TEXT NOT NULL
);

CREATE TABLE budgets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  TEXT REFERENCES projects(id) ON DELETE CASCADE,  -- NULL: every project together
    period      TEXT NOT NULL CHECK (period IN ('daily', 'monthly', 'per_task')),
    limit_usd   REAL NOT NULL CHECK (limit_usd > 0),
    hard        INTEGER NOT NULL DEFAULT 1 CHECK (hard IN (0, 1)),  -- hard: enforced by the PreToolUse hook when budget.enforce
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_budgets_scope_period ON budgets(COALESCE(project_id, ''), period);
