-- 0012: the transcript archive (Claude Code deletes transcripts after cleanupPeriodDays): content-addressed compressed chunks under <NERV_HOME>/archive and, per archived file, its ordered chunk list, so `nerv session restore` can write it back byte for byte.
-- No foreign key to claude_sessions on purpose: `nerv prune` of sessions must not take their archived
-- transcripts with them; archives go only by `nerv prune --archives --yes`.

CREATE TABLE archive_chunks (
    hash         TEXT PRIMARY KEY CHECK (length(hash) = 64),  -- sha256 of the uncompressed bytes; the file name
    size         INTEGER NOT NULL CHECK (size > 0),  -- uncompressed bytes
    stored_size  INTEGER NOT NULL CHECK (stored_size > 0),  -- bytes of the compressed file on disk
    codec        TEXT NOT NULL CHECK (codec IN ('zlib')),
    created_at   TEXT NOT NULL
);

CREATE TABLE archive_files (
    id           INTEGER PRIMARY KEY,
    session_id   TEXT NOT NULL,
    rel_path     TEXT NOT NULL UNIQUE,  -- below Claude Code's projects folder: <project>/<session>.jsonl or <project>/<session>/subagents/agent-<id>.jsonl
    source_path  TEXT NOT NULL,  -- where it was read from last
    size         INTEGER NOT NULL CHECK (size >= 0),
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64),  -- of the whole file: restore checks it
    mtime_ns     INTEGER NOT NULL,
    archived_at  TEXT NOT NULL
);
CREATE INDEX ix_archive_files_session ON archive_files(session_id);

CREATE TABLE archive_file_chunks (
    file_id     INTEGER NOT NULL REFERENCES archive_files(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL CHECK (seq >= 0),
    chunk_hash  TEXT NOT NULL REFERENCES archive_chunks(hash),
    PRIMARY KEY (file_id, seq)
);
CREATE INDEX ix_archive_file_chunks_chunk ON archive_file_chunks(chunk_hash);
