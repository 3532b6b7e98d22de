"""Claude Code's own telemetry as a second source of API calls: OTLP/JSON log records in, `api_request` events
stored, and the reconciliation of those events with the transcripts' usage rows (docs/costs.md, "Telemetry").

Only the standard library: `nerv otel serve` receives a batch every few seconds for as long as Claude Code runs.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime, timezone

from nerv.errors import invalid
from nerv.services.periods import parse_when
from nerv.store.clock import parse_iso, to_iso
from nerv.store.db import Store
from nerv.store.queries_telemetry import CALL_FIELDS

API_REQUEST_EVENTS = ("api_request", "claude_code.api_request")
TOKEN_ATTRIBUTES = {"input_tokens": "input_tokens", "output_tokens": "output_tokens",
                    "cache_read_tokens": "cache_read_tokens", "cache_creation_tokens": "cache_creation_tokens"}
TEXT_ATTRIBUTES = {"request_id": "request_id", "session_id": "session.id", "prompt_id": "prompt.id",
                   "model": "model", "speed": "speed", "query_source": "query_source"}
TEXT_MAX = 200
ERRORS_KEPT = 5  # rejection reasons returned to the exporter and the log: the first few tell the story
LISTED_CALLS = 20  # request ids listed per session and per kind of mismatch in a reconciliation


class Rejected(ValueError):
    """One log record that is not a usable api_request event (the rest of its batch is kept)."""


# --------------------------------------------------------------------------------------------- OTLP/JSON
def _value(any_value):
    """An OTLP AnyValue as a Python scalar (proto3 JSON writes 64-bit integers as strings); lists/maps: None."""
    if not isinstance(any_value, dict):
        return None
    for kind in ("stringValue", "boolValue", "doubleValue"):
        if kind in any_value:
            return any_value[kind]
    if "intValue" in any_value:
        raw = any_value["intValue"]
        if isinstance(raw, str) and raw.lstrip("-").isdigit():
            return int(raw)
        return raw  # anything else is refused where a count is read (_count), ignored elsewhere
    return None


def _attributes(items) -> dict:
    if not isinstance(items, list):
        return {}
    found = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            found[item["key"]] = _value(item.get("value"))
    return found


def _records(document: dict):
    """(resource attributes, log record) for every record of an ExportLogsServiceRequest."""
    for resource_logs in _list(document, "resourceLogs"):
        resource = _attributes((resource_logs.get("resource") or {}).get("attributes"))
        for scope_logs in _list(resource_logs, "scopeLogs"):
            for record in _list(scope_logs, "logRecords"):
                yield resource, record


def _list(parent, key: str) -> list[dict]:
    found = parent.get(key) if isinstance(parent, dict) else None
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _event_name(record: dict, attributes: dict):
    name = attributes.get("event.name")
    if name is None:
        name = _value(record.get("body"))
    return name


def _count(attributes: dict, key: str) -> int:
    value = attributes.get(key, 0)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Rejected(f"{key} must be a count, got {str(value)[:40]!r}")
    return value


def _cost(attributes: dict) -> float | None:
    value = attributes.get("cost_usd")
    if value is None and attributes.get("cost_usd_micros") is not None:
        return _count(attributes, "cost_usd_micros") / 1_000_000
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise Rejected(f"cost_usd {value[:40]!r} is not a number") from None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise Rejected(f"cost_usd must be a non-negative number, got {str(value)[:40]!r}")
    return float(value)


def _text(attributes: dict, key: str) -> str | None:
    value = attributes.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > TEXT_MAX or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise Rejected(f"{key} must be one line of at most {TEXT_MAX} characters")
    return value


def _nanos(raw) -> int | None:
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else None


def _timestamp(record: dict, attributes: dict, received_at: str) -> str:
    stamp = attributes.get("event.timestamp")
    if isinstance(stamp, str):
        try:
            return to_iso(parse_iso(stamp))
        except ValueError:
            raise Rejected(f"event.timestamp {stamp[:40]!r} is not an ISO time") from None
    for key in ("timeUnixNano", "observedTimeUnixNano"):
        nanos = _nanos(record.get(key))
        if nanos is not None:
            return to_iso(datetime.fromtimestamp(nanos / 1e9, timezone.utc))
    return received_at


def api_request_row(resource: dict, record: dict, received_at: str) -> dict:
    """One api_request log record as a telemetry_api_requests row; raises Rejected."""
    attributes = {**resource, **_attributes(record.get("attributes"))}
    row = {column: _text(attributes, key) for column, key in TEXT_ATTRIBUTES.items()}
    row.update({column: _count(attributes, key) for column, key in TOKEN_ATTRIBUTES.items()})
    row["cost_usd"] = _cost(attributes)
    row["duration_ms"] = _count(attributes, "duration_ms") if attributes.get("duration_ms") is not None else None
    row["service_version"] = _text(resource, "service.version")
    row["ts"] = _timestamp(record, attributes, received_at)
    if row["request_id"]:
        row["event_key"] = "req:" + row["request_id"]
    else:  # no request id: the record itself, so a re-sent batch still adds nothing
        canonical = json.dumps([sorted((k, str(v)) for k, v in attributes.items()), row["ts"]])
        row["event_key"] = "evt:" + hashlib.sha256(canonical.encode()).hexdigest()
    return row


def parse_logs(document, received_at: str) -> dict:
    """{rows, other_events, rejected, errors} of an ExportLogsServiceRequest (OTLP/JSON)."""
    if not isinstance(document, dict):
        raise invalid("an OTLP logs request is a JSON object with resourceLogs")
    rows, other, errors, rejected = [], 0, [], 0
    for resource, record in _records(document):
        try:
            attributes = _attributes(record.get("attributes"))
            if _event_name(record, attributes) not in API_REQUEST_EVENTS:
                other += 1
                continue
            rows.append(api_request_row(resource, record, received_at))
        except Rejected as exc:
            rejected += 1
            if len(errors) < ERRORS_KEPT:
                errors.append(str(exc))
    return {"rows": rows, "other_events": other, "rejected": rejected, "errors": errors}


def count_data_points(document) -> int:
    """Data points of an ExportMetricsServiceRequest: metrics are acknowledged, not stored (docs/costs.md)."""
    if not isinstance(document, dict):
        raise invalid("an OTLP metrics request is a JSON object with resourceMetrics")
    total = 0
    for resource_metrics in _list(document, "resourceMetrics"):
        for scope_metrics in _list(resource_metrics, "scopeMetrics"):
            for metric in _list(scope_metrics, "metrics"):
                for kind in ("sum", "gauge", "histogram", "exponentialHistogram", "summary"):
                    total += len(_list(metric.get(kind), "dataPoints"))
    return total


def receive_logs(store: Store, document) -> dict:
    """Store the api_request events of one OTLP logs request (one transaction, audited when it adds any).

    Returns {api_requests, stored, duplicates, other_events, rejected, errors}.
    """
    from nerv.store.clock import now_iso

    parsed = parse_logs(document, now_iso())
    rows = parsed.pop("rows")

    def body(tx) -> int:
        stored = store.telemetry.add_api_requests(tx, rows)
        if stored:
            sessions = sorted({r["session_id"] for r in rows if r["session_id"]})
            tx.audit("telemetry.receive", "telemetry_api_requests", None,
                     after={"stored": stored, "events": len(rows), "sessions": sessions[:LISTED_CALLS],
                            "first_ts": min(r["ts"] for r in rows), "last_ts": max(r["ts"] for r in rows)})
        return stored

    stored = store.write(body) if rows else 0
    return {"api_requests": len(rows), "stored": stored, "duplicates": len(rows) - stored, **parsed}


# --------------------------------------------------------------------------------------------- reconcile
TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


def reconcile(store: Store, *, since: str | None = None, until: str | None = None) -> dict:
    """Per session telemetry saw in [since, until): its calls matched by request id with the transcripts',
    calls seen by one source only, token differences on the matched calls, and both sources' cost."""
    since_iso = parse_when(since, "--since", store=store)
    until_iso = parse_when(until, "--until", store=store)
    if since_iso and until_iso and since_iso >= until_iso:
        raise invalid("--since must be before --until")
    found = store.read(lambda s: s.telemetry.reconcile_inputs(since_iso, until_iso))
    sessions = [_session(session_id, calls["telemetry"], calls["transcript"])
                for session_id, calls in found["sessions"].items()]
    return {"since": since_iso, "until": until_iso, "sessions": sessions, "totals": _totals(sessions),
            "sessions_without_telemetry": found["sessions_without_telemetry"]}


