"""Hand-tuned SQL for the hook path: candidate rules, approval requests, subagents, tool metrics. Stdlib only.

The PreToolUse lookup is the hottest query nerv runs (every tool call of every agent). Deny and ask rules are
all read and parsed, never filtered by derived columns, so no row the hook fails to understand can hide a
deny. Allow rules are narrowed in SQL (Bash ones by their literal prefix against every spelling of the
command): a wrong derived column can only make an allow rule miss.
"""

from __future__ import annotations

import sqlite3

from nerv import fastjson
from nerv.rules import StoredRule, parse_rule
from nerv.rules.grammar import EDIT_TOOLS, READ_TOOLS, RuleError
from nerv.rules.shell_eval import MAX_ALLOWED_CHARS, MAX_PARTS, bash_file_targets, bash_forms, split_bash

_RULE_COLUMNS = "id, rule, action, project_id, source"
_SCOPE = "(project_id IS NULL OR project_id = :project)"
MAX_PREFIX_PROBES = 5000
SHORT_PREFIX = 256  # forms no longer than this are probed at every length, without asking the table
_RANKS = {"deny": 0, "ask": 1, "allow": 2}


def _by_action(row) -> tuple:
    return _RANKS.get(row[2], 3), row[0]


class BrokenRule(Exception):
    """A stored deny or ask rule that does not parse: the hook cannot know what it forbids."""

    def __init__(self, rule_id: int, text: str, action: str, problem: str):
        super().__init__(f"{action} rule #{rule_id} {text!r} does not parse ({problem}); "
                         f"fix it: `nerv rule rm {rule_id}` and add it again")
        self.rule_id = rule_id


def allow_tools_for(tool: str) -> list[str]:
    """Rule tool names whose allow rules can approve a call of `tool`."""
    if tool in ("Bash", "Monitor"):
        return ["Bash", "Monitor", "Read", "Edit"]
    if tool in EDIT_TOOLS:
        return sorted({"Edit", tool})
    if tool in READ_TOOLS:
        return sorted({"Read", "Edit", tool})
    if tool in ("Task", "Agent"):
        return ["Agent"]
    if tool.startswith("mcp__"):
        pieces = tool.split("__")
        return sorted({tool, f"mcp__{pieces[1]}"} if len(pieces) >= 2 else {tool})
    return [tool]


def candidate_rules(conn: sqlite3.Connection, tool: str, tool_input, project_id: str | None) -> list[StoredRule]:
    """The rules (global and the project's) that could decide this call, deny first, then ask, then allow.

    Raises BrokenRule when a stored deny or ask rule does not parse: the caller fails safe.
    """
    params: dict = {"project": project_id}
    names = allow_tools_for(tool)
    params.update({f"t{i}": name for i, name in enumerate(names)})
    marks = ", ".join(f":t{i}" for i in range(len(names)))
    # Allow globs count only after a literal `mcp__server__`, so only an MCP call needs them; a range on the
    # tool name keeps that lookup on the index.
    globs = ""
    if tool.startswith("mcp__") and tool.count("__") >= 2:
        params["glob_low"] = "mcp__" + tool.split("__")[1] + "__"
        params["glob_high"] = params["glob_low"][:-1] + "`"
        globs = " OR (tool >= :glob_low AND tool < :glob_high AND tool GLOB '*[*]*')"
    selects = [f"SELECT {_RULE_COLUMNS} FROM approval_rules WHERE action IN ('deny', 'ask') AND {_SCOPE}",
               f"SELECT {_RULE_COLUMNS} FROM approval_rules WHERE action = 'allow' AND {_SCOPE}"
               f" AND (tool IN ({marks}){globs})"]
    if tool in ("Bash", "Monitor"):
        selects[1] += " AND tool <> 'Bash'"
        if not _names_files(tool_input):
            selects[1] += " AND tool NOT IN ('Read', 'Edit')"  # file allow rules matter only for named files
        selects.append(_bash_allow_candidates(conn, tool_input, params))
    # One query per select, each in id order (rowid scans and index probes need no sort); a stable sort by
    # action then gives deny, ask, allow, each by id, without SQLite building a temporary b-tree.
    rows = [row for select in selects for row in conn.execute(select + " ORDER BY id", params)]
    rows.sort(key=_by_action)
    return [stored for stored in (_stored(row, tool) for row in rows) if stored is not None]


