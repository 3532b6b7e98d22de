"""Hand-tuned SQL for the hook path: candidate rules, approval requests, subagents, tool metrics. Stdlib only.

The PreToolUse lookup is the hottest query nerv runs (every tool call of every agent). Deny and ask rules are
all read, never filtered by derived columns, so no row the hook fails to understand can hide a deny. Allow
rules are narrowed in SQL (Bash ones by their literal prefix): a wrong derived column can only make an allow
rule miss. Which rules to read, and what a row means, is nerv.rules.candidates: this module only runs SQL.
"""

from __future__ import annotations

import sqlite3

from nerv import fastjson
from nerv.store import dialect

_RULE_COLUMNS = "id, rule, action, project_id, source"
_SCOPE = "(project_id IS NULL OR project_id = :project)"
_RANKS = {"deny": 0, "ask": 1, "allow": 2}


def _by_action(row) -> tuple:
    return _RANKS.get(row[2], 3), row[0]


_DENY_ASK_SELECT = f"SELECT {_RULE_COLUMNS} FROM approval_rules WHERE action IN ('deny', 'ask') AND {_SCOPE}"


def deny_ask_rows(conn: sqlite3.Connection, project_id: str | None) -> list[tuple]:
    """candidate_rows' deny and ask rows alone (every one in scope), deny first, then ask, each by id."""
    rows = conn.execute(_DENY_ASK_SELECT + " ORDER BY id", {"project": project_id}).fetchall()
    rows.sort(key=_by_action)
    return rows


def candidate_rows(conn: sqlite3.Connection, project_id: str | None, allow_tools: list[str], *,
                   mcp_server: str | None, bash: bool, file_rules: bool, bash_prefixes,
                   deny_ask: bool = True) -> list[tuple]:
    """(id, rule, action, project_id, source) of every deny and ask rule in scope (global and the project's) and
    of the allow rules the arguments select, deny first, then ask, then allow, each by id (`deny_ask=False`:
    the allow rows alone).

    Which rules can decide a call is nerv.rules.candidates' to say: `allow_tools` are the rule tools whose allow
    rules count; `mcp_server` ('mcp__name__') adds allow rules whose tool is a glob under it; `bash` reads Bash
    allow rules by literal prefix instead (`bash_prefixes`: the prefixes to probe, [] for only rules without one,
    None for all of them) and file allow rules only with `file_rules`.
    """
    params: dict = {"project": project_id}
    params.update({f"t{i}": name for i, name in enumerate(allow_tools)})
    marks = ", ".join(f":t{i}" for i in range(len(allow_tools)))
    # A range on the tool name keeps the lookup of an MCP server's glob rules on the index.
    globs = ""
    if mcp_server:
        params["glob_low"] = mcp_server
        params["glob_high"] = mcp_server[:-1] + "`"
        globs = " OR (tool >= :glob_low AND tool < :glob_high AND tool LIKE '%*%')"
    selects = [_DENY_ASK_SELECT] if deny_ask else []
    selects.append(f"SELECT {_RULE_COLUMNS} FROM approval_rules WHERE action = 'allow' AND {_SCOPE}"
                   f" AND (tool IN ({marks}){globs})")
    if bash:
        selects[-1] += " AND tool <> 'Bash'"
        if not file_rules:
            selects[-1] += " AND tool NOT IN ('Read', 'Edit')"
        selects.append(_bash_allow_select(conn, bash_prefixes, params))
    # One query per select, each in id order (rowid scans and index probes need no sort); a stable sort by
    # action then gives deny, ask, allow, each by id, without SQLite building a temporary b-tree.
    rows = [row for select in selects for row in conn.execute(select + " ORDER BY id", params)]
    rows.sort(key=_by_action)
    return rows


def _bash_allow_select(conn: sqlite3.Connection, prefixes, params: dict) -> str:
    """Bash allow rules whose literal prefix is one of `prefixes` (and bare `Bash` rules): index probes of
    ix_rules_tool_prefix instead of a scan of 1,000 rules."""
    base = f"SELECT {_RULE_COLUMNS} FROM approval_rules WHERE action = 'allow' AND tool = 'Bash' AND {_SCOPE}"
    if prefixes is None:
        return base
    if not prefixes:
        return base + " AND literal_prefix IS NULL"
    params["prefixes"] = fastjson.dumps(sorted(prefixes))
    return base + f" AND (literal_prefix IS NULL OR literal_prefix IN ({dialect.json_values(conn, ':prefixes')}))"


def longest_bash_allow_prefix(conn: sqlite3.Connection) -> int:
    """The length of the longest literal prefix of a Bash allow rule (0 without any): a scan of the Bash rules."""
    return conn.execute("SELECT max(length(literal_prefix)) FROM approval_rules WHERE tool = 'Bash'"
                        " AND action = 'allow'").fetchone()[0] or 0


def insert_request(conn: sqlite3.Connection, row: dict) -> int:
    columns = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    return conn.execute(f"INSERT INTO approval_requests ({columns}) VALUES ({marks}) RETURNING id", row).fetchone()[0]


def request_state(conn: sqlite3.Connection, request_id: int) -> tuple[str, str | None] | None:
    row = conn.execute("SELECT status, reason FROM approval_requests WHERE id = ?", (request_id,)).fetchone()
    return (row[0], row[1]) if row else None


def end_state(conn: sqlite3.Connection, request_id: int) -> tuple[str, str | None] | None:
    """(status, reason) of a request that is no longer pending (a deleted one counts as expired); None while pending."""
    status, reason = request_state(conn, request_id) or ("expired", "the request disappeared")
    return None if status == "pending" else (status, reason)


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
    call_id = dialect.json_field(conn, "meta", "tool_use_id")
    rows = conn.execute(f"SELECT {call_id} FROM metrics WHERE session_id = ? AND name IN ('tool.calls', 'tool.denied')"
                        f" AND {call_id} IN ({dialect.json_values(conn, '?')})",
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
