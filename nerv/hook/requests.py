"""Approval requests on the hook side: record one, find the one a later event closes, wait for a person. Stdlib only.

Every request reaches an end state, set by what actually happened (docs/hooks.md, "Approval requests"):
PostToolUse or PostToolUseFailure (the call ran: approved), PermissionDenied or a PostToolBatch entry with no
result (denied), `nerv approval approve|deny` (queue mode), the queue timeout (expired), SessionEnd (abandoned).

Which request an event closes: the one recorded with the event's tool_use_id; else, because PermissionRequest
carries none, the newest pending request of the same session for the same tool and the same input (sha256 of
its canonical JSON) recorded within MATCH_WINDOW_S. Once matched, the request keeps the call's tool_use_id.
"""

from __future__ import annotations

import math

from nerv import fastjson
from nerv.hook.common import agent_name, setting, text_field, write
from nerv.store import approval_wait, queries_approvals as q

MAX_STORED_INPUT = 64_000  # characters of tool_input kept on a request
MATCH_WINDOW_S = 86_400  # as long as a queued call may wait (hook.queue_timeout_s at most)
QUEUE_KEY = "hook.queue_timeout_s"


def input_hash(tool_input) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of a tool input: equal inputs, equal hashes."""
    import hashlib

    canonical = fastjson.dumps(tool_input if tool_input is not None else {}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def record(conn, payload: dict, *, tool: str, tool_input, cwd: str, project_id, mode: str, event: str) -> int:
    """Insert a pending request with the rule a person would write for it (one audited transaction); its id.
    A call already recorded as pending (same tool_use_id) is not recorded twice: its request's id.

    The input is kept as `approvals.store_inputs` says (nerv.redact); its hash, which matches the request
    to the events that close it, is of the input as it came."""
    from nerv import redact
    from nerv.rules.suggest import suggest_rule
    from nerv.store import queries_sessions

    session_id = text_field(payload, "session_id", 200)
    keep = setting(conn, redact.SETTING, project_id)
    encoded = redact.stored_input(tool_input, keep)
    links = queries_sessions.session_links(conn, session_id)
    row = {"project_id": project_id, "session_id": session_id, "task_id": links.get("task_id"),
           "tool": tool[:200], "tool_input": encoded[:MAX_STORED_INPUT], "cwd": cwd, "mode": mode,
           "status": "pending", "suggested_rule": redact.stored_text(suggest_rule(tool, tool_input, cwd), keep),
           "tool_use_id": text_field(payload, "tool_use_id", 200),
           "agent": agent_name() or links.get("agent"), "hook_event": event,
           "input_hash": input_hash(tool_input)}

    def body(tx):
        # The same call decided again (the hook daemon stopped mid-decision, and the hook decided it itself):
        # the request it recorded is this one, not a second.
        recorded = q.pending_by_tool_use_id(tx.conn, row["tool_use_id"]) if row["tool_use_id"] else None
        if recorded is not None:
            return recorded
        request_id = q.insert_request(tx.conn, {**row, "created_at": tx.now})
        tx.audit("approval.request", "approval_request", request_id, project_id=project_id,
                 after={**row, "id": request_id, "tool_input": row["tool_input"][:2000]})
        return request_id

    return write(conn, body, payload)


def match_window_start(now: str) -> str:
    from datetime import timedelta

    from nerv.store.clock import parse_iso, to_iso

    return to_iso(parse_iso(now) - timedelta(seconds=MATCH_WINDOW_S))


def find_pending(conn, session_id: str | None, tool, tool_input, tool_use_id: str | None, now: str) -> int | None:
    """The pending request this call's event closes (module docstring), or None."""
    if tool_use_id:
        found = q.pending_by_tool_use_id(conn, tool_use_id)
        if found is not None:
            return found
    if not session_id or not isinstance(tool, str) or not q.has_pending(conn, session_id):
        return None
    return q.pending_by_input(conn, session_id, tool, input_hash(tool_input), match_window_start(now),
                              unlinked_only=tool_use_id is not None)


