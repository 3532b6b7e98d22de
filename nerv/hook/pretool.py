"""PreToolUse: guards, then rules (deny, ask, allow), then hook.mode. Stdlib only.

The fast path (a rule decides) only reads: open, one project lookup, one rule query, no write. A call no
rule decides gets no opinion (nothing printed: Claude Code's own modes, rules and prompt decide) unless
hook.mode is `queue` or `strict` and the tool is an approval tool; those modes record a request, then wait
for a person (queue) or answer `ask` (strict). docs/hooks.md, "PreToolUse, step by step".
"""

from __future__ import annotations

import os

from nerv.hook import extensions
from nerv.hook.common import decide_tool_event, emit, hook_mode, on_error, project_for_cwd, setting, text_field, warn
from nerv.hook.loader import call_each
from nerv.hook.requests import record, wait_for_decision
from nerv.rules import Match, evaluate, make_context
from nerv.rules.candidates import BrokenRule, candidate_rules
from nerv.store.rule_area import RuleArea

HOLDING_MODES = ("queue", "strict")  # the modes that record and hold unruled calls of the approval tools


def answer(decision: str, reason: str) -> None:
    emit({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": decision,
                                 "permissionDecisionReason": f"nerv: {reason}"}})


def handle(raw: bytes) -> int:
    return decide_tool_event(raw, decide, fail_safe, decide_cached)


def fail_safe(conn, reason: str) -> None:
    """Answer `ask` (or `deny`, setting hook.on_error) when the hook cannot decide."""
    answer("deny" if on_error(conn) == "deny" else "ask", reason)
    warn(reason)


def decide(conn, payload: dict, tool: str, reference) -> None:
    """Guards on `conn` (the spend, leases and requests are live), rules, settings and the project from
    `reference` (the same connection, or the hook daemon's replica of those rows: nerv.hook.replica)."""
    tool_input = payload.get("tool_input")
    cwd = text_field(payload, "cwd") or os.getcwd()
    project = project_for_cwd(reference, cwd)
    project_id = project["id"] if project else None
    for entry, verdict in call_each(extensions.PRE_TOOL_GUARDS, conn, payload):
        if verdict:
            decision, reason = verdict
            if decision in ("deny", "ask", "allow"):
                answer(decision, reason)
                return
            warn(f"guard {entry} answered {decision!r}; ignored")
    match = rule_match(reference, tool, tool_input, cwd, project)
    if match.rule_action is not None:
        answer(match.decision, match.reason)
        return
    mode = hook_mode(reference, project_id)
    if mode in HOLDING_MODES and tool in (setting(reference, "hook.approval_tools", project_id) or []):
        hold(conn, payload, tool, tool_input, cwd, project_id, match, mode)
        return
    if match.decision == "ask":
        # An allow rule matched text it cannot vouch for (a substitution, a protected path, a critical rm):
        # silence would let Claude Code's own allow approve what nerv's rule refused to.
        answer("ask", match.reason)
    # Otherwise no opinion: Claude Code's own modes, rules and prompt decide.


def rule_match(conn, tool: str, tool_input, cwd: str, project: dict | None) -> Match:
    """What the stored rules (global and the project's) say of the call."""
    rules = candidate_rules(RuleArea(conn), tool, tool_input, project["id"] if project else None)
    return evaluate(rules, tool, tool_input, make_context(cwd, root=project["repo_path"] if project else cwd))


def decide_cached(snapshot, payload: dict, tool: str, reason: str) -> None:
    """The server is unreachable: decide from the local cache (nerv.hook.cache) with the live path's lookups
    and matcher. Deny and ask at any age; an allow, or no opinion, only from a cache the server confirmed
    within hook.cache_max_age_s, else hook.on_error as cached; `ask` without a cache."""
    if snapshot is None:
        fail_safe(None, f"{reason}; no local cache of the server's rules")
        return
    conn, source = snapshot.conn, snapshot.describe()
    cwd = text_field(payload, "cwd") or os.getcwd()
    tool_input = payload.get("tool_input")
    project = project_for_cwd(conn, cwd)
    project_id = project["id"] if project else None
    try:
        match = rule_match(conn, tool, tool_input, cwd, project)
    except BrokenRule as err:
        _cached_answer(snapshot.on_error(), f"{reason}; {source}: {err} (hook.on_error)")
        return
    if match.decision in ("deny", "ask"):
        _cached_answer(match.decision, f"{match.reason} ({source}; {reason})")
        return
    mode = hook_mode(conn, project_id)
    holding = mode in HOLDING_MODES and match.rule_action is None and \
        tool in (setting(conn, "hook.approval_tools", project_id) or [])
    if holding and mode == "strict":
        _cached_answer("ask", f"{match.reason or 'no rule decides this call'} (hook.mode=strict, {source}; {reason})")
        return
    why_not = _why_no_allow(snapshot, tool, project_id, holding)
    if why_not:
        _cached_answer(snapshot.on_error(), f"{reason}; {source}, which cannot allow this call: {why_not} "
                                            "(hook.on_error)")
    elif match.decision == "allow":
        _cached_answer("allow", f"{match.reason} ({source}; {reason})")
    else:
        warn(f"{reason}; {source}: no opinion ({match.reason or 'no rule decides this call'})")


def _why_no_allow(snapshot, tool: str, project_id: str | None, queued: bool) -> str | None:
    if not snapshot.fresh(project_id):
        return f"it is older than hook.cache_max_age_s ({snapshot.max_age_s(project_id):g} s)"
    if queued:
        return "hook.mode=queue waits for a person's decision, which is on the server"
    return snapshot.unknown_guard(tool)


def _cached_answer(decision: str, reason: str) -> None:
    answer(decision, reason)
    warn(reason)


def hold(conn, payload: dict, tool: str, tool_input, cwd: str, project_id, match: Match, mode: str) -> None:
    """queue/strict: record the call as an approval request, then wait for a person or answer `ask`."""
    request_id = record(conn, payload, tool=tool, tool_input=tool_input, cwd=cwd, project_id=project_id, mode=mode,
                        event="PreToolUse")
    why = match.reason or "no rule decides this call"
    if mode == "strict":
        answer("ask", f"{why} (approval request #{request_id}, hook.mode=strict; `nerv approval suggest` "
                      "proposes rules)")
        return
    decision, reason = wait_for_decision(conn, payload, request_id, project_id)
    answer(decision, reason if decision == "allow" else f"{reason} ({why})")

