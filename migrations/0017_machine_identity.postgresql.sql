-- 0017 (PostgreSQL): usage from many machines, and who wrote each audit row (docs/teams.md, "Identity").
-- usage.machine_id: the machine whose copy of an API call is stored (nerv.machine); not part of any unique
-- key, so the same call imported on two machines is still one row (ux_usage_api_call).
-- transcript_files.machine_id: the machine whose file the read state describes (the last to read it: a
-- SQLite ledger is one machine's, so its path stays the key; the PostgreSQL twin keys it per machine).
-- audit_log.db_role: the database role that wrote the row (PostgreSQL's current_user); NULL on SQLite,
-- and a NULL db_role leaves a row's hash as before (nerv.store.audit.row_hash).
ALTER TABLE usage ADD COLUMN machine_id TEXT;
ALTER TABLE transcript_files ADD COLUMN machine_id TEXT;
ALTER TABLE audit_log ADD COLUMN db_role TEXT;

-- A line without message.id is one call per session, time stamp, model and token counts, wherever it was read:
-- keyed by file and offset alone (0004), the same transcript at two paths or on two machines counted twice.
-- Copies already stored twice are removed (the first kept) and those sessions' totals summed again.
DELETE FROM usage WHERE message_id IS NULL AND id NOT IN (
    SELECT MIN(id) FROM usage WHERE message_id IS NULL
    GROUP BY session_id, ts, COALESCE(model, ''), input_tokens, output_tokens, cache_write_5m_tokens,
             cache_write_1h_tokens, cache_read_tokens);
UPDATE claude_sessions SET
    input_tokens = (SELECT COALESCE(SUM(input_tokens), 0) FROM usage WHERE usage.session_id = claude_sessions.id),
    output_tokens = (SELECT COALESCE(SUM(output_tokens), 0) FROM usage WHERE usage.session_id = claude_sessions.id),
    cache_write_tokens = (SELECT COALESCE(SUM(cache_write_5m_tokens + cache_write_1h_tokens), 0) FROM usage
                          WHERE usage.session_id = claude_sessions.id),
    cache_read_tokens = (SELECT COALESCE(SUM(cache_read_tokens), 0) FROM usage WHERE usage.session_id = claude_sessions.id),
    cost_usd = (SELECT COALESCE(SUM(cost_usd), 0) FROM usage WHERE usage.session_id = claude_sessions.id)
WHERE id IN (SELECT session_id FROM usage WHERE message_id IS NULL);
CREATE UNIQUE INDEX ux_usage_unkeyed_call ON usage(session_id, ts, COALESCE(model, ''), input_tokens, output_tokens,
    cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens) WHERE message_id IS NULL;
-- On the server two machines' files at one path are two files: a file's read state is keyed per machine.
ALTER TABLE transcript_files DROP CONSTRAINT transcript_files_path_key;
ALTER TABLE transcript_files ADD CONSTRAINT transcript_files_machine_path_key UNIQUE (machine_id, path);