def _calls(rows: list[tuple]) -> list[dict]:
    return [dict(zip(CALL_FIELDS, row)) for row in rows]


def _session(session_id: str, telemetry_rows: list[tuple], transcript_rows: list[tuple]) -> dict:
    telemetry, transcript = _calls(telemetry_rows), _calls(transcript_rows)
    by_request = {c["request_id"]: c for c in transcript if c["request_id"]}
    matched_ids = [c["request_id"] for c in telemetry if c["request_id"] in by_request]
    seen = set(matched_ids)
    telemetry_only = [c for c in telemetry if c["request_id"] not in seen]
    transcript_only = [c for c in transcript if c["request_id"] not in seen]
    differences = {field: 0 for field in TOKEN_FIELDS}
    differing = []
    for call in telemetry:
        other = by_request.get(call["request_id"]) if call["request_id"] in seen else None
        if other is None:
            continue
        delta = {field: (call[field] or 0) - (other[field] or 0) for field in TOKEN_FIELDS}
        for field, value in delta.items():
            differences[field] += value
        if any(delta.values()):
            differing.append(call["request_id"])
    nerv_usd = sum(c["cost_usd"] or 0 for c in transcript)
    claude_usd = sum(c["cost_usd"] or 0 for c in telemetry)
    return {"session_id": session_id, "matched_calls": len(matched_ids),
            "telemetry_only_calls": len(telemetry_only), "transcript_only_calls": len(transcript_only),
            "telemetry_only": [c["request_id"] for c in telemetry_only][:LISTED_CALLS],
            "transcript_only": [c["request_id"] for c in transcript_only][:LISTED_CALLS],
            "calls_with_token_differences": len(differing), "token_differences": differences,
            "differing_calls": differing[:LISTED_CALLS],
            "nerv_cost_usd": round(nerv_usd, 6), "claude_code_cost_usd": round(claude_usd, 6),
            "cost_difference_usd": round(nerv_usd - claude_usd, 6),
            "matched_nerv_cost_usd": round(sum(by_request[r]["cost_usd"] or 0 for r in matched_ids), 6),
            "matched_claude_code_cost_usd": round(sum(c["cost_usd"] or 0 for c in telemetry if c["request_id"] in seen),
                                                  6)}


SUMMED = ("matched_calls", "telemetry_only_calls", "transcript_only_calls", "calls_with_token_differences",
          "nerv_cost_usd", "claude_code_cost_usd", "cost_difference_usd", "matched_nerv_cost_usd",
          "matched_claude_code_cost_usd")


def _totals(sessions: list[dict]) -> dict:
    totals = {key: sum(s[key] for s in sessions) for key in SUMMED}
    for key in SUMMED:
        if key.endswith("_usd"):
            totals[key] = round(totals[key], 6)
    totals["token_differences"] = {f: sum(s["token_differences"][f] for s in sessions) for f in TOKEN_FIELDS}
    totals["sessions"] = len(sessions)
    return totals
