"""Startup budget: whole-process medians of common commands beside the `import sqlite3` floor.

Run: python tests/bench/startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import floor_ms, median_wall, nerv_cmd, print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {"NERV_HOME": home}
        subprocess.run(nerv_cmd() + ["db", "migrate"], env={**os.environ, **env}, check=True, capture_output=True)
        floor = floor_ms(args.runs)
        rows = [("python -c 'import sqlite3'", f"{floor:.1f}", "1.00x", "")]
        for label, argv, target in [
            ("nerv --version", ["--version"], ""),
            ("nerv db status --json", ["db", "status", "--json"], "<= 8x"),
            ("nerv status --json", ["status", "--json"], "<= 8x"),
            ("nerv status", ["status"], ""),
        ]:
            ms = median_wall(nerv_cmd() + argv, args.runs, env=env)
            rows.append((label, f"{ms:.1f}", f"{ms / floor:.2f}x", target))
    print(f"startup, median of {args.runs} runs (ms), python {sys.version.split()[0]}")
    print_table(rows, ("command", "median ms", "vs floor", "target"))


if __name__ == "__main__":
    main()
