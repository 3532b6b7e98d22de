-- 0015: faster transcript import and archive (the SQLite file says how). PostgreSQL's version of step 0015.
-- usage_rollup_paused exists for the schema's sake only: on PostgreSQL the usage triggers never stand aside
-- (nerv.store.queries_costs.rollup_added_in_bulk says why), so 0013's insert trigger stays as it is.
-- archive_chunks accepts codec 'zstd': PostgreSQL changes a CHECK in place.

CREATE TABLE usage_rollup_paused (
    paused BIGINT PRIMARY KEY
);

ALTER TABLE archive_chunks DROP CONSTRAINT archive_chunks_codec_check;
ALTER TABLE archive_chunks ADD CONSTRAINT archive_chunks_codec_check CHECK (codec IN ('zlib', 'zstd'));
