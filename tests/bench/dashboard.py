"""The dashboard's refresh cost on a 10,000-task ledger: what `nerv watch` pays every interval.

The ledger of ready.py (10,000 tasks, 20,000 dependencies) plus 8 agents holding a task each with path
leases, 50 blocked tasks, 20 pending approval requests, 50,000 usage rows this month (1% of a model
without a price) and a global daily and monthly budget. Prints the CPU milliseconds of one refresh (the snapshot on a read-only connection, and
the rendering at 80 columns) beside baselines measured in the same run: a bare `SELECT count(*) FROM
tasks`, the in-process ready query, and the whole-process `nerv task list --json` / `nerv status --json`.

Run: python tests/bench/dashboard.py [--runs 21]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_home, cached_bytecode, median_wall, nerv_cmd, print_table  # noqa: E402
from ready import build  # noqa: E402

AGENTS, BLOCKED, APPROVALS, USAGE = 8, 50, 20, 50_000


def add_activity(db_path: Path, project_id: str) -> None:
    from nerv.store.clock import now_iso
    from nerv.store.db import open_store

    store = open_store(db_path)
    now = now_iso()
    later = "2999-01-01T00:00:00.000000Z"

    def body(tx):
        conn = tx.conn
        held = [r[0] for r in conn.execute("SELECT id FROM tasks WHERE status = 'in_progress' LIMIT ?", (AGENTS,))]
        for index, task_id in enumerate(held):
            agent = f"agent-{index}"
            conn.execute("UPDATE tasks SET assignee = ?, lease_expires_at = ? WHERE id = ?", (agent, later, task_id))
            conn.execute("INSERT INTO agents (name, first_seen_at, last_seen_at, last_heartbeat_at) VALUES (?, ?, ?, ?)",
                         (agent, now, now, now))
            conn.execute("INSERT INTO agent_task_spans (agent, task_id, started_at) VALUES (?, ?, ?)",
                         (agent, task_id, now))
            conn.execute("INSERT INTO path_leases (project_id, agent, task_id, pattern, anchor, expires_at, created_at)"
                         " VALUES (?, ?, ?, ?, '/repo', ?, ?)", (project_id, agent, task_id, f"src/part{index}/**",
                                                                 later, now))
        conn.execute("UPDATE tasks SET status = 'blocked', status_reason = 'waiting for a person' WHERE id IN"
                     " (SELECT id FROM tasks WHERE status = 'todo' LIMIT ?)", (BLOCKED,))
        for index in range(APPROVALS):
            conn.execute("INSERT INTO approval_requests (project_id, tool, tool_input, status, created_at, agent)"
                         " VALUES (?, 'Bash', ?, 'pending', ?, ?)",
                         (project_id, f'{{"command": "make deploy-{index}"}}', now, f"agent-{index % AGENTS}"))
        conn.execute("INSERT INTO claude_sessions (id, project_id, agent, created_at, updated_at)"
                     " VALUES ('bench-session', ?, 'agent-0', ?, ?)", (project_id, now, now))
        month = now[:8] + "01T00:00:00.000000Z"
        conn.executemany("INSERT INTO usage (session_id, project_id, message_id, request_id, model, ts, input_tokens,"
                         " output_tokens, cost_usd, cost_known) VALUES ('bench-session', ?, ?, '', ?, ?, 100, 100, ?, ?)",
                         [(project_id, f"m{i}", "mystery" if i % 100 == 0 else "claude-sonnet-4-5",
                           month if i % 2 else now, 0.0 if i % 100 == 0 else 0.0018, 0 if i % 100 == 0 else 1)
                          for i in range(USAGE)])
        for period, limit in (("daily", 50.0), ("monthly", 1000.0)):
            conn.execute("INSERT INTO budgets (project_id, period, limit_usd, created_at, updated_at)"
                         " VALUES (NULL, ?, ?, ?, ?)", (period, limit, now, now))
        tx.audit("bench.seed", "project", project_id, project_id=project_id, after={"activity": True})

    store.write(body)
    store._conn.execute("ANALYZE")
    store.close()


def cpu_ms(fn, runs: int) -> float:
    times = []
    for index in range(runs + 2):
        start = time.process_time()
        fn()
        if index >= 2:
            times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def in_process(db_path: Path, project_id: str, runs: int) -> list[tuple]:
    from rich.console import Console

    from nerv.cli import _ctx
    from nerv.cli._dashboard import View
    from nerv.services import dashboard
    from nerv.store import queries_tasks
    from nerv.store.clock import now_iso

    store = _ctx.readonly_store()
    console = Console(file=io.StringIO(), width=80, force_terminal=True)
    data = dashboard.snapshot(store)
    rows = [
        ("SELECT count(*) FROM tasks (baseline)", cpu_ms(lambda: store._conn.execute(
            "SELECT count(*) FROM tasks").fetchone(), runs)),
        ("ready query, all ready tasks (baseline)", cpu_ms(lambda: queries_tasks.ready_tasks(
            store._conn, project_id, now_iso()), runs)),
        ("dashboard snapshot (read-only connection)", cpu_ms(lambda: dashboard.snapshot(store), runs)),
        ("render at 80 columns", cpu_ms(lambda: console.print(View(data)), runs)),
        ("one refresh: snapshot + render", cpu_ms(lambda: console.print(View(dashboard.snapshot(store))), runs)),
    ]
    _ctx.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with bench_home() as home:
        db_path = home / "state.db"
        project_id = build(db_path)
        add_activity(db_path, project_id)
        rows = [(name, f"{ms:.2f}") for name, ms in in_process(db_path, project_id, args.runs)]
        print_table(rows, ("in-process CPU", "median ms"))
        print()
        cached = cached_bytecode(home)
        walls = [(" ".join(["nerv", *cmd]), f"{median_wall(nerv_cmd() + cmd, args.runs, env=cached, check=True):.1f}")
                 for cmd in (["task", "list", "--json", "--project", "bench"], ["status", "--json"], ["status"])]
        print_table(walls, ("whole process", "median wall ms"))


if __name__ == "__main__":
    main()
