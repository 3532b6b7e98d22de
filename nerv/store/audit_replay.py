"""`nerv audit verify --replay`: rebuild from the audit log the rows it implies and compare with the tables.

A hash chain proves the log was not altered; it says nothing about a table edited with no audit row
(a deny rule turned into allow, a pending approval request marked approved). Replay closes that gap for
the security-relevant tables whose audit rows carry whole rows on create and every changed column on
update: approval rules, approval requests, settings, budgets and tasks. Stdlib only.

Rows are folded in id order: a create (no `before`) sets the whole row, an update merges the changed
columns, a delete (no `after`) removes it. Changes the database makes by itself in the same
transaction are folded too: deleting a project cascades to its rows (and clears the current-project
setting that named it, and leaves its approval requests without a project), deleting a task unparents
its subtasks and unlinks its approval requests, deleting a rule unlinks the requests it decided, and
`nerv prune` deletes the decided requests created before its recorded cutoff. Only columns the log
recorded are compared; a request's tool input only as far as its audit rows keep it (the first
AUDITED_INPUT characters). A `merge` import changes rows without per-row audit rows; replay cannot follow it and says so.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Callable

from nerv.store.lookups import CURRENT_PROJECT_KEY
from nerv.store.queries_checkpoints import table_exists

MAX_LISTED = 20


@dataclass(frozen=True)
class Replayed:
    table: str
    entities: tuple[str, ...]  # audit `entity` values about this table
    key: Callable[[dict], str]  # a row (replayed or read) -> its identity
    decode: Callable[[dict], dict] = lambda row: row  # a table row -> what the audit rows recorded


AUDITED_INPUT = 2000  # characters of a request's tool input that its audit row keeps (nerv.hook.requests)


def _request_as_audited(row: dict) -> dict:
    return {**row, "tool_input": (row.get("tool_input") or "")[:AUDITED_INPUT]}


def _setting_key(row: dict) -> str:
    return f"{row.get('project_id') or ''}/{row['key']}"


def _setting_as_audited(row: dict) -> dict:
    return {**row, "value": json.loads(row["value"])}


TABLES = (
    Replayed("approval_rules", ("rule",), lambda r: str(r["id"])),
    Replayed("approval_requests", ("approval_request",), lambda r: str(r["id"]), _request_as_audited),
    Replayed("settings", ("setting", "settings"), _setting_key, _setting_as_audited),
    Replayed("budgets", ("budget",), lambda r: str(r["id"])),
    Replayed("tasks", ("task", "tasks"), lambda r: str(r["id"])),
)
# Columns a table assigns itself that the audit rows of that entity never carry.
UNRECORDED = {"settings": {"id", "updated_at"}}


def replay(conn: sqlite3.Connection) -> dict:
    """{ok, rows_replayed, tables, first_difference, differences, caveats}: the implied state vs the tables."""
    state: dict[str, dict[str, dict]] = {t.table: {} for t in TABLES}
    by_entity = {e: t for t in TABLES for e in t.entities}
    caveats, replayed = [], 0
    cur = conn.execute("SELECT id, ts, action, entity, entity_id, project_id, before, after FROM audit_log ORDER BY id")
    for audit_id, ts, action, entity, entity_id, project_id, before, after in cur:
        before = json.loads(before) if before else None
        after = json.loads(after) if after else None
        if action == "project.rm":
            _drop_project(state, entity_id)
        elif action == "prune":
            _prune_requests(state["approval_requests"], (after or {}).get("cutoffs", {}).get("approvals"))
        elif action == "import" and (after or {}).get("mode") == "merge":
            caveats.append(f"audit row {audit_id}: a merge import changed rows without per-row audit rows; "
                           "differences may be the import's")
        table = by_entity.get(entity)
        if table is None:
            continue
        replayed += 1
        if entity == "settings" and after and isinstance(after.get("value"), str):  # a checkpoint's raw row
            after = {**after, "value": json.loads(after["value"])}
        if entity == "approval_request" and after and "tool_input" in after:
            after = {**after, "tool_input": (after["tool_input"] or "")[:AUDITED_INPUT]}
        _fold(state[table.table], table, audit_id, entity_id, project_id, before, after)
        if entity == "approval_request" and before is None and after is not None:
            state["approval_requests"][str(entity_id)]["_created"] = ts
        elif after is None and table.table in _REQUEST_LINKS:
            _unlink(state["approval_requests"], _REQUEST_LINKS[table.table], entity_id)
    differences = []
    for table in TABLES:
        if table_exists(conn, table.table):
            differences += _compare(conn, table, state[table.table])
    return {"ok": not differences, "rows_replayed": replayed, "tables": [t.table for t in TABLES],
            "first_difference": differences[0] if differences else None, "differences": len(differences),
            "listed": differences[:MAX_LISTED], "caveats": caveats}


def _fold(rows: dict, table: Replayed, audit_id: int, entity_id, project_id, before, after) -> None:
    if table.table == "settings":
        entity_id = f"{project_id or ''}/{entity_id}"
    if after is None:
        if table.table == "tasks" and entity_id in rows:
            for row in rows.values():  # tasks.parent_id is ON DELETE SET NULL
                if row.get("parent_id") == entity_id:
                    row["parent_id"] = None
        rows.pop(entity_id, None)
        return
    if before is None:
        rows[entity_id] = {}
    current = rows.setdefault(entity_id, {})
    current.update(after)
    if table.table == "settings":
        current.update({"key": entity_id.split("/", 1)[1], "project_id": project_id})
    current["_audit_id"] = audit_id


# A request's links that its parent's deletion sets to NULL (ON DELETE SET NULL), by the parent's table.
_REQUEST_LINKS = {"tasks": "task_id", "approval_rules": "rule_id"}


def _unlink(requests: dict, column: str, parent_id) -> None:
    for row in requests.values():
        if column in row and row[column] == parent_id:
            row[column] = None


def _prune_requests(requests: dict, cutoff: str | None) -> None:
    """`nerv prune` deletes decided requests created before its cutoff (queries_retention's approvals target);
    a request's creation time is its create audit row's, written in the same transaction."""
    if not cutoff:
        return
    for key in [k for k, r in requests.items() if r.get("status") != "pending" and r.get("_created", "") < cutoff]:
        del requests[key]


def _drop_project(state: dict, project_id) -> None:
    _unlink(state["approval_requests"], "project_id", project_id)
    for table, rows in state.items():
        for key in [k for k, r in rows.items() if r.get("project_id") == project_id]:
            del rows[key]
    current = state["settings"].get(f"/{CURRENT_PROJECT_KEY}")
    if current is not None and current.get("value") == project_id:
        del state["settings"][f"/{CURRENT_PROJECT_KEY}"]


def _compare(conn: sqlite3.Connection, table: Replayed, expected: dict) -> list[dict]:
    cur = conn.execute(f'SELECT * FROM "{table.table}"')
    columns = [d[0] for d in cur.description]
    actual = {}
    for values in cur:
        row = table.decode(dict(zip(columns, values)))
        actual[table.key(row)] = row
    skip = UNRECORDED.get(table.table, set())
    found = []
    for key in sorted(expected.keys() | actual.keys(), key=_sort_key):
        want, have = expected.get(key), actual.get(key)
        if have is None:
            found.append(_difference(table.table, key, None, "the audit log says it exists", "no such row",
                                     want["_audit_id"]))
        elif want is None:
            found.append(_difference(table.table, key, None, "no such row", "a row the log does not account for",
                                     None))
        else:
            for column in columns:
                if column in want and column not in skip and want[column] != have[column]:
                    found.append(_difference(table.table, key, column, want[column], have[column],
                                             want["_audit_id"]))
                    break
    return found


def _sort_key(key: str):
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


def _difference(table: str, key: str, column, expected, actual, audit_id) -> dict:
    return {"table": table, "id": key, "column": column, "expected": expected, "actual": actual,
            "last_audit_row": audit_id}
