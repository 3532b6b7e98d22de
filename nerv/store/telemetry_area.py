"""`store.telemetry`: Claude Code's telemetry events, the area services call instead of the connection. Stdlib only."""

from __future__ import annotations

from nerv.store import queries_telemetry
from nerv.store.area import Area


class TelemetryArea(Area):
    def add_api_requests(self, tx, rows: list[dict]) -> int:
        """Store `rows` (queries_telemetry.API_REQUEST_COLUMNS) not stored yet; the number stored."""
        return queries_telemetry.add_api_requests(tx.conn, rows, tx.now)

    def reconcile_inputs(self, since: str | None, until: str | None) -> dict:
        """{sessions: {id: {"telemetry": [...], "transcript": [...]}}, sessions_without_telemetry: n}: each
        session telemetry saw in the range, with every call of both sources (queries_telemetry.CALL_FIELDS)."""
        conn = self._conn
        sessions = queries_telemetry.telemetry_sessions(conn, since, until)
        return {"sessions": {s: {"telemetry": queries_telemetry.telemetry_calls(conn, s),
                                 "transcript": queries_telemetry.transcript_calls(conn, s)} for s in sessions},
                "sessions_without_telemetry": queries_telemetry.transcript_sessions_outside(conn, sessions, since,
                                                                                             until)}
