"""Hand-tuned SQL for the hook path: candidate rules, approval requests, sessions, tool metrics. Stdlib only.

The PreToolUse lookup is the hottest query nerv runs (every tool call of every agent). It filters Bash
rules in SQL by their precomputed literal prefix against every spelling of the command, so Python only
compiles and tries the few rules that can match.
"""

from __future__ import annotations

import json
import sqlite3

from nerv.rules import StoredRule, bash_forms, parse_rule
from nerv.rules.grammar import EDIT_TOOLS, READ_TOOLS, RuleError
from nerv.rules.shell import split_command

_RULE_COLUMNS = "id, rule, action, project_id"
_SCOPE = "(project_id IS NULL OR project_id = :project)"
MAX_PREFIX_PROBES = 5000
_ORDER = " ORDER BY CASE action WHEN 'deny' THEN 0 WHEN 'ask' THEN 1 ELSE 2 END, id"


def rule_tools_for(tool: str) -> list[str]:
    """Rule tool names that can decide a call of `tool` (redirections make Bash consult file rules)."""
    if tool == "Bash":
        return ["Bash", "Read", *EDIT_TOOLS]
    if tool in EDIT_TOOLS:
        return ["Read", *EDIT_TOOLS]
    if tool in READ_TOOLS:
        return sorted({"Read", tool})
    if tool.startswith("mcp__"):
        pieces = tool.split("__")
        names = {tool}
        if len(pieces) >= 2:
            names.update({f"mcp__{pieces[1]}", f"mcp__{pieces[1]}__*"})
        return sorted(names)
    return [tool]


def candidate_rules(conn: sqlite3.Connection, tool: str, tool_input, project_id: str | None) -> list[StoredRule]:
    """The rules (global and the project's) that could decide this call, deny first, then ask, then allow."""
    command = tool_input.get("command") if tool == "Bash" and isinstance(tool_input, dict) else None
    parts = split_command(command) if isinstance(command, str) else []
    params: dict = {"project": project_id}
    selects = []
    other_tools = [t for t in rule_tools_for(tool) if t != "Bash"]
    if tool == "Bash" and not any(p.redirects for p in parts):
        other_tools = []  # file rules matter to a Bash call only through its redirections
    if other_tools:
        params.update({f"t{i}": name for i, name in enumerate(other_tools)})
        marks = ", ".join(f":t{i}" for i in range(len(other_tools)))
        selects.append(f"SELECT {_RULE_COLUMNS} FROM approval_rules WHERE tool IN ({marks}) AND {_SCOPE}")
    if tool == "Bash":
        selects.append(_bash_candidates(bash_forms(parts), params))
    rows = conn.execute(f"SELECT * FROM ({' UNION ALL '.join(selects)}){_ORDER}", params).fetchall()
    return [stored for stored in (_stored(row) for row in rows) if stored is not None]


def _bash_candidates(forms: list[str], params: dict) -> str:
    """Bash rules whose literal prefix starts some spelling of the command (and bare `Bash` rules).

    Every prefix of every spelling is looked up in ix_rules_tool_prefix: a few index probes instead of
    a scan of 1,000 rules. Very long commands fall back to comparing each rule's prefix.
    """
    bare = f"SELECT {_RULE_COLUMNS} FROM approval_rules WHERE tool = 'Bash' AND literal_prefix IS NULL AND {_SCOPE}"
    prefixes = {form[:end] for form in forms for end in range(len(form) + 1)} if forms else {""}
    if len(prefixes) <= MAX_PREFIX_PROBES:
        params["prefixes"] = json.dumps(sorted(prefixes))
        return (f"{bare} UNION ALL SELECT {_RULE_COLUMNS} FROM approval_rules WHERE tool = 'Bash'"
                f" AND literal_prefix IN (SELECT value FROM json_each(:prefixes)) AND {_SCOPE}")
    params["forms"] = json.dumps(forms)
    return (f"{bare} UNION ALL SELECT {_RULE_COLUMNS} FROM approval_rules WHERE tool = 'Bash' AND {_SCOPE}"
            " AND EXISTS (SELECT 1 FROM json_each(:forms) f"
            "             WHERE substr(f.value, 1, length(literal_prefix)) = literal_prefix)")


