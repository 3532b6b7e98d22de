"""Approval requests recorded by the PreToolUse hook: list, show, decide, and rules suggested from history."""

from __future__ import annotations

import json

from peewee import fn

from nerv.domain import vocabulary
from nerv.errors import NervError, conflict, not_found
from nerv.rules.suggest import suggest_rule
from nerv.services import validate
from nerv.services.rules import parse_or_refuse, rule_row, warnings_for
from nerv.store.db import Store
from nerv.store.clock import parse_iso
from nerv.store.models import ApprovalRequest, ApprovalRule, ClaudeSession, Project
from nerv.store.orm import locked

STATUSES = vocabulary.APPROVAL_STATUSES
MAX_LIST = 10_000


def _row(request: ApprovalRequest, names: dict | None = None) -> dict:
    row = request.to_dict()
    for link in ("project", "task", "rule"):
        row[f"{link}_id"] = row.pop(link)
    try:
        row["tool_input"] = json.loads(row["tool_input"])
    except (TypeError, json.JSONDecodeError):
        pass
    if names is not None:
        row["project"] = names.get(row["project_id"])
    return row


def summary(tool_input) -> str:
    """One line saying what the call does (the command, path or URL)."""
    if isinstance(tool_input, dict):
        for key in ("command", "file_path", "notebook_path", "url", "path"):
            if isinstance(tool_input.get(key), str):
                return tool_input[key].replace("\n", "⏎")[:160]
        return json.dumps(tool_input, ensure_ascii=False)[:160]
    return str(tool_input)[:160]


def list_requests(store: Store, status: str = "pending", limit: int = 50) -> list[dict]:
    """Requests, newest first, filtered by status (`all` for every one), each with its `summary`, `age_s`
    and `waiting_for` (what the request's session waits for, from its last Notification, or None)."""
    validate.choice(status, "status", STATUSES)
    limit = validate.int_in_range(limit, "limit", 1, MAX_LIST)
    query = ApprovalRequest.select()
    if status != "all":
        query = query.where(ApprovalRequest.status == status)
    names = {p.id: p.name for p in Project.select(Project.id, Project.name)}
    rows = [_row(r, names) for r in query.order_by(ApprovalRequest.id.desc()).limit(limit)]
    waiting = {w["id"]: w["waiting_for"] for w in waiting_sessions(store)}
    now = parse_iso(store.now())
    for row in rows:
        row["summary"] = summary(row["tool_input"])
        row["age_s"] = round((now - parse_iso(row["created_at"])).total_seconds(), 3)
        row["waiting_for"] = waiting.get(row["session_id"])
    return rows


def waiting_sessions(store: Store) -> list[dict]:
    """Active sessions waiting for a person (their last Notification, cleared by their next activity)."""
    query = (ClaudeSession.select(ClaudeSession.id, ClaudeSession.agent, ClaudeSession.waiting_for,
                                  ClaudeSession.waiting_since)
             .where(ClaudeSession.waiting_for.is_null(False) & (ClaudeSession.status == "active"))
             .order_by(ClaudeSession.waiting_since))
    return [{"id": s.id, "agent": s.agent, "waiting_for": s.waiting_for, "waiting_since": s.waiting_since}
            for s in query]


def _get(request_id: int) -> ApprovalRequest:
    validate.row_id(request_id, "approval request id")
    request = ApprovalRequest.get_or_none(ApprovalRequest.id == request_id)
    if request is None:
        raise not_found("approval request", request_id, "see `nerv approval list --status all`")
    return request


def show_request(store: Store, request_id: int) -> dict:
    names = {p.id: p.name for p in Project.select(Project.id, Project.name)}
    return _row(_get(request_id), names)


def wait_for_end(store: Store, request_id: int, timeout_s: int) -> dict:
    """The request once it is no longer pending (approved, denied, expired, abandoned), or as it is after
    `timeout_s` seconds (as long as a queued hook may wait at most), with `timed_out`. Raises not_found, invalid."""
    from nerv.hook.requests import QUEUE_KEY
    from nerv.settings_keys import KNOWN

    timeout_s = validate.int_in_range(timeout_s, "timeout", 0, int(KNOWN[QUEUE_KEY].bounds[1]))
    _get(request_id)
    ended = store.approvals.wait_for_end(request_id, timeout_s)
    return {**show_request(store, request_id), "timed_out": ended is None}


