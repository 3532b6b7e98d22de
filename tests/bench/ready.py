"""Ready query and claims at scale: 10,000 tasks, 20,000 dependencies.

Prints, side by side: the in-process ready query (all ready tasks, and the first one as `next`/`claim`
use it), the whole-process `nerv task ready --json` against the `python -c "import sqlite3"` floor,
and claim throughput with 1 process vs 16 processes on the same database file.

Run: python tests/bench/ready.py [--runs 21] [--claims 320]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_home, cached_bytecode, floor_ms, median_wall, nerv_cmd, print_table  # noqa: E402

TASKS, DEPS = 10_000, 20_000


def build(db_path: Path) -> str:
    """A project with TASKS tasks (40% done, 10% in progress, 50% todo) and DEPS acyclic `blocks` edges."""
    from nerv.services import projects
    from nerv.store.clock import new_id, now_iso
    from nerv.store.db import open_store
    from nerv.store.orm import bind

    store = bind(open_store(db_path))
    project = projects.add_project(store, "bench")
    rng = random.Random(7)
    now = now_iso()
    ids = [new_id() for _ in range(TASKS)]
    statuses = rng.choices(["done", "in_progress", "todo"], weights=[4, 1, 5], k=TASKS)
    tasks = [(ids[i], project["id"], i + 1, f"task {i + 1}", statuses[i], rng.randint(0, 4),
              f"2026-01-01T00:00:{i // 1000:02d}.{i % 1000:06d}Z", now) for i in range(TASKS)]
    edges: set[tuple[str, str]] = set()
    while len(edges) < DEPS:
        later = rng.randrange(1, TASKS)
        edges.add((ids[later], ids[rng.randrange(0, later)]))  # only on older tasks: no cycle

    def body(tx):
        tx.conn.executemany("INSERT INTO tasks (id, project_id, number, title, status, priority, created_at, "
                            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", tasks)
        tx.conn.executemany("INSERT INTO task_deps (task_id, depends_on_id, type, created_at) "
                            "VALUES (?, ?, 'blocks', ?)", [(a, b, now) for a, b in edges])
        tx.audit("bench.seed", "project", project["id"], project_id=project["id"],
                 after={"tasks": TASKS, "deps": DEPS})

    store.write(body)
    store._conn.execute("ANALYZE")
    store.close()
    return project["id"]


def in_process_ms(db_path: Path, project_id: str, runs: int) -> tuple[list[float], list[float], int]:
    from nerv.store import queries_tasks
    from nerv.store.clock import now_iso
    from nerv.store.db import open_store

    store = open_store(db_path)
    all_times, first_times, count = [], [], 0
    for _ in range(runs + 2):
        start = time.perf_counter()
        count = len(queries_tasks.ready_tasks(store._conn, project_id, now_iso()))
        all_times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        queries_tasks.ready_tasks(store._conn, project_id, now_iso(), 1)
        first_times.append((time.perf_counter() - start) * 1000)
    store.close()
    return all_times[2:], first_times[2:], count


def _claimer(db_path: str | None, project_id: str, agent: str, count: int, barrier, results) -> None:
    from nerv.errors import NervError
    from nerv.services import claims
    from nerv.store.db import open_store
    from nerv.store.orm import bind

    try:
        store = bind(open_store(db_path))
    except Exception:
        barrier.abort()  # the parent must not wait forever for a worker that cannot start
        raise
    barrier.wait()
    done = 0
    try:
        for _ in range(count):
            try:
                claims.claim(store, agent=agent, lease="30m", project=project_id)
                done += 1
            except NervError:
                break
    finally:
        results.put((agent, done, time.perf_counter()))
        store.close()


def claims_per_second(db_path: Path | None, project_id: str, processes: int, total: int) -> tuple[float, int]:
    """Claims per second once every process has opened the store (start-up excluded); `db_path` None: the
    default store (the team's server when NERV_DATABASE_URL is set)."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes + 1), ctx.Queue()
    share = total // processes
    workers = [ctx.Process(target=_claimer, args=(str(db_path) if db_path else None, project_id, f"bench-{i}", share, barrier, results))
               for i in range(processes)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    finished = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join()
    claimed = sum(done for _, done, _ in finished)
    elapsed = max(end for _, _, end in finished) - start
    return claimed / elapsed, claimed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--claims", type=int, default=320, help="claims per throughput run (split over processes)")
    args = parser.parse_args()
    with bench_home() as home:
        db_path = home / "state.db"
        started = time.perf_counter()
        project_id = build(db_path)
        print(f"built {TASKS:,} tasks and {DEPS:,} dependencies in {time.perf_counter() - started:.1f} s")
        all_ms, first_ms, ready_count = in_process_ms(db_path, project_id, args.runs)
        floor = floor_ms(args.runs)
        cached = cached_bytecode(home)
        whole = median_wall(nerv_cmd() + ["task", "ready", "--json", "--project", "bench"], args.runs, env=cached)
        # The same start-up without the ready query: separates nerv's CLI start-up from this feature's cost.
        status = median_wall(nerv_cmd() + ["project", "show", "bench", "--json"], args.runs, env=cached)

        def row(label, times, target=""):
            return (label, f"{statistics.median(times):.2f}", f"{min(times):.2f}",
                    f"{statistics.median(times) / floor:.2f}x", target)

        rows = [
            ("python -c 'import sqlite3' (floor)", f"{floor:.1f}", "", "1.00x", ""),
            row(f"ready query in-process, all {ready_count:,} ready", all_ms, "<= 30"),
            row("ready query in-process, first one (next/claim)", first_ms),
            ("nerv task ready --json (whole process)", f"{whole:.1f}", "", f"{whole / floor:.2f}x", "<= 150"),
            ("nerv project show bench --json (same start-up)", f"{status:.1f}", "", f"{status / floor:.2f}x", ""),
        ]
        print(f"\nready, median of {args.runs} runs (ms), python {sys.version.split()[0]}")
        print_table(rows, ("measure", "median ms", "min ms", "vs floor", "target"))
        throughput = []
        for processes in (1, 16):
            copy = home / f"claims-{processes}.db"
            shutil.copy(db_path, copy)
            rate, claimed = claims_per_second(copy, project_id, processes, args.claims)
            throughput.append((f"{processes} process{'es' if processes > 1 else ''}", f"{claimed}", f"{rate:.0f}"))
        print("\nclaim throughput (each claim: expire leases, ready query, update, audit row, commit)")
        print_table(throughput, ("claimers", "claims", "claims/s"))


if __name__ == "__main__":
    main()