def close_for_call(tx, session_id: str | None, call: dict, status: str, reason: str, project_id) -> int | None:
    """End the pending request of `call` ({tool_name, tool_input, tool_use_id}) with its audit row; its id or None."""
    tool_use_id = call.get("tool_use_id") if isinstance(call.get("tool_use_id"), str) else None
    request_id = find_pending(tx.conn, session_id, call.get("tool_name"), call.get("tool_input"), tool_use_id, tx.now)
    if request_id is None or not q.close_request(tx.conn, request_id, status, "claude-code", reason, tx.now,
                                                 tool_use_id):
        return None
    tx.audit(f"approval.{status}", "approval_request", request_id, project_id=project_id,
             before={"status": "pending"}, after={"status": status, "decided_by": "claude-code", "reason": reason})
    return request_id


def abandon_session_requests(tx, session_id: str, project_id) -> list[int]:
    """SessionEnd: every request still pending in the session ends as `abandoned`."""
    reason = "the session ended before the call ran or was decided"
    closed = []
    for request_id in q.pending_of_session(tx.conn, session_id):
        if q.close_request(tx.conn, request_id, "abandoned", "session-end", reason, tx.now):
            tx.audit("approval.abandon", "approval_request", request_id, project_id=project_id,
                     before={"status": "pending"}, after={"status": "abandoned", "reason": reason})
            closed.append(request_id)
    return closed


# ---- queue mode ----------------------------------------------------------------------------------------

def queue_timeout(value) -> float | None:
    """Seconds to wait, or None when `value` is not a finite number of seconds from 0 up.

    NaN compares false with every bound and Infinity passes `min`: either would make the hook wait until
    Claude Code kills it, so a stored value nerv cannot trust ends the wait at once (the call is denied with
    the reason). A value above the key's maximum (an older nerv allowed it) waits the maximum.
    """
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    from nerv.settings_keys import KNOWN

    return min(seconds, float(KNOWN[QUEUE_KEY].bounds[1]))


def wait_for_decision(conn, payload: dict, request_id: int, project_id) -> tuple[str, str]:
    """Wait until `nerv approval approve|deny`, the timeout (the request expires) or another end state
    (nerv.store.approval_wait: LISTEN on PostgreSQL, polling on SQLite).

    Returns ("allow" | "deny", reason).
    """
    stored = setting(conn, QUEUE_KEY, project_id)
    timeout = queue_timeout(stored)
    if timeout is None:
        message = (f"{QUEUE_KEY} is {str(stored)[:40]}, not a number of seconds: nothing waited "
                   f"(`nerv settings set {QUEUE_KEY} 600`)")
        return _expire(conn, payload, request_id, project_id, message)
    verdict = approval_wait.wait_until(conn, request_id, timeout, lambda: _decided(conn, request_id))
    if verdict is not None:
        return verdict
    return _expire(conn, payload, request_id, project_id, f"no decision within {timeout:g} s")


def _decided(conn, request_id: int) -> tuple[str, str] | None:
    ended = q.end_state(conn, request_id)
    if ended is None:
        return None
    status, reason = ended
    text = f"approval request #{request_id} {status}" + (f": {reason}" if reason else "")
    return ("allow" if status == "approved" else "deny"), text


def _expire(conn, payload: dict, request_id: int, project_id, message: str) -> tuple[str, str]:
    def body(tx):
        changed = q.expire_request(tx.conn, request_id, tx.now, message)
        if changed:
            tx.audit("approval.expire", "approval_request", request_id, project_id=project_id,
                     before={"status": "pending"}, after={"status": "expired", "reason": message})
        return changed

    if not write(conn, body, payload):
        # Decided in the last instant: honour the decision rather than the timeout.
        return _decided(conn, request_id) or ("deny", f"approval request #{request_id}: {message}")
    return "deny", f"approval request #{request_id}: {message}"
