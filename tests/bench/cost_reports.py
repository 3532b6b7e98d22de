"""Cost reports at scale: whole-process `nerv cost --by day`, `nerv cost`, `nerv cost --blocks` and
`nerv statusline` over N usage rows, beside same-run baselines; and what the usage_daily triggers cost on insert.

    PYTHONPATH=$PWD python tests/bench/cost_reports.py [--rows 1000000] [--runs 7]

Baselines: `python -c "import sqlite3"`, a bare `GROUP BY day` over usage in a python process (what a
report costs without a rollup), and `nerv hook pre-tool-use` (the statusline's target). The rows go into a
temporary database created by the store (so the triggers are the migration's), with executemany in batches
of one transaction each. Prints figures; never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from common import floor_ms, median_wall, nerv_cmd, print_table  # noqa: E402

END = datetime(2026, 11, 30, 18, 0, tzinfo=timezone.utc)
DAYS = 365
MODELS = ("claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001")
BATCH = 50_000
INSERT = ("INSERT INTO usage (session_id, project_id, message_id, request_id, model, ts, input_tokens, output_tokens,"
          " cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_usd, task_id, subagent_id)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def usage_rows(count: int, sessions: list[tuple[str, str, datetime]], tasks: list[str], seed: int = 7):
    """Sessions of ~500 calls each, a few seconds to minutes apart, spread over a year: one main model with
    a fifth of the calls on haiku, and up to three subagents, each a run of consecutive calls."""
    rng = random.Random(seed)
    per_session = max(1, count // len(sessions))
    made = 0
    for session_id, project_id, start in sessions:
        ts = start
        task = rng.choice(tasks) if rng.random() < 0.6 else None
        main_model = rng.choice(MODELS[:2])
        runs = sorted(rng.sample(range(per_session), min(per_session, 2 * rng.randint(0, 3))))
        for index in range(min(per_session, count - made)):
            ts += timedelta(seconds=rng.randint(2, 90))
            output = rng.randint(10, 3000)
            inside = sum(1 for r in runs if r <= index) % 2 == 1
            subagent = f"{session_id}-agent-{sum(1 for r in runs if r <= index) // 2}" if inside else None
            yield (session_id, project_id, f"msg-{made}", "req", MODELS[2] if rng.random() < 0.2 else main_model,
                   ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", rng.randint(1, 50), output, rng.randint(0, 5000),
                   0, rng.randint(0, 80_000), output * 15e-6 + 3e-6, task, subagent)
            made += 1


def build(path: Path, count: int) -> dict:
    from nerv.store.db import open_store

    store = open_store(path)
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    projects = [(f"p{i}", f"project-{i}") for i in range(3)]
    conn.executemany("INSERT INTO projects (id, name, created_at, updated_at) VALUES (?, ?, '2026-01-01', '2026-01-01')",
                     projects)
    conn.executemany("INSERT INTO tasks (id, project_id, number, title, created_at, updated_at)"
                     " VALUES (?, 'p0', ?, ?, '2026-01-01', '2026-01-01')",
                     [(f"t{i}", i + 1, f"task {i}") for i in range(50)])
    rng = random.Random(3)
    session_count = max(1, count // 500)
    sessions = sorted(((f"s{i}", projects[i % 3][0], END - timedelta(days=DAYS * (1 - i / session_count),
                                                                      minutes=rng.randint(0, 600)))
                       for i in range(session_count)), key=lambda s: s[2])
    conn.executemany("INSERT INTO claude_sessions (id, project_id, agent, created_at, updated_at)"
                     " VALUES (?, ?, ?, '2026-01-01', '2026-01-01')",
                     [(s, p, f"agent-{i % 4}") for i, (s, p, _start) in enumerate(sessions)])
    rows = usage_rows(count, sessions, [f"t{i}" for i in range(50)])
    started = time.perf_counter()
    while True:
        batch = [row for _, row in zip(range(BATCH), rows)]
        if not batch:
            break
        conn.execute("BEGIN")
        conn.executemany(INSERT, batch)
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    rollup_rows = conn.execute("SELECT COUNT(*) FROM usage_daily").fetchone()[0]
    conn.close()
    return {"insert_s": seconds, "rollup_rows": rollup_rows, "sessions": session_count}


def trigger_cost(path: Path, count: int) -> tuple[float, float]:
    """Seconds to insert `count` more rows with the rollup triggers, then the same rows without them."""
    conn = sqlite3.connect(path, isolation_level=None)
    rows = [(f"s0", "p0", f"extra-{i}", "req", MODELS[i % 3], f"2026-11-30T12:00:{i % 60:02d}.000Z", 5, 50, 0, 0, 100,
             1e-4, None, None) for i in range(count)]
    timings = []
    for suffix in ("with", "without"):
        if suffix == "without":
            triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                                    " AND name LIKE 'usage_daily_%'").fetchall()
        conn.execute("BEGIN")
        if suffix == "without":
            for name, _sql in triggers:
                conn.execute(f'DROP TRIGGER "{name}"')
        started = time.perf_counter()
        conn.executemany(INSERT, [(*r[:2], f"{r[2]}-{suffix}", *r[3:]) for r in rows])
        timings.append(time.perf_counter() - started)
        conn.execute("ROLLBACK")
    conn.close()
    return timings[0], timings[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nerv-bench-cost-") as tmp:
        home = Path(tmp)
        db = home / "state.db"
        built = build(db, args.rows)
        with_s, without_s = trigger_cost(db, 100_000)
        env = {"NERV_HOME": str(home)}
        nerv = nerv_cmd()
        group_by = (f"import sqlite3; sqlite3.connect({str(db)!r}).execute('SELECT substr(ts, 1, 10),"
                    " COUNT(*), SUM(cost_usd) FROM usage GROUP BY 1').fetchall()")
        statusline_input = json.dumps({"session_id": "s1", "cwd": tmp, "cost": {"total_cost_usd": 1.0}})
        hook_input = json.dumps({"session_id": "s1", "cwd": tmp, "hook_event_name": "PreToolUse", "tool_name": "Bash",
                                 "tool_input": {"command": "ls"}, "tool_use_id": "t"})
        floor = floor_ms(args.runs)
        measured = [
            ("python -c 'import sqlite3' (floor)", floor),
            ("python sqlite3: bare GROUP BY day over usage", median_wall([sys.executable, "-c", group_by], args.runs)),
            ("nerv cost --by day", median_wall(nerv + ["cost", "--by", "day"], args.runs, env=env, check=True)),
            ("nerv cost (totals)", median_wall(nerv + ["cost"], args.runs, env=env, check=True)),
            ("nerv cost --by month --since 30d", median_wall(nerv + ["cost", "--by", "month", "--since", "30d"],
                                                              args.runs, env=env, check=True)),
            ("nerv cost --blocks (7 days)", median_wall(nerv + ["cost", "--blocks", "--now", END.isoformat()],
                                                        args.runs, env=env, check=True)),
            ("nerv hook pre-tool-use", median_wall(nerv + ["hook", "pre-tool-use"], args.runs, env=env,
                                                   stdin=hook_input)),
            ("nerv statusline", median_wall(nerv + ["statusline"], args.runs, env=env, stdin=statusline_input,
                                            check=True)),
        ]
    print(f"{args.rows:,} usage rows, {built['sessions']:,} sessions over {DAYS} days -> "
          f"{built['rollup_rows']:,} usage_daily rows; inserted in {built['insert_s']:.1f} s (batches of {BATCH:,})")
    print(f"100,000 more rows in one transaction: {with_s:.2f} s with the rollup triggers, {without_s:.2f} s without "
          f"({with_s / without_s:.2f}x)")
    print_table([(name, f"{ms:.0f}", f"{ms / floor:.1f}x") for name, ms in measured],
                ("command (whole process, median)", "ms", "vs floor"))


if __name__ == "__main__":
    os.environ.setdefault("NERV_ACTOR", "bench")
    main()
