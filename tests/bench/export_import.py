"""Export and import of a large database, beside a raw stdlib baseline measured in the same run.

    python tests/bench/export_import.py [--rows 1000000] [--small 200000]

Builds a nerv database with ROWS rows spread over projects, tasks, deps, sessions, usage, metrics and a
valid audit chain, then times, each in its own process (wall time and peak RSS from wait4):
  nerv export --format jsonl   vs  sqlite3 SELECT of every table written as JSON lines
  nerv import (empty home)     vs  json.loads + executemany into an empty copy of the same schema
The same is run on a SMALL database to show memory does not grow with the row count. Each operation runs
--repeat times, alternating nerv and baseline, and the fastest run of each is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import nerv_cmd, print_table  # noqa: E402

TS = "2026-11-01T00:00:00.000000Z"
# Share of the rows per table (tasks are kept moderate: each insert also feeds the FTS search index).
SHARES = {"tasks": 0.08, "task_deps": 0.06, "claude_sessions": 0.04, "usage": 0.32, "metrics": 0.35, "audit_log": 0.15}

BASELINE_EXPORT = r"""
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
tables = sys.argv[3:]  # the tables nerv's export holds, so both write the same content
with open(sys.argv[2], "w") as out:
    for table in tables:
        out.write(json.dumps({"table": table}) + "\n")
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            out.write(json.dumps(row) + "\n")
"""

BASELINE_IMPORT = r"""
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN")
table, batch = None, []
def flush():
    if batch:
        conn.executemany(f'INSERT INTO "{table}" VALUES ({",".join("?" * len(batch[0]))})', batch)
        batch.clear()
with open(sys.argv[2]) as fh:
    for line in fh:
        value = json.loads(line)
        if isinstance(value, dict):
            flush()
            table = value["table"]
        else:
            batch.append(value)
            if len(batch) >= 5000:
                flush()
flush()
conn.execute("COMMIT")
"""


def run_measured(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed: {proc.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def build(home: Path, rows: int) -> dict[str, int]:
    from nerv.store.audit import GENESIS_HASH, row_hash
    from nerv.store.db import open_store

    store = open_store(home / "state.db")
    conn = store._conn
    counts = {t: int(rows * s) for t, s in SHARES.items()}
    counts["tasks"] = max(counts["tasks"], 10)
    conn.execute("BEGIN IMMEDIATE")
    projects = [f"{p:032x}" for p in range(10)]
    conn.executemany("INSERT INTO projects (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                     [(p, f"project {i}", TS, TS) for i, p in enumerate(projects)])
    task_ids = [f"{t + 1000:032x}" for t in range(counts["tasks"])]
    conn.executemany("INSERT INTO tasks (id, project_id, number, title, description, priority, created_at, updated_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     ((tid, projects[i % 10], i // 10 + 1, f"task {i}: do the thing", "some words " * 4, i % 5, TS, TS)
                      for i, tid in enumerate(task_ids)))
    deps = set()
    i = 0
    while len(deps) < counts["task_deps"]:
        a, b = task_ids[i % len(task_ids)], task_ids[(i * 7919 + 13) % len(task_ids)]
        if a != b:
            deps.add((a, b))
        i += 1
    conn.executemany("INSERT INTO task_deps (task_id, depends_on_id, created_at) VALUES (?, ?, ?)",
                     ((a, b, TS) for a, b in sorted(deps)))
    sessions = [f"s{s:031x}" for s in range(counts["claude_sessions"])]
    conn.executemany("INSERT INTO claude_sessions (id, project_id, model, input_tokens, cost_usd, created_at, updated_at)"
                     " VALUES (?, ?, 'claude-sonnet-4-5', ?, ?, ?, ?)",
                     ((s, projects[i % 10], i * 3, i * 0.001, TS, TS) for i, s in enumerate(sessions)))
    conn.executemany("INSERT INTO usage (session_id, project_id, message_id, request_id, model, ts, input_tokens,"
                     " output_tokens, cost_usd) VALUES (?, ?, ?, '', 'claude-sonnet-4-5', ?, ?, ?, ?)",
                     ((sessions[i % len(sessions)], projects[i % 10], f"msg_{i}", TS, i % 5000, i % 900, 0.0042)
                      for i in range(counts["usage"])))
    conn.executemany("INSERT INTO metrics (project_id, name, value, unit, recorded_at) VALUES (?, ?, ?, 'ms', ?)",
                     ((projects[i % 10], f"metric.{i % 20}", i * 0.5, TS) for i in range(counts["metrics"])))
    last = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    next_id, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)

    def audit_rows():
        nonlocal prev
        for n in range(counts["audit_log"]):
            row = {"id": next_id + n, "ts": TS, "actor": "bench", "action": "task.update", "entity": "task",
                   "entity_id": task_ids[n % len(task_ids)], "project_id": projects[n % 10],
                   "before": '{"status":"todo"}', "after": '{"status":"done"}', "prev_hash": prev}
            row["hash"] = prev = row_hash(row)
            yield row

    conn.executemany("INSERT INTO audit_log (id, ts, actor, action, entity, entity_id, project_id, before, after,"
                     " prev_hash, hash) VALUES (:id, :ts, :actor, :action, :entity, :entity_id, :project_id, :before,"
                     " :after, :prev_hash, :hash)", audit_rows())
    conn.execute("COMMIT")
    total = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in SHARES}
    store.close()
    return total


def empty_schema_copy(dest_home: Path) -> Path:
    """A freshly migrated nerv database (same tables, indexes, triggers) with no rows: the baseline's target."""
    from nerv.store.db import open_store

    store = open_store(dest_home / "state.db")
    store._conn.execute("DELETE FROM audit_log")  # the migration records; the file brings its own chain
    store.close()
    return dest_home / "state.db"


