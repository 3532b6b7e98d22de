"""PostToolUse, PostToolUseFailure, PermissionDenied, PostToolBatch: what became of each tool call. Stdlib only.

Orders observed in `claude -p` (../shared/reference/claude-code.md section 2): allowed `PreToolUse >
PostToolUse > PostToolBatch`, failed `PreToolUse > PostToolUseFailure > PostToolBatch`, denied `PreToolUse >
PostToolBatch`. So a call in a batch that has no PostToolUse/PostToolUseFailure before it was not run:
Claude Code denied it (a hook `ask` in -p, its own rules, the person at its prompt). Each handler is one
audited transaction; none prints anything.
"""

from __future__ import annotations

from nerv import fastjson
from nerv.hook import MalformedInput, tool_name
from nerv.hook.common import project_for_cwd, text_field, write
from nerv.hook.requests import close_for_call
from nerv.store import queries_approvals as q
from nerv.store import queries_sessions

MAX_BATCH = 1000  # tool calls read from one PostToolBatch
MAX_DURATION_MS = 1e10


def _scope(conn, payload: dict) -> tuple[str | None, str | None, str | None]:
    """(session id, project id, the session's task) of a tool event."""
    session_id = text_field(payload, "session_id", 200)
    project = project_for_cwd(conn, text_field(payload, "cwd"))
    return session_id, (project["id"] if project else None), queries_sessions.session_links(conn, session_id).get("task_id")


def _meta(tool: str, payload: dict, tool_use_id: str | None, **extra) -> str:
    meta = {"tool": tool, "tool_use_id": tool_use_id, "subagent": text_field(payload, "agent_id", 200), **extra}
    return fastjson.dumps({k: v for k, v in meta.items() if v is not None}, ensure_ascii=False)


def metric_row(name: str, value: float, unit: str, meta: str, session_id, project_id, task_id, now: str) -> dict:
    """A metrics row for queries_approvals.insert_metrics (`meta`: JSON text)."""
    return {"project_id": project_id, "name": name, "value": value, "unit": unit, "task_id": task_id,
            "session_id": session_id, "meta": meta, "recorded_at": now}


def post_tool_use(conn, payload: dict, event: str) -> None:
    """PostToolUse and PostToolUseFailure: the call ran. Metrics tool.calls, tool.duration_ms (and
    tool.failures); its pending request, if any, is approved (whoever said yes, the call ran)."""
    tool = tool_name(payload)[:200]
    session_id, project_id, task_id = _scope(conn, payload)
    tool_use_id = text_field(payload, "tool_use_id", 200)
    failed = event == "PostToolUseFailure"
    meta = _meta(tool, payload, tool_use_id)
    duration = payload.get("duration_ms")
    has_duration = isinstance(duration, (int, float)) and not isinstance(duration, bool) and \
        0 <= duration < MAX_DURATION_MS
    error = text_field(payload, "error", 200) if failed else None

    def body(tx):
        rows = [metric_row("tool.calls", 1, "count", meta, session_id, project_id, task_id, tx.now)]
        if has_duration:
            rows.append(metric_row("tool.duration_ms", float(duration), "ms", meta, session_id, project_id, task_id,
                                tx.now))
        if failed:
            rows.append(metric_row("tool.failures", 1, "count", _meta(tool, payload, tool_use_id, error=error,
                                                                   interrupted=payload.get("is_interrupt") is True),
                                session_id, project_id, task_id, tx.now))
        q.insert_metrics(tx.conn, rows)
        tx.audit("metrics.tool_use", "metric", tool, project_id=project_id,
                 after={"tool": tool, "session_id": session_id, "failed": failed,
                        "duration_ms": float(duration) if has_duration else None})
        if session_id:
            queries_sessions.touch_session(tx.conn, session_id, tx.now)
        reason = f"the call ran and failed ({error})" if failed else "the call ran"
        close_for_call(tx, session_id, payload, "approved", reason, project_id)

    write(conn, body, payload)


def permission_denied(conn, payload: dict, event: str) -> None:
    """Auto mode's classifier denied the call: metric tool.denied; its pending request is denied."""
    tool = tool_name(payload)[:200]
    session_id, project_id, task_id = _scope(conn, payload)
    tool_use_id = text_field(payload, "tool_use_id", 200)
    reason = text_field(payload, "reason", 500) or "denied by Claude Code (PermissionDenied)"

    def body(tx):
        meta = _meta(tool, payload, tool_use_id, source="PermissionDenied")
        q.insert_metrics(tx.conn, [metric_row("tool.denied", 1, "count", meta, session_id, project_id, task_id,
                                              tx.now)])
        tx.audit("metrics.tool_denied", "metric", tool, project_id=project_id,
                 after={"tool": tool, "session_id": session_id, "tool_use_id": tool_use_id, "reason": reason})
        if session_id:
            queries_sessions.touch_session(tx.conn, session_id, tx.now)
        close_for_call(tx, session_id, payload, "denied", reason, project_id)

    write(conn, body, payload)


def post_tool_batch(conn, payload: dict, event: str) -> None:
    """Calls of the batch that never ran (no PostToolUse/Failure, no PermissionDenied): tool.denied, and their
    pending requests denied. Writes nothing when every call ran."""
    calls = payload.get("tool_calls")
    if not isinstance(calls, list):
        raise MalformedInput("tool_calls is missing or not a list")
    session_id, project_id, task_id = _scope(conn, payload)
    if not session_id:
        raise MalformedInput("session_id is missing or not text")
    by_id = {}
    for call in calls[:MAX_BATCH]:
        if isinstance(call, dict) and all(isinstance(call.get(k), str) for k in ("tool_use_id", "tool_name")):
            by_id.setdefault(call["tool_use_id"][:200], call)
    if not by_id:
        return
    seen = q.calls_seen(conn, session_id, list(by_id))
    unseen = [tool_use_id for tool_use_id in by_id if tool_use_id not in seen]
    if not unseen:
        return
    reason = "Claude Code did not run the call (PostToolBatch without PostToolUse)"

    def denied(tool_use_id: str, now: str) -> dict:
        meta = _meta(by_id[tool_use_id]["tool_name"][:200], payload, tool_use_id, source="PostToolBatch")
        return metric_row("tool.denied", 1, "count", meta, session_id, project_id, task_id, now)

    def body(tx):
        q.insert_metrics(tx.conn, [denied(tool_use_id, tx.now) for tool_use_id in unseen])
        tx.audit("metrics.tool_denied", "metric", None, project_id=project_id,
                 after={"session_id": session_id, "tool_use_ids": unseen, "reason": reason})
        queries_sessions.touch_session(tx.conn, session_id, tx.now)
        for tool_use_id in unseen:
            close_for_call(tx, session_id, by_id[tool_use_id], "denied", reason, project_id)

    write(conn, body, payload)


HANDLERS = {
    "PostToolUse": post_tool_use,
    "PostToolUseFailure": post_tool_use,
    "PermissionDenied": permission_denied,
    "PostToolBatch": post_tool_batch,
}
