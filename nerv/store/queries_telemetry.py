"""Claude Code's telemetry events (0014) and what `nerv cost --reconcile` reads beside them. Stdlib only."""

from __future__ import annotations

import sqlite3

from nerv.store import dialect
from nerv.store.queries_costs import _where as range_where

API_REQUEST_COLUMNS = ("event_key", "request_id", "session_id", "prompt_id", "model", "ts", "input_tokens",
                       "output_tokens", "cache_read_tokens", "cache_creation_tokens", "cost_usd", "duration_ms",
                       "speed", "query_source", "service_version", "received_at")
_INSERT = (f"INSERT INTO telemetry_api_requests ({', '.join(API_REQUEST_COLUMNS)})"
           f" VALUES ({', '.join('?' for _ in API_REQUEST_COLUMNS)}) ON CONFLICT (event_key) DO NOTHING")
# What one call carries in either source, in this order, so the service compares them field by field.
CALL_FIELDS = ("request_id", "model", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
               "cost_usd")


def add_api_requests(conn: sqlite3.Connection, rows: list[dict], received_at: str) -> int:
    """Insert the events not stored yet (caller's transaction); the number inserted."""
    before = dialect.functions(conn).write_marker(conn)
    conn.executemany(_INSERT, [tuple(received_at if c == "received_at" else row.get(c) for c in API_REQUEST_COLUMNS)
                               for row in rows])
    return dialect.functions(conn).write_marker(conn) - before


def telemetry_sessions(conn: sqlite3.Connection, since: str | None, until: str | None) -> list[str]:
    """Sessions with at least one event in [since, until)."""
    where, params = range_where(since, until, None, alias="")
    where += (" AND " if where else " WHERE ") + "session_id IS NOT NULL"
    return [r[0] for r in conn.execute(
        f"SELECT DISTINCT session_id FROM telemetry_api_requests{where} ORDER BY session_id", params)]


def telemetry_calls(conn: sqlite3.Connection, session_id: str) -> list[tuple]:
    """A session's events as CALL_FIELDS tuples (request_id None when the event had none)."""
    return conn.execute(
        "SELECT request_id, model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd"
        " FROM telemetry_api_requests WHERE session_id = ? ORDER BY ts, id", (session_id,)).fetchall()


def transcript_calls(conn: sqlite3.Connection, session_id: str) -> list[tuple]:
    """A session's usage rows as CALL_FIELDS tuples, one per request id (rows without one each stand alone)."""
    return conn.execute(
        # MAX(request_id): a group holds one request id, or one row (then NULL or ''), portable to PostgreSQL.
        "SELECT NULLIF(MAX(request_id), ''), MAX(model), SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens),"
        " SUM(cache_write_5m_tokens + cache_write_1h_tokens), SUM(cost_usd) FROM usage WHERE session_id = ?"
        " GROUP BY COALESCE(NULLIF(request_id, ''), 'row:' || id) ORDER BY MIN(ts), MIN(id)",
        (session_id,)).fetchall()


def transcript_sessions_outside(conn: sqlite3.Connection, sessions: list[str], since: str | None,
                                until: str | None) -> int:
    """How many sessions with usage in [since, until) are not in `sessions` (telemetry never saw them)."""
    where, params = range_where(since, until, None, alias="")
    seen = {r[0] for r in conn.execute(f"SELECT DISTINCT session_id FROM usage{where}", params)}
    return len(seen - set(sessions))