def _names_files(tool_input) -> bool:
    """Whether a shell command names any file (a redirection target or a file command's operand)."""
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if not isinstance(command, str) or len(command) > MAX_ALLOWED_CHARS:
        return False
    return any(bash_file_targets(part) for part in split_bash(command))


def _bash_allow_candidates(conn: sqlite3.Connection, tool_input, params: dict) -> str:
    """Bash allow rules whose literal prefix starts some spelling of the command (and bare `Bash` rules).

    Every prefix of every spelling, up to the longest literal prefix stored, is looked up in
    ix_rules_tool_prefix: a few index probes instead of a scan of 1,000 rules. Past MAX_PREFIX_PROBES all Bash
    allow rules are read, which is bounded by the table, never by the command.
    """
    base = f"SELECT {_RULE_COLUMNS} FROM approval_rules WHERE action = 'allow' AND tool = 'Bash' AND {_SCOPE}"
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if not isinstance(command, str) or len(command) > MAX_ALLOWED_CHARS:
        return base + " AND literal_prefix IS NULL"  # no prefix rule can approve it: skip reading its spellings
    parts = split_bash(command)
    if len(parts) > MAX_PARTS:
        return base + " AND literal_prefix IS NULL"
    forms = bash_forms(parts)
    longest = SHORT_PREFIX
    if any(len(form) > SHORT_PREFIX for form in forms):
        # Only a long command pays for finding the longest stored prefix (a scan of the Bash rules).
        longest = conn.execute("SELECT max(length(literal_prefix)) FROM approval_rules WHERE tool = 'Bash'"
                               " AND action = 'allow'").fetchone()[0] or 0
    prefixes: set[str] = {""}
    for form in forms:
        for end in range(1, min(len(form), longest) + 1):
            prefixes.add(form[:end])
        if len(prefixes) > MAX_PREFIX_PROBES:
            return base
    params["prefixes"] = fastjson.dumps(sorted(prefixes))
    return (base + " AND (literal_prefix IS NULL"
                   " OR literal_prefix IN (SELECT value FROM json_each(:prefixes)))")


def _stored(row, tool: str) -> StoredRule | None:
    try:
        rule = parse_rule(row[1], compile_paths=False)
    except RuleError as err:
        if row[2] in ("deny", "ask") and _could_apply(row[1], tool):
            raise BrokenRule(row[0], row[1], row[2], err.message) from None
        return None  # an allow rule that cannot be read can only fail to approve
    return StoredRule(rule, row[2], row[0], row[3], row[4])


def _could_apply(text, tool: str) -> bool:
    """Whether an unreadable rule's text names a tool that could decide this call (when in doubt: yes)."""
    if not isinstance(text, str):
        return True
    name = text.strip().split("(", 1)[0].strip()
    if not name or "*" in name or name == tool or tool.startswith(name + "__"):
        return True
    related = {"Bash": {"Read", "Edit", "Monitor"}, "Monitor": {"Bash", "Read", "Edit"},
               "PowerShell": {"Read", "Edit"}, "Agent": {"Task"}, "Task": {"Agent"}}
    if tool in EDIT_TOOLS or tool in READ_TOOLS:
        return name in ("Read", "Edit") or name in EDIT_TOOLS or name in READ_TOOLS
    return name in related.get(tool, ()) or not name.isidentifier()


def insert_request(conn: sqlite3.Connection, row: dict) -> int:
    columns = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    return conn.execute(f"INSERT INTO approval_requests ({columns}) VALUES ({marks})", row).lastrowid


def request_state(conn: sqlite3.Connection, request_id: int) -> tuple[str, str | None] | None:
    row = conn.execute("SELECT status, reason FROM approval_requests WHERE id = ?", (request_id,)).fetchone()
    return (row[0], row[1]) if row else None


def expire_request(conn: sqlite3.Connection, request_id: int, when: str, reason: str) -> int:
    return close_request(conn, request_id, "expired", "timeout", reason, when)


