"""PermissionRequest: Claude Code is about to ask a person. Stdlib only.

It fires exactly when Claude Code would prompt (in SDK sessions; with Claude Code 2.1.332 also in plain
`claude -p` when its own rules would ask, never after a hook `ask`), so this is where nerv records an
approval request for any tool. In `queue` mode the hook then waits for `nerv
approval approve|deny` and answers `decision.behavior`; in the other modes it prints nothing and the person
(or the SDK host) answers Claude Code's prompt, and the call's later events close the request.

The event has no tool_use_id: a request PreToolUse already recorded for the same call (strict and queue
modes) is found by session + tool + input and reused (nerv.hook.requests).
"""

from __future__ import annotations

import os

from nerv.hook.common import decide_tool_event, emit, hook_mode, on_error, project_for_cwd, text_field, warn
from nerv.hook.requests import find_pending, record, wait_for_decision

EVENT = "PermissionRequest"


def answer(behavior: str, message: str | None = None) -> None:
    decision = {"behavior": behavior}
    if message and behavior == "deny":
        decision["message"] = f"nerv: {message}"
    emit({"hookSpecificOutput": {"hookEventName": EVENT, "decision": decision}})


def handle(raw: bytes) -> int:
    return decide_tool_event(raw, decide, fail_safe, decide_cached)


def fail_safe(conn, reason: str) -> None:
    """Silence leaves the call to Claude Code's prompt, which is what it was about to show; `deny` with
    hook.on_error = deny."""
    warn(f"{EVENT}: {reason}")
    if on_error(conn) == "deny":
        answer("deny", reason)


def decide(conn, payload: dict, tool: str, reference) -> None:
    """The project and hook.mode from `reference` (nerv.hook.pretool.decide says why), the request on `conn`."""
    cwd = text_field(payload, "cwd") or os.getcwd()
    project = project_for_cwd(reference, cwd)
    project_id = project["id"] if project else None
    mode = hook_mode(reference, project_id)
    if mode == "off":
        return
    tool_input = payload.get("tool_input")
    session_id = text_field(payload, "session_id", 200)
    from nerv.store.clock import now_iso

    request_id = find_pending(conn, session_id, tool, tool_input, None, now_iso())
    if request_id is None:
        request_id = record(conn, payload, tool=tool, tool_input=tool_input, cwd=cwd, project_id=project_id,
                            mode=mode, event=EVENT)
    if mode == "queue":
        answer(*wait_for_decision(conn, payload, request_id, project_id))



def decide_cached(snapshot, payload: dict, tool: str, reason: str) -> None:
    """The server is unreachable, so no request can be recorded: a deny rule of the local cache (nerv.hook.cache)
    denies at any age; otherwise silence (the person answers Claude Code's prompt), or `deny` with a cached
    hook.on_error = deny when the cache is older than hook.cache_max_age_s or the mode waits for a person."""
    if snapshot is None:
        fail_safe(None, f"{reason}; no local cache of the server's rules")
        return
    from nerv.hook.pretool import rule_match

    conn, source = snapshot.conn, snapshot.describe()
    cwd = text_field(payload, "cwd") or os.getcwd()
    project = project_for_cwd(conn, cwd)
    project_id = project["id"] if project else None
    match = rule_match(conn, tool, payload.get("tool_input"), cwd, project)
    if match.decision == "deny":
        warn(f"{EVENT}: {match.reason} ({source}; {reason})")
        answer("deny", f"{match.reason} ({source})")
        return
    mode = hook_mode(conn, project_id)
    if mode == "off":
        return
    if (mode == "queue" or not snapshot.fresh(project_id)) and snapshot.on_error() == "deny":
        warn(f"{EVENT}: {reason}; {source}: hook.on_error = deny")
        answer("deny", f"{reason}; {source}: hook.on_error = deny")
        return
    warn(f"{EVENT}: {reason}; {source}: Claude Code's prompt decides")
