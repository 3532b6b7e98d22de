-- 0015: faster transcript import and archive. usage_rollup_paused lets the transcript import add a batch of new usage rows to usage_daily in one GROUP BY instead of one upsert per row (measured: the per-row upsert was 60 % of the insert's cost).
-- The insert trigger stands aside while the table holds a row. The importer inserts that row and deletes it
-- inside its own write transaction (nerv.store.queries_costs.rollup_added_in_bulk), so no other writer, and
-- no committed state, ever sees it: every other INSERT keeps the rollup exact row by row, as before.
-- archive_chunks also accepts codec 'zstd' (ten times zlib's speed, smaller, on the transcript bench;
-- docs/performance.md). SQLite cannot change a CHECK in place: both archive tables are copied into new ones
-- (the chunk list first dropped, so no row ever references a missing chunk) and renamed back.

CREATE TABLE usage_rollup_paused (
    paused INTEGER PRIMARY KEY
);

DROP TRIGGER usage_daily_ai;

CREATE TRIGGER usage_daily_ai AFTER INSERT ON usage
WHEN NOT EXISTS (SELECT 1 FROM usage_rollup_paused)
BEGIN
    INSERT INTO usage_daily (day, session_id, project_id, model, task_id, subagent_id, api_calls, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_nano, unpriced_calls)
    VALUES (substr(new.ts, 1, 10), new.session_id, coalesce(new.project_id, ''), coalesce(new.model, ''), coalesce(new.task_id, ''), coalesce(new.subagent_id, ''), 1, new.input_tokens, new.output_tokens, new.cache_write_5m_tokens, new.cache_write_1h_tokens, new.cache_read_tokens, CAST(round(new.cost_usd * 1e9) AS INTEGER), (1 - new.cost_known))
    ON CONFLICT (day, session_id, project_id, model, task_id, subagent_id) DO UPDATE SET
        api_calls = api_calls + excluded.api_calls, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cache_write_5m_tokens = cache_write_5m_tokens + excluded.cache_write_5m_tokens, cache_write_1h_tokens = cache_write_1h_tokens + excluded.cache_write_1h_tokens, cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, cost_nano = cost_nano + excluded.cost_nano, unpriced_calls = unpriced_calls + excluded.unpriced_calls;
END;

CREATE TABLE archive_chunks_v2 (
    hash         TEXT PRIMARY KEY CHECK (length(hash) = 64),  -- sha256 of the uncompressed bytes; the file name
    size         INTEGER NOT NULL CHECK (size > 0),  -- uncompressed bytes
    stored_size  INTEGER NOT NULL CHECK (stored_size > 0),  -- bytes of the compressed file on disk
    codec        TEXT NOT NULL CHECK (codec IN ('zlib', 'zstd')),
    created_at   TEXT NOT NULL
);
INSERT INTO archive_chunks_v2 (hash, size, stored_size, codec, created_at)
SELECT hash, size, stored_size, codec, created_at FROM archive_chunks;

CREATE TABLE archive_file_chunks_v2 (
    file_id     INTEGER NOT NULL REFERENCES archive_files(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL CHECK (seq >= 0),
    chunk_hash  TEXT NOT NULL REFERENCES archive_chunks_v2(hash),
    PRIMARY KEY (file_id, seq)
);
INSERT INTO archive_file_chunks_v2 (file_id, seq, chunk_hash) SELECT file_id, seq, chunk_hash FROM archive_file_chunks;

DROP TABLE archive_file_chunks;
DROP TABLE archive_chunks;
ALTER TABLE archive_chunks_v2 RENAME TO archive_chunks;
ALTER TABLE archive_file_chunks_v2 RENAME TO archive_file_chunks;
CREATE INDEX ix_archive_file_chunks_chunk ON archive_file_chunks(chunk_hash);
