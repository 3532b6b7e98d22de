"""PreToolUse: guards, then rules (deny, ask, allow), then an approval request. Stdlib only.

The fast path (a rule decides) only reads: open, one project lookup, one rule query, no write.
"""

from __future__ import annotations

import json
import os
import time

from nerv.hook import MalformedInput, extensions, read_payload
from nerv.hook.common import (close_quietly, emit, open_hook_store, project_for_cwd, setting, text_field, warn,
                              write)
from nerv.hook.loader import call_each
from nerv.rules import Match, evaluate, make_context
from nerv.store import queries_approvals as q

POLL_INTERVAL_S = 0.25
MAX_QUEUE_WAIT_S = 24 * 3600
MAX_STORED_INPUT = 64_000  # characters of tool_input kept on a request


def answer(decision: str, reason: str) -> None:
    emit({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": decision,
                                 "permissionDecisionReason": f"nerv: {reason}"}})


def handle(raw: bytes) -> int:
    store = None
    try:
        payload = read_payload(raw)
        tool = payload.get("tool_name")
        if not isinstance(tool, str) or not tool:
            raise MalformedInput("tool_name is missing or not text")
        store = open_hook_store()
        decide(store.conn, payload, tool)
        return 0
    except BaseException as exc:  # never crash the agent's flow, never allow by accident
        if isinstance(exc, KeyboardInterrupt):
            reason = "interrupted"
        elif isinstance(exc, MalformedInput):
            reason = f"malformed hook input: {exc}"
        else:
            reason = f"could not decide ({type(exc).__name__}: {exc})"
        fail_safe(store.conn if store else None, reason)
        return 0
    finally:
        close_quietly(store)


def fail_safe(conn, reason: str) -> None:
    """Answer `ask` (or `deny`, setting hook.on_error) when the hook cannot decide."""
    decision = "ask"
    try:
        if conn is None:
            from nerv.store.db import open_readonly

            reader = open_readonly()
            try:
                decision = setting(reader, "hook.on_error", None)
            finally:
                reader.close()
        else:
            decision = setting(conn, "hook.on_error", None)
    except Exception:
        pass  # the database is part of the problem: the default applies
    answer("deny" if decision == "deny" else "ask", reason)
    warn(reason)


def decide(conn, payload: dict, tool: str) -> None:
    tool_input = payload.get("tool_input")
    cwd = text_field(payload, "cwd") or os.getcwd()
    project = project_for_cwd(conn, cwd)
    project_id = project["id"] if project else None
    for entry, verdict in call_each(extensions.PRE_TOOL_GUARDS, conn, payload):
        if verdict:
            decision, reason = verdict
            if decision in ("deny", "ask", "allow"):
                answer(decision, reason)
                return
            warn(f"guard {entry} answered {decision!r}; ignored")
    rules = q.candidate_rules(conn, tool, tool_input, project_id)
    ctx = make_context(cwd, root=project["repo_path"] if project else cwd)
    match = evaluate(rules, tool, tool_input, ctx)
    if match.rule_action is not None:
        answer(match.decision, match.reason)
        return
    if tool not in (setting(conn, "hook.approval_tools", project_id) or []):
        if match.decision == "ask":
            answer("ask", match.reason)
        return  # no opinion: Claude Code's own rules and prompt decide
    request_approval(conn, payload, tool, tool_input, cwd, project_id, match)


def request_approval(conn, payload: dict, tool: str, tool_input, cwd: str, project_id, match: Match) -> None:
    mode = setting(conn, "hook.mode", project_id)
    mode = "queue" if mode == "queue" else "ask"
    session_id = text_field(payload, "session_id", 200)
    encoded = json.dumps(tool_input if tool_input is not None else {}, ensure_ascii=False, default=str)
    row = {"project_id": project_id, "session_id": session_id, "task_id": q.session_task(conn, session_id),
           "tool": tool[:200], "tool_input": encoded[:MAX_STORED_INPUT], "cwd": cwd, "mode": mode,
           "status": "pending", "suggested_rule": _suggest(tool, tool_input, cwd),
           "tool_use_id": text_field(payload, "tool_use_id", 200)}

    def body(tx):
        request_id = q.insert_request(tx.conn, {**row, "created_at": tx.now})
        tx.audit("approval.request", "approval_request", request_id, project_id=project_id,
                 after={**row, "id": request_id, "tool_input": row["tool_input"][:2000]})
        return request_id

    request_id = write(conn, body, payload)
    why = match.reason or "no rule decides this call"
    if mode == "ask":
        answer("ask", f"{why} (approval request #{request_id}; `nerv approval suggest` proposes rules)")
        return
    wait_for_decision(conn, payload, request_id, project_id, why)


def _suggest(tool: str, tool_input, cwd: str) -> str | None:
    from nerv.rules.suggest import suggest_rule

    return suggest_rule(tool, tool_input, cwd)


def wait_for_decision(conn, payload: dict, request_id: int, project_id, why: str) -> None:
    try:
        timeout = float(setting(conn, "hook.queue_timeout_s", project_id))
    except (TypeError, ValueError):
        timeout = 600.0
    timeout = min(max(timeout, 0.0), MAX_QUEUE_WAIT_S)
    deadline = time.monotonic() + timeout
    while True:
        status, reason = q.request_state(conn, request_id) or ("expired", "the request disappeared")
        if status == "approved":
            answer("allow", f"approval request #{request_id} approved" + (f": {reason}" if reason else ""))
            return
        if status in ("denied", "expired"):
            answer("deny", f"approval request #{request_id} {status}" + (f": {reason}" if reason else ""))
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(POLL_INTERVAL_S, remaining))
    message = f"no decision within {timeout:g} s"

    def body(tx):
        changed = q.expire_request(tx.conn, request_id, tx.now, message)
        if changed:
            tx.audit("approval.expire", "approval_request", request_id, project_id=project_id,
                     before={"status": "pending"}, after={"status": "expired", "reason": message})
        return changed

    if not write(conn, body, payload):
        # Decided in the last instant: honour the decision rather than the timeout.
        return wait_for_decision_once(conn, request_id)
    answer("deny", f"approval request #{request_id}: {message} ({why})")


def wait_for_decision_once(conn, request_id: int) -> None:
    status, reason = q.request_state(conn, request_id) or ("expired", None)
    decision = "allow" if status == "approved" else "deny"
    answer(decision, f"approval request #{request_id} {status}" + (f": {reason}" if reason else ""))
