"""`nerv task list` for a person at scale: the ledger of ready.py (10,000 tasks, 20,000 dependencies).

Prints, side by side, whole-process medians of: the text list as a person gets it (the first 100 rows and
the "N more" line), the text list of every row (`--limit 10000`), `task list --json` (every row, no
rendering), `nerv db path` (the CLI's start-up without the store's models) and the `python -c "import
sqlite3"` floor. `--before DIR` also times the text list of another checkout (e.g. main's) in the same
run, for a before/after pair.

Run: python tests/bench/task_list.py [--runs 21] [--before /path/to/other/checkout]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_home, cached_bytecode, floor_ms, median_wall, nerv_cmd, print_table  # noqa: E402
from ready import TASKS, build  # noqa: E402

MEASURES = [
    ("nerv task list (text, first 100 + 'N more')", ["task", "list", "--project", "bench"], "<= 300"),
    ("nerv task list --limit 10000 (text, every row)", ["task", "list", "--project", "bench", "--limit", "10000"], ""),
    ("nerv task list --json (every row, baseline)", ["task", "list", "--project", "bench", "--json"], ""),
    ("nerv db path (start-up, baseline)", ["db", "path"], ""),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--before", help="a checkout whose `nerv task list` is timed too (PYTHONPATH)")
    args = parser.parse_args()
    runs = args.runs
    with bench_home() as home:
        started = time.perf_counter()
        build(home / "state.db")
        print(f"built {TASKS:,} tasks in {time.perf_counter() - started:.1f} s")
        env = {**cached_bytecode(home), "COLUMNS": "80"}
        floor = floor_ms(runs)
        rows = [("python -c 'import sqlite3' (floor)", f"{floor:.1f}", "1.00x", "")]
        for label, command, target in MEASURES:
            ms = median_wall(nerv_cmd() + command, runs, env=env, check=True)
            rows.append((label, f"{ms:.1f}", f"{ms / floor:.2f}x", target))
        if args.before:
            ms = median_wall(nerv_cmd() + MEASURES[0][1], runs, env={**env, "PYTHONPATH": args.before}, check=True)
            rows.append((f"before: {MEASURES[0][0].split(' (')[0]} of {args.before}", f"{ms:.1f}",
                         f"{ms / floor:.2f}x", ""))
    print(f"\ntask list at {TASKS:,} tasks, median of {runs} runs (ms), python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print_table(rows, ("measure", "median ms", "vs floor", "target"))


if __name__ == "__main__":
    main()
