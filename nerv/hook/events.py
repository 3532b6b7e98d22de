"""SessionStart, SessionEnd, Stop, UserPromptSubmit and PostToolUse. Stdlib only.

Each records what it learns in one audited transaction and never fails the agent: any problem is a
message on stderr and exit 0.
"""

from __future__ import annotations

import json

from nerv.hook import MalformedInput, extensions, read_payload
from nerv.hook.common import close_quietly, emit, open_hook_store, project_for_cwd, text_field, warn, write
from nerv.hook.loader import call_each
from nerv.store import queries_approvals as q

MAX_CONTEXT_CHARS = 10_000


def handle(event: str, raw: bytes) -> int:
    store = None
    try:
        payload = read_payload(raw)
        store = open_hook_store()
        HANDLERS[event](store.conn, payload, event)
    except MalformedInput as exc:
        warn(f"{event}: malformed hook input: {exc}")
    except BaseException as exc:  # never crash the agent's flow
        warn(f"{event}: {type(exc).__name__}: {exc}")
    finally:
        close_quietly(store)
    return 0


def _session_id(payload: dict) -> str:
    session_id = text_field(payload, "session_id", 200)
    if not session_id:
        raise MalformedInput("session_id is missing or not text")
    return session_id


def _record_session(conn, payload: dict, values: dict, action: str) -> None:
    session_id = _session_id(payload)
    cwd = text_field(payload, "cwd")
    project = project_for_cwd(conn, cwd)
    agent = text_field(payload, "agent_type", 200) or text_field(payload, "agent_id", 200)
    base = {k: v for k, v in {"cwd": cwd, "transcript_path": text_field(payload, "transcript_path"),
                              "project_id": project["id"] if project else None, "agent": agent}.items() if v}

    def body(tx):
        stamped = {key: (tx.now if value is _NOW else value) for key, value in {**base, **values}.items()}
        existing = q.session_row(tx.conn, session_id)
        if existing and existing.get("started_at"):
            stamped.pop("started_at", None)
        before, after = q.upsert_session(tx.conn, session_id, stamped, tx.now)
        if before != after:
            tx.audit(action, "session", session_id, project_id=after.get("project_id"), before=before, after=after)

    write(conn, body, payload)


_NOW = object()  # placeholder for the transaction's timestamp


def session_start(conn, payload: dict, event: str) -> None:
    _record_session(conn, payload, {"status": "active", "started_at": _NOW, "last_activity_at": _NOW,
                                    "source": text_field(payload, "source", 100),
                                    "model": _model(payload), "ended_at": None, "end_reason": None},
                    "session.start")
    _add_context(conn, payload, event)


def _model(payload: dict) -> str | None:
    model = payload.get("model")
    if isinstance(model, dict):  # some builds send {"id": ..., "display_name": ...}
        model = model.get("id")
    return model[:200] if isinstance(model, str) and model else None


def session_end(conn, payload: dict, event: str) -> None:
    _record_session(conn, payload, {"status": "ended", "ended_at": _NOW, "last_activity_at": _NOW,
                                    "end_reason": text_field(payload, "reason", 100)}, "session.end")
    for _ in call_each(extensions.SESSION_END_TASKS, conn, payload):
        pass


def stop(conn, payload: dict, event: str) -> None:
    _record_session(conn, payload, {"last_activity_at": _NOW}, "session.activity")


def user_prompt_submit(conn, payload: dict, event: str) -> None:
    _add_context(conn, payload, event)


def _add_context(conn, payload: dict, event: str) -> None:
    texts = [text for _, text in call_each(extensions.CONTEXT_PROVIDERS, conn, event, payload)
             if isinstance(text, str) and text.strip()]
    if texts:
        context = "\n\n".join(texts)[:MAX_CONTEXT_CHARS]
        emit({"hookSpecificOutput": {"hookEventName": event, "additionalContext": context}})


def post_tool_use(conn, payload: dict, event: str) -> None:
    tool = payload.get("tool_name")
    if not isinstance(tool, str) or not tool:
        raise MalformedInput("tool_name is missing or not text")
    session_id = text_field(payload, "session_id", 200)
    project = project_for_cwd(conn, text_field(payload, "cwd"))
    project_id = project["id"] if project else None
    task_id = q.session_task(conn, session_id)
    meta = json.dumps({"tool": tool[:200]})
    duration = payload.get("duration_ms")
    tool_use_id = text_field(payload, "tool_use_id", 200)

    def body(tx):
        rows = [{"project_id": project_id, "name": "tool.calls", "value": 1, "unit": "count", "task_id": task_id,
                 "session_id": session_id, "meta": meta, "recorded_at": tx.now}]
        if isinstance(duration, (int, float)) and not isinstance(duration, bool) and 0 <= duration < 1e10:
            rows.append({**rows[0], "name": "tool.duration_ms", "value": float(duration), "unit": "ms"})
        q.insert_metrics(tx.conn, rows)
        tx.audit("metrics.tool_use", "metric", tool, project_id=project_id,
                 after={"tool": tool, "session_id": session_id, "duration_ms": rows[-1]["value"]
                        if len(rows) > 1 else None})
        if session_id:
            q.touch_session(tx.conn, session_id, tx.now)
        if tool_use_id:
            # The tool ran, so the person approved the prompt nerv asked for.
            approved = q.approve_asked_request(tx.conn, tool_use_id, tx.now)
            if approved:
                tx.audit("approval.approved_in_prompt", "approval_request", approved, project_id=project_id,
                         before={"status": "pending"}, after={"status": "approved", "decided_by": "prompt"})

    write(conn, body, payload)


HANDLERS = {
    "SessionStart": session_start,
    "SessionEnd": session_end,
    "Stop": stop,
    "UserPromptSubmit": user_prompt_submit,
    "PostToolUse": post_tool_use,
}
