"""Every hook event but PreToolUse and PermissionRequest: sessions, subagents, compaction, notifications, and the
tool events of nerv.hook.tool_events. Stdlib only.

Each records what it learns in one audited transaction and never fails the agent: any problem is a
message on stderr and exit 0.
"""

from __future__ import annotations

from nerv import fastjson
from nerv.hook import MalformedInput, extensions, read_payload, tool_events
from nerv.hook.common import agent_name, close_quietly, emit, open_hook_store, project_for_cwd, text_field, warn, write
from nerv.hook.loader import call_each
from nerv.hook.requests import abandon_session_requests
from nerv.store import queries_approvals as q
from nerv.store import queries_sessions

MAX_CONTEXT_CHARS = 10_000
# Notification types that mean "a person is needed" (the others, e.g. auth_success, only inform). A
# notification without a type (older Claude Code) counts as waiting.
WAITING_TYPES = ("permission_prompt", "idle_prompt")


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


_NOW = object()  # placeholder for the transaction's timestamp


def _session_base(conn, payload: dict) -> dict:
    """What every event says about its session: cwd, transcript, project (registered repo of cwd), agent."""
    cwd = text_field(payload, "cwd")
    project = project_for_cwd(conn, cwd)
    return {k: v for k, v in {"cwd": cwd, "transcript_path": text_field(payload, "transcript_path"),
                              "project_id": project["id"] if project else None, "agent": agent_name()}.items() if v}


def _upsert_session(tx, session_id: str, values: dict, action: str) -> dict:
    """Insert or update the session row (audited when it changed); returns the row after."""
    stamped = {key: (tx.now if value is _NOW else value) for key, value in values.items()}
    existing = queries_sessions.session_row(tx.conn, session_id)
    if existing and existing.get("started_at"):
        stamped.pop("started_at", None)
    before, after = queries_sessions.upsert_session(tx.conn, session_id, stamped, tx.now)
    if before != after:
        tx.audit(action, "session", session_id, project_id=after.get("project_id"), before=before, after=after)
    return after


def _record_session(conn, payload: dict, values: dict, action: str, then=None):
    """One transaction: the session's row with `values`, then `then(tx, session_row)` if given."""
    session_id = _session_id(payload)
    base = _session_base(conn, payload)

    def body(tx):
        row = _upsert_session(tx, session_id, {**base, **values}, action)
        return then(tx, row) if then else None

    return write(conn, body, payload)


_ACTIVE = {"last_activity_at": _NOW, "waiting_for": None, "waiting_since": None}


def session_start(conn, payload: dict, event: str) -> None:
    """The session, tied to its agent (NERV_AGENT) and the task that agent holds (and the task's project when
    the cwd is in no registered repo)."""
    from nerv.store.queries_tasks import held_task_id

    values = {**_ACTIVE, "status": "active", "started_at": _NOW, "source": text_field(payload, "source", 100),
              "model": _model(payload), "ended_at": None, "end_reason": None,
              "agent_type": text_field(payload, "agent_type", 200)}
    agent = agent_name()
    if agent:
        values["task_id"] = held_task_id(conn, agent)
        if values["task_id"] and not _session_base(conn, payload).get("project_id"):
            values["project_id"] = conn.execute("SELECT project_id FROM tasks WHERE id = ?",
                                                (values["task_id"],)).fetchone()[0]
    _record_session(conn, payload, {k: v for k, v in values.items() if v is not None or k in _NULLABLE_ON_START},
                    "session.start")
    _add_context(conn, payload, event)


# Cleared by a (re)start; a missing source, model or agent type leaves what an earlier start recorded.
_NULLABLE_ON_START = ("ended_at", "end_reason", "waiting_for", "waiting_since", "task_id")


def _model(payload: dict) -> str | None:
    model = payload.get("model")  # optional: Claude Code 2.1.197 sent none; the import fills it from the transcript
    if isinstance(model, dict):  # some builds send {"id": ..., "display_name": ...}
        model = model.get("id")
    return model[:200] if isinstance(model, str) and model else None


def session_end(conn, payload: dict, event: str) -> None:
    """Ended, and every request still pending in it abandoned; then the session-end tasks (transcript import)."""
    def abandon(tx, row):
        abandon_session_requests(tx, row["id"], row.get("project_id"))

    _record_session(conn, payload, {"status": "ended", "ended_at": _NOW, **_ACTIVE,
                                    "end_reason": text_field(payload, "reason", 100)}, "session.end", abandon)
    for _ in call_each(extensions.SESSION_END_TASKS, conn, payload):
        pass