def measure(rows: int, work: Path, repeat: int) -> dict:
    home = work / f"home-{rows}"
    counts = build(home, rows)
    total = sum(counts.values())
    db = home / "state.db"
    nerv_file, base_file = work / f"nerv-{rows}.jsonl", work / f"base-{rows}.jsonl"
    env = {"NERV_HOME": str(home)}
    results = {"rows": total}
    best: dict[str, tuple[float, float]] = {}

    def keep(key: str, measured: tuple[float, float]) -> None:
        # The machine is shared: the fastest of the repeats is the least disturbed one.
        if key not in best or measured[0] < best[key][0]:
            best[key] = measured

    for attempt in range(repeat):
        nerv_file.unlink(missing_ok=True)
        keep("nerv_export", run_measured(nerv_cmd() + ["export", "--format", "jsonl", "--output", str(nerv_file)], env))
        with open(nerv_file) as fh:
            exported_tables = list(json.loads(fh.readline())["nerv_export"]["tables"])
        keep("base_export", run_measured([sys.executable, "-c", BASELINE_EXPORT, str(db), str(base_file),
                                          *exported_tables]))
        target = work / f"import-{rows}-{attempt}"
        keep("nerv_import", run_measured(nerv_cmd() + ["import", str(nerv_file)], {"NERV_HOME": str(target)}))
        base_db = empty_schema_copy(work / f"base-home-{rows}-{attempt}")
        keep("base_import", run_measured([sys.executable, "-c", BASELINE_IMPORT, str(base_db), str(base_file)]))
    results.update(best)
    check = sqlite3.connect(target / "state.db")
    imported = sum(check.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in SHARES)
    check.close()
    assert imported >= total, (imported, total)  # + the import's own audit row
    results["file_mb"] = nerv_file.stat().st_size / 2**20
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each operation; the fastest is reported")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        table = []
        for rows in (args.small, args.rows):
            r = measure(rows, work, args.repeat)
            for label, nerv_key, base_key in (("export", "nerv_export", "base_export"),
                                              ("import", "nerv_import", "base_import")):
                (nt, nm), (bt, bm) = r[nerv_key], r[base_key]
                table.append((f"{r['rows']:,}", label, f"{nt:.2f}", f"{r['rows'] / nt:,.0f}", f"{nm:.0f}",
                              f"{bt:.2f}", f"{r['rows'] / bt:,.0f}", f"{bm:.0f}", f"{bt / nt:.0%}"))
            print(f"{r['rows']:,} rows: export file {r['file_mb']:.0f} MiB", file=sys.stderr)
        print_table(table, ("rows", "op", "nerv s", "nerv rows/s", "nerv MiB", "base s", "base rows/s", "base MiB",
                            "nerv/base rate"))


if __name__ == "__main__":
    main()