def close_request(conn: sqlite3.Connection, request_id: int, status: str, decided_by: str, reason: str | None,
                  when: str, tool_use_id: str | None = None) -> int:
    """End a pending request (1) or leave a decided one alone (0); a tool_use_id learnt on the way is kept."""
    return conn.execute("UPDATE approval_requests SET status = ?, decided_by = ?, decided_at = ?, reason = ?,"
                        " tool_use_id = COALESCE(tool_use_id, ?) WHERE id = ? AND status = 'pending'",
                        (status, decided_by, when, reason, tool_use_id, request_id)).rowcount


def has_pending(conn: sqlite3.Connection, session_id: str) -> bool:
    """Whether the session has a pending request: asked before any input is hashed (ix_approvals_session_status)."""
    return conn.execute("SELECT 1 FROM approval_requests WHERE session_id = ? AND status = 'pending' LIMIT 1",
                        (session_id,)).fetchone() is not None


def pending_by_tool_use_id(conn: sqlite3.Connection, tool_use_id: str) -> int | None:
    row = conn.execute("SELECT id FROM approval_requests WHERE status = 'pending' AND tool_use_id = ?"
                       " ORDER BY id DESC LIMIT 1", (tool_use_id,)).fetchone()
    return row[0] if row else None


def pending_by_input(conn: sqlite3.Connection, session_id: str, tool: str, input_hash: str, since: str, *,
                     unlinked_only: bool) -> int | None:
    """The newest pending request of this session for the same tool and input, recorded at or after `since`.

    unlinked_only: only requests that have no tool_use_id yet (one that has one belongs to that call).
    The newest wins: an older identical one is a call whose end nerv did not see.
    """
    row = conn.execute("SELECT id FROM approval_requests WHERE session_id = ? AND status = 'pending' AND tool = ?"
                       " AND input_hash = ? AND created_at >= ?" + (" AND tool_use_id IS NULL" if unlinked_only else "")
                       + " ORDER BY id DESC LIMIT 1", (session_id, tool, input_hash, since)).fetchone()
    return row[0] if row else None


def pending_of_session(conn: sqlite3.Connection, session_id: str) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM approval_requests WHERE session_id = ? AND status = 'pending'"
                                       " ORDER BY id", (session_id,))]


def insert_metrics(conn: sqlite3.Connection, rows: list[dict]) -> None:
    conn.executemany("INSERT INTO metrics (project_id, name, value, unit, task_id, session_id, meta, recorded_at)"
                     " VALUES (:project_id, :name, :value, :unit, :task_id, :session_id, :meta, :recorded_at)", rows)


def calls_seen(conn: sqlite3.Connection, session_id: str, tool_use_ids: list[str]) -> set[str]:
    """Which of these calls already have a `tool.calls` (they ran) or `tool.denied` metric in the session."""
    rows = conn.execute("SELECT json_extract(meta, '$.tool_use_id') FROM metrics WHERE session_id = ?"
                        " AND name IN ('tool.calls', 'tool.denied')"
                        " AND json_extract(meta, '$.tool_use_id') IN (SELECT value FROM json_each(?))",
                        (session_id, fastjson.dumps(tool_use_ids)))
    return {r[0] for r in rows}


def subagent_row(conn: sqlite3.Connection, session_id: str, agent_id: str) -> dict | None:
    cursor = conn.execute("SELECT * FROM subagents WHERE session_id = ? AND agent_id = ?", (session_id, agent_id))
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row)) if row else None


def upsert_subagent(conn: sqlite3.Connection, session_id: str, agent_id: str, values: dict,
                    now: str) -> tuple[dict | None, dict]:
    """Insert the subagent or update the given (non-null) columns; returns (before, after) for the audit row."""
    before = subagent_row(conn, session_id, agent_id)
    if before is None:
        row = {"session_id": session_id, "agent_id": agent_id, "created_at": now, "updated_at": now, **values}
        conn.execute(f"INSERT INTO subagents ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})", row)
    else:
        changes = {k: v for k, v in values.items() if v is not None and before.get(k) != v}
        if changes:
            sets = ", ".join(f"{k} = :{k}" for k in changes)
            conn.execute(f"UPDATE subagents SET {sets}, updated_at = :updated_at WHERE session_id = :session_id"
                         " AND agent_id = :agent_id", {**changes, "updated_at": now, "session_id": session_id,
                                                      "agent_id": agent_id})
    return before, subagent_row(conn, session_id, agent_id)
