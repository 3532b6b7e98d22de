-- 0014: Claude Code's own telemetry (OpenTelemetry `claude_code.api_request` log events received by `nerv otel serve`), a second, independent record of each API call that `nerv cost --reconcile` compares with the transcripts' usage rows.
-- No foreign key to claude_sessions on purpose: an event often arrives before its transcript is imported,
-- and the events are what the transcripts are checked against, so a session prune must not take them.

CREATE TABLE telemetry_api_requests (
    id                     INTEGER PRIMARY KEY,
    event_key              TEXT NOT NULL UNIQUE,  -- 'req:' || request_id, or 'evt:' || sha256 of the record: a re-sent batch adds nothing
    request_id             TEXT,  -- the API's request-id, as the transcript's requestId
    session_id             TEXT,  -- the event's session.id (Claude Code's session id)
    prompt_id              TEXT,
    model                  TEXT,
    ts                     TEXT NOT NULL,  -- event.timestamp, else the record's time
    input_tokens           INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens          INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    cache_read_tokens      INTEGER NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
    cache_creation_tokens  INTEGER NOT NULL DEFAULT 0 CHECK (cache_creation_tokens >= 0),
    cost_usd               REAL CHECK (cost_usd IS NULL OR cost_usd >= 0),  -- Claude Code's own estimate
    duration_ms            INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
    speed                  TEXT,
    query_source           TEXT,
    service_version        TEXT,  -- the resource's service.version: the Claude Code build
    received_at            TEXT NOT NULL
);
CREATE INDEX ix_telemetry_api_requests_session ON telemetry_api_requests(session_id);
CREATE INDEX ix_telemetry_api_requests_request ON telemetry_api_requests(request_id) WHERE request_id IS NOT NULL;
CREATE INDEX ix_telemetry_api_requests_ts ON telemetry_api_requests(ts);