def decide(store: Store, request_id: int, approve: bool, *, reason: str | None = None, remember: bool = False) -> dict:
    """Approve or deny a pending request; `remember` also stores the suggested rule for its project.

    Raises not_found, conflict (already decided, or nothing safe to remember).
    """
    reason = validate.one_line(reason, "reason", required=False)
    request = _get(request_id)
    if request.status != "pending":
        raise conflict(f"approval request #{request_id} is already {request.status}",
                       "only pending requests can be decided")
    rule_text = None
    if remember:
        try:
            tool_input = json.loads(request.tool_input)
        except json.JSONDecodeError:
            tool_input = None
        rule_text = request.suggested_rule or suggest_rule(request.tool, tool_input, request.cwd)
        if not rule_text:
            raise conflict("no safe rule generalises this call (compound or uncertain command)",
                           "decide without --remember, then add a rule with `nerv rule add`")
    rule = _remembered_rule(request_id, rule_text) if rule_text else None
    status = "approved" if approve else "denied"
    action = "allow" if approve else "deny"

    def body(tx):
        # Locked: two people deciding one request from two machines must not both see it pending (on
        # PostgreSQL a plain read would, and the second UPDATE would overwrite the first decision).
        current = locked(ApprovalRequest.select().where(ApprovalRequest.id == request_id)).first()
        if current is None:
            raise not_found("approval request", str(request_id))
        if current.status != "pending":
            raise conflict(f"approval request #{request_id} was decided meanwhile ({current.status})")
        before = current.to_dict()
        rule_id, warnings = None, []
        if rule is not None:
            scope = (ApprovalRule.project == request.project_id) if request.project_id else ApprovalRule.project.is_null()
            existing = ApprovalRule.get_or_none(scope & (ApprovalRule.rule == rule.text) & (ApprovalRule.action == action))
            if existing:
                rule_id = existing.id
            else:
                row = rule_row(rule, action, request.project_id, reason or f"remembered from request #{request_id}",
                               f"approval:#{request_id}", tx.now)
                rule_id = ApprovalRule.insert(row).execute()
                tx.audit("rule.add", "rule", rule_id, project_id=request.project_id, after={**row, "id": rule_id})
                warnings = warnings_for(rule, action, request.project_id)
        changes = {"status": status, "decided_by": tx.actor, "decided_at": tx.now, "reason": reason, "rule": rule_id}
        ApprovalRequest.update(changes).where(ApprovalRequest.id == request_id).execute()
        after = ApprovalRequest.get_by_id(request_id).to_dict()
        tx.audit(f"approval.{status}", "approval_request", request_id, project_id=request.project_id,
                 before=before, after=after)
        return {**_row(ApprovalRequest.get_by_id(request_id)), "remembered_rule": rule.text if rule else None,
                "warnings": warnings}

    return store.write(body)


def _remembered_rule(request_id: int, text: str):
    """The parsed rule to remember; a stored suggestion that does not parse (an older nerv wrote it) is refused."""
    try:
        return parse_or_refuse(text)
    except NervError as err:
        raise NervError("invalid", f"the rule suggested for approval request #{request_id} does not parse: "
                                   f"{err.details['problem']} at position {err.details['position']} of {text!r}",
                        "decide without --remember, then add a rule with `nerv rule add`",
                        details=err.details) from None


def suggest_rules(store: Store, limit: int = 20, min_count: int = 1) -> list[dict]:
    """Rules proposed from history: suggested patterns ranked by how often they were approved."""
    limit = validate.int_in_range(limit, "limit", 1, 1000)
    min_count = validate.int_in_range(min_count, "min count", 1, 1_000_000)
    approved = fn.COUNT(ApprovalRequest.id).filter(ApprovalRequest.status == "approved")
    denied = fn.COUNT(ApprovalRequest.id).filter(ApprovalRequest.status == "denied")
    query = (ApprovalRequest
             .select(ApprovalRequest.suggested_rule, ApprovalRequest.project, approved.alias("approved"),
                     denied.alias("denied"), fn.COUNT(ApprovalRequest.id).alias("requests"),
                     fn.MAX(ApprovalRequest.created_at).alias("last_seen"))
             .where(ApprovalRequest.suggested_rule.is_null(False))
             .group_by(ApprovalRequest.suggested_rule, ApprovalRequest.project)
             .having(approved >= min_count)
             .order_by(approved.desc(), fn.MAX(ApprovalRequest.created_at).desc()))
    existing = {(r.rule, r.project_id) for r in ApprovalRule.select(ApprovalRule.rule, ApprovalRule.project)
                .where(ApprovalRule.action == "allow")}
    names = {p.id: p.name for p in Project.select(Project.id, Project.name)}
    rows = []
    for row in query.dicts():
        key = (row["suggested_rule"], row["project"])
        if key in existing or (row["suggested_rule"], None) in existing:
            continue
        if row["denied"]:
            continue  # a pattern a person refused at least once is not safe to propose
        rows.append({"rule": row["suggested_rule"], "project": names.get(row["project"]),
                     "approved": row["approved"], "requests": row["requests"], "last_seen": row["last_seen"],
                     "command": "nerv rule add " + _quote(row["suggested_rule"]) + " --action allow"
                                + (f" --project {_quote(names[row['project']])}" if row["project"] in names else "")})
        if len(rows) >= limit:
            break
    return rows


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)