def _stored(row) -> StoredRule | None:
    try:
        rule = parse_rule(row[1])
    except RuleError:
        return None  # refused on the way in; a hand-edited row must not take the hook down
    return StoredRule(rule, row[2], row[0], row[3])


def insert_request(conn: sqlite3.Connection, row: dict) -> int:
    columns = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    return conn.execute(f"INSERT INTO approval_requests ({columns}) VALUES ({marks})", row).lastrowid


def request_state(conn: sqlite3.Connection, request_id: int) -> tuple[str, str | None] | None:
    row = conn.execute("SELECT status, reason FROM approval_requests WHERE id = ?", (request_id,)).fetchone()
    return (row[0], row[1]) if row else None


def expire_request(conn: sqlite3.Connection, request_id: int, when: str, reason: str) -> int:
    return conn.execute("UPDATE approval_requests SET status = 'expired', decided_at = ?, decided_by = 'timeout',"
                        " reason = ? WHERE id = ? AND status = 'pending'", (when, reason, request_id)).rowcount


def session_task(conn: sqlite3.Connection, session_id: str | None) -> str | None:
    if not session_id:
        return None
    row = conn.execute("SELECT task_id FROM claude_sessions WHERE id = ?", (session_id,)).fetchone()
    return row[0] if row else None


def session_row(conn: sqlite3.Connection, session_id: str) -> dict | None:
    cursor = conn.execute("SELECT * FROM claude_sessions WHERE id = ?", (session_id,))
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row)) if row else None


def upsert_session(conn: sqlite3.Connection, session_id: str, values: dict, now: str) -> tuple[dict | None, dict]:
    """Insert the session or update the given columns; returns (before, after) for the audit row."""
    before = session_row(conn, session_id)
    if before is None:
        row = {"id": session_id, "created_at": now, "updated_at": now, **values}
        columns = ", ".join(row)
        conn.execute(f"INSERT INTO claude_sessions ({columns}) VALUES ({', '.join(':' + k for k in row)})", row)
    else:
        changes = {k: v for k, v in values.items() if before.get(k) != v}
        if changes:
            sets = ", ".join(f"{k} = :{k}" for k in changes)
            conn.execute(f"UPDATE claude_sessions SET {sets}, updated_at = :updated_at WHERE id = :id",
                         {**changes, "updated_at": now, "id": session_id})
    return before, session_row(conn, session_id)


def insert_metrics(conn: sqlite3.Connection, rows: list[dict]) -> None:
    conn.executemany("INSERT INTO metrics (project_id, name, value, unit, task_id, session_id, meta, recorded_at)"
                     " VALUES (:project_id, :name, :value, :unit, :task_id, :session_id, :meta, :recorded_at)", rows)


def touch_session(conn: sqlite3.Connection, session_id: str, now: str) -> int:
    return conn.execute("UPDATE claude_sessions SET last_activity_at = ?, updated_at = ? WHERE id = ?",
                        (now, now, session_id)).rowcount


def approve_asked_request(conn: sqlite3.Connection, tool_use_id: str, when: str) -> int | None:
    """Mark the pending `ask`-mode request of this tool call approved (it ran); its id, or None."""
    row = conn.execute("SELECT id FROM approval_requests WHERE tool_use_id = ? AND status = 'pending'"
                       " AND mode = 'ask' ORDER BY id DESC LIMIT 1", (tool_use_id,)).fetchone()
    if not row:
        return None
    conn.execute("UPDATE approval_requests SET status = 'approved', decided_by = 'prompt', decided_at = ?"
                 " WHERE id = ?", (when, row[0]))
    return row[0]
