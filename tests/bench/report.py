"""`nerv report --html` over a year of a busy team, beside a same-run baseline of one plain pass over `usage`.

    python tests/bench/report.py [--rows 1000000] [--runs 3] [--keep DIR]

Builds a temporary state.db through the store (so every migration applies), then fills it with straight SQL
in one transaction (executemany in batches): one project, ROWS usage rows over 365 days from 24,000 sessions
of 16 agents on 6 models (each session's calls stored together, as the importer writes them), 26 two-week cycles with 5,200 tasks moved through their statuses (with the task
audit rows that time in status reads), and 60,000 approval requests. Then it times, best of --runs:
  baseline   SELECT count(*), sum(cost_usd) FROM usage (in process, the floor of any pass over the rows)
  in process nerv.services.report.write_report (what the command does after start-up)
  process    `nerv report --html -o FILE --now ...` as a child process
and prints the page's size. Targets (issue 16): <= 2 s and <= 1 MB. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import nerv_cmd, print_table  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOW = "2027-01-01T00:00:00.000000Z"
DAYS = 365
MODELS = ("claude-opus-4-5-20251101", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001",
          "claude-sonnet-4-20250514", "claude-opus-4-1-20250805", "claude-3-5-haiku-20241022")
AGENTS = tuple(f"agent-{i:02d}" for i in range(16))
SESSIONS = 24_000
CYCLES = 26
TASKS_PER_CYCLE = 200
APPROVALS = 60_000
BATCH = 50_000
PROJECT = "f" * 32


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build(db: Path, rows: int, rng: random.Random) -> None:
    from nerv.store.db import open_store

    open_store(db).close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    ts = iso(START)
    conn.execute("INSERT INTO projects (id, name, created_at, updated_at) VALUES (?, 'busy', ?, ?)", (PROJECT, ts, ts))
    sessions = _sessions(conn, rng)
    _usage(conn, rows, sessions, rng)
    _work(conn, rng)
    _approvals(conn, sessions, rng)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def _sessions(conn, rng) -> list[tuple[str, datetime]]:
    sessions = []
    for index in range(SESSIONS):
        start = START + timedelta(seconds=rng.randrange(DAYS * 86400 - 7200))
        sessions.append((f"{index:032x}", start))
    conn.executemany(
        "INSERT INTO claude_sessions (id, project_id, agent, model, status, started_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, 'ended', ?, ?, ?)",
        [(sid, PROJECT, rng.choice(AGENTS), rng.choice(MODELS), iso(start), iso(start), iso(start))
         for sid, start in sessions])
    return sessions


def _usage(conn, rows: int, sessions, rng) -> None:
    """Each session's calls in time order and together, sessions in no particular order: how the importer
    writes them (one transcript file after another)."""
    sql = ("INSERT INTO usage (session_id, project_id, message_id, request_id, model, ts, input_tokens, output_tokens,"
           " cache_read_tokens, cost_usd) VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?)")
    order = list(range(len(sessions)))
    rng.shuffle(order)
    per_session, extra = divmod(rows, len(sessions))
    batch, index = [], 0
    for place, session in enumerate(order):
        sid, start = sessions[session]
        model = MODELS[session % len(MODELS)]
        for call in range(per_session + (place < extra)):
            out = rng.randrange(50, 4000)
            batch.append((sid, PROJECT, f"msg_{index:09d}", model if call % 5 else MODELS[call % len(MODELS)],
                          iso(start + timedelta(seconds=call * 7 + rng.randrange(7))), rng.randrange(1, 400), out,
                          rng.randrange(0, 200_000), out * 1.5e-5 + rng.random() * 0.01))
            index += 1
            if len(batch) == BATCH:
                conn.executemany(sql, batch)
                batch.clear()
    conn.executemany(sql, batch)


def _work(conn, rng) -> None:
    tasks, audit, number = [], [], 0
    for cycle in range(1, CYCLES + 1):
        started = START + timedelta(days=14 * (cycle - 1))
        closed = started + timedelta(days=14)
        cycle_id = f"c{cycle:031x}"
        open_now = cycle == CYCLES
        conn.execute("INSERT INTO cycles (id, project_id, number, goal, status, started_at, closed_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", (cycle_id, PROJECT, cycle, f"cycle goal {cycle}",
                                                       "active" if open_now else "closed", iso(started),
                                                       None if open_now else iso(closed)))
        for _ in range(TASKS_PER_CYCLE):
            number += 1
            task_id = f"t{number:031x}"
            moments = sorted(started + timedelta(seconds=rng.randrange(14 * 86400)) for _ in range(4))
            path = ["todo", "in_progress", "review", "done"]
            status = path[-1] if not open_now else path[rng.randrange(4)]
            for moment, step in zip(moments, path):
                audit.append((iso(moment), "task.move", task_id, f'{{"status": "{step}"}}'))
                if step == status:
                    break
            tasks.append((task_id, PROJECT, number, cycle_id, f"task {number}", status, rng.randrange(5),
                          rng.choice(AGENTS) if status != "todo" else None, iso(moments[0]), iso(moments[-1]),
                          iso(moments[-1]) if status == "done" else None))
    conn.executemany("INSERT INTO tasks (id, project_id, number, cycle_id, title, status, priority, assignee,"
                     " created_at, updated_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tasks)
    audit.sort()
    # Hashes are placeholders: the report reads the log, it does not verify the chain.
    conn.executemany("INSERT INTO audit_log (ts, actor, action, entity, entity_id, project_id, after,"
                     " prev_hash, hash) VALUES (?, 'bench', ?, 'task', ?, ?, ?, '', ?)",
                     [(ts, action, task, PROJECT, after, f"bench-{i}") for i, (ts, action, task, after)
                      in enumerate(audit)])


def _approvals(conn, sessions, rng) -> None:
    tools = ("Bash", "Edit", "Write", "WebFetch", "Read", "mcp__github__create_pr")
    rows = []
    for _ in range(APPROVALS):
        sid, start = sessions[rng.randrange(len(sessions))]
        created = start + timedelta(seconds=rng.randrange(7200))
        status = rng.choice(("approved", "approved", "denied", "abandoned", "expired"))
        decided = iso(created + timedelta(seconds=rng.randrange(5, 900))) if status in ("approved", "denied") else None
        rows.append((PROJECT, sid, rng.choice(tools), "{}", status, "person" if decided else None, decided,
                     iso(created)))
    conn.executemany("INSERT INTO approval_requests (project_id, session_id, tool, tool_input, status, decided_by,"
                     " decided_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def best(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the database in this folder and leave it there")
    args = parser.parse_args()
    home = args.keep or Path(tempfile.mkdtemp(prefix="nerv-bench-report-"))
    home.mkdir(parents=True, exist_ok=True)
    db, page = home / "state.db", home / "report.html"
    if not db.exists():
        started = time.perf_counter()
        build(db, args.rows, random.Random(16))
        print(f"built {args.rows:,} usage rows in {time.perf_counter() - started:.1f} s: {db}")
    env = {**os.environ, "NERV_HOME": str(home), "NERV_DB": str(db)}
    os.environ.update(env)

    conn = sqlite3.connect(db)
    baseline = best(args.runs, lambda: conn.execute("SELECT count(*), sum(cost_usd) FROM usage").fetchone())
    conn.close()

    from nerv.services.report import write_report
    from nerv.store.db import open_store
    from nerv.store.orm import bind

    store = open_store(db)
    bind(store)
    in_process = best(args.runs, lambda: write_report(store, page, now=NOW, project="busy"))
    store.close()
    cmd = nerv_cmd() + ["report", "--html", "-o", str(page), "--now", NOW, "--project", "busy"]
    whole = best(args.runs, lambda: subprocess.run(cmd, env=env, check=True, capture_output=True))
    size = page.stat().st_size
    print_table([("baseline: SELECT count(*), sum(cost_usd) FROM usage", f"{baseline:.3f} s", ""),
                 ("report in process (write_report)", f"{in_process:.3f} s", f"{in_process / baseline:.1f}x"),
                 ("nerv report --html (whole process)", f"{whole:.3f} s", f"{whole / baseline:.1f}x"),
                 ("page size", f"{size / 1024:,.1f} KiB", "")],
                ("measure", "value", "vs baseline"))
    print(f"page: {page}")


if __name__ == "__main__":
    main()