def stop(conn, payload: dict, event: str) -> None:
    _record_session(conn, payload, dict(_ACTIVE), "session.activity")


def user_prompt_submit(conn, payload: dict, event: str) -> None:
    session_id = text_field(payload, "session_id", 200)
    row = queries_sessions.session_row(conn, session_id) if session_id else None
    if row and row.get("waiting_for"):  # the person answered: the session no longer waits (a write only then)
        _record_session(conn, payload, dict(_ACTIVE), "session.activity")
    _add_context(conn, payload, event)


def _add_context(conn, payload: dict, event: str) -> None:
    texts = [text for _, text in call_each(extensions.CONTEXT_PROVIDERS, conn, event, payload)
             if isinstance(text, str) and text.strip()]
    if texts:
        context = "\n\n".join(texts)[:MAX_CONTEXT_CHARS]
        emit({"hookSpecificOutput": {"hookEventName": event, "additionalContext": context}})


# ---- subagents ---------------------------------------------------------------------------------------

def _agent_id(payload: dict) -> str:
    agent_id = text_field(payload, "agent_id", 200)
    if not agent_id:
        raise MalformedInput("agent_id is missing or not text")
    return agent_id


def _record_subagent(conn, payload: dict, values: dict, action: str) -> None:
    agent_id = _agent_id(payload)

    def then(tx, session):
        stamped = {k: (tx.now if v is _NOW else v) for k, v in values.items()}
        before, after = q.upsert_subagent(tx.conn, session["id"], agent_id, stamped, tx.now)
        if before != after:
            tx.audit(action, "subagent", f"{session['id']}/{agent_id}", project_id=session.get("project_id"),
                     before=before, after=after)

    _record_session(conn, payload, {"last_activity_at": _NOW}, "session.activity", then)


def subagent_start(conn, payload: dict, event: str) -> None:
    _record_subagent(conn, payload, {"agent_type": text_field(payload, "agent_type", 200), "status": "active",
                                     "started_at": _NOW}, "subagent.start")


def subagent_stop(conn, payload: dict, event: str) -> None:
    _record_subagent(conn, payload, {"agent_type": text_field(payload, "agent_type", 200), "status": "ended",
                                     "ended_at": _NOW,
                                     "transcript_path": text_field(payload, "agent_transcript_path")},
                     "subagent.stop")


# ---- compaction and notifications ----------------------------------------------------------------------

def _metric_then(name: str, meta: dict):
    """A `then` for _record_session that adds one metric (value 1) for the session, audited."""
    def then(tx, session):
        text = fastjson.dumps({k: v for k, v in meta.items() if v is not None}, ensure_ascii=False)
        q.insert_metrics(tx.conn, [tool_events.metric_row(name, 1, "count", text, session["id"],
                                                          session.get("project_id"), session.get("task_id"), tx.now)])
        tx.audit(f"metrics.{name.split('.', 1)[1]}", "metric", name, project_id=session.get("project_id"),
                 after={"session_id": session["id"], **meta})

    return then


def pre_compact(conn, payload: dict, event: str) -> None:
    """Metric session.compactions. The resume brief comes back with the SessionStart(source=compact) that
    follows the compaction (CONTEXT_PROVIDERS run there)."""
    _record_session(conn, payload, {"last_activity_at": _NOW}, "session.activity",
                    _metric_then("session.compactions", {"trigger": text_field(payload, "trigger", 50)}))


def post_compact(conn, payload: dict, event: str) -> None:
    _record_session(conn, payload, {"last_activity_at": _NOW}, "session.activity")


def notification(conn, payload: dict, event: str) -> None:
    """Metric session.notifications; a notification that needs a person marks the session waiting
    (`nerv approval list` shows it) until its next activity."""
    kind = text_field(payload, "notification_type", 100)
    message = text_field(payload, "message", 500) or text_field(payload, "title", 500) or "notification"
    values = {}
    if kind is None or kind in WAITING_TYPES or kind.startswith("elicitation"):
        values = {"waiting_for": f"{kind}: {message}" if kind else message, "waiting_since": _NOW}
    _record_session(conn, payload, values, "session.notification",
                    _metric_then("session.notifications", {"type": kind, "message": message[:200]}))


HANDLERS = {
    "SessionStart": session_start,
    "SessionEnd": session_end,
    "Stop": stop,
    "UserPromptSubmit": user_prompt_submit,
    "SubagentStart": subagent_start,
    "SubagentStop": subagent_stop,
    "PreCompact": pre_compact,
    "PostCompact": post_compact,
    "Notification": notification,
    **tool_events.HANDLERS,
}
