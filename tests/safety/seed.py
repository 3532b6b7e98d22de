"""Building realistic states for the data-safety tests: rows go in through audited store transactions."""

from __future__ import annotations

import json
from pathlib import Path

from nerv.store.clock import new_id, now_iso
from nerv.store.db import open_store


def insert(tx, table: str, row: dict) -> None:
    cols = ", ".join(row)
    tx.conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))
    key = row.get("id", row.get("task_id"))
    tx.audit(f"{table}.add", table, key, project_id=row.get("project_id"), after=row)


def seed_state(path: Path | None = None, *, projects: int = 2, tasks: int = 4, ts: str | None = None) -> dict:
    """Projects with cycles, tasks (with a parent and deps), decisions, settings, rules, metrics, sessions."""
    store = open_store(path)
    ts = ts or now_iso()
    ids: dict = {"projects": [], "tasks": []}
    try:
        def body(tx):
            for p in range(projects):
                pid = new_id()
                ids["projects"].append(pid)
                insert(tx, "projects", {"id": pid, "name": f"proj{p}", "goal": "ünïcode goal", "created_at": ts,
                                        "updated_at": ts})
                cid = new_id()
                insert(tx, "cycles", {"id": cid, "project_id": pid, "number": 1, "goal": "c1", "started_at": ts})
                previous = None
                for t in range(tasks):
                    tid = new_id()
                    ids["tasks"].append(tid)
                    insert(tx, "tasks", {"id": tid, "project_id": pid, "number": t + 1, "cycle_id": cid,
                                         "parent_id": previous if t % 2 else None, "title": f"task {t}",
                                         "priority": t % 5, "created_at": ts, "updated_at": ts})
                    if previous:
                        insert(tx, "task_deps", {"task_id": tid, "depends_on_id": previous, "created_at": ts})
                    previous = tid
                insert(tx, "decisions", {"id": new_id(), "project_id": pid, "number": 1, "title": "use sqlite",
                                         "task_id": previous, "created_at": ts, "updated_at": ts})
                insert(tx, "settings", {"project_id": pid, "key": "x.flag", "value": json.dumps(p),
                                        "updated_at": ts})
                insert(tx, "approval_rules", {"project_id": pid, "tool": "Bash", "pattern": "npm test *",
                                              "literal_prefix": "npm test", "rule": "Bash(npm test *)",
                                              "action": "allow", "created_at": ts})
                insert(tx, "metrics", {"project_id": pid, "name": "coverage", "value": 0.5 + p, "task_id": previous,
                                       "recorded_at": ts})
                insert(tx, "claude_sessions", {"id": new_id(), "project_id": pid, "task_id": previous,
                                               "cost_usd": 1.25, "created_at": ts, "updated_at": ts})
            insert(tx, "settings", {"project_id": None, "key": "x.global", "value": '"on"', "updated_at": ts})

        store.write(body)
    finally:
        store.close()
    return ids
