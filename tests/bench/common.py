"""Helpers shared by the benchmark scripts (not collected by pytest)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


def nerv_cmd() -> list[str]:
    script = Path(sys.executable).parent / "nerv"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nerv"]


def median_wall(cmd: list[str], runs: int = 21, env: dict | None = None, stdin: str | None = None,
                warmup: int = 2, check: bool = False) -> float:
    """Median whole-process wall time in milliseconds; with `check`, a failing run stops the benchmark."""
    full_env = {**os.environ, **(env or {})}
    times = []
    for index in range(warmup + runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, env=full_env, input=stdin, capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            raise SystemExit(f"{cmd[1:]} failed: {done.stderr}")
        if index >= warmup:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def floor_ms(runs: int = 21) -> float:
    """The baseline every command is compared to: a bare interpreter importing sqlite3."""
    return median_wall([sys.executable, "-c", "import sqlite3"], runs)


def print_table(rows: list[tuple], headers: tuple) -> None:
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))


@contextmanager
def bench_home():
    """A temporary NERV_HOME for this process and the nerv processes it starts; yields its path."""
    with tempfile.TemporaryDirectory() as home:
        os.environ["NERV_HOME"] = home
        os.environ.setdefault("NERV_ACTOR", "bench")
        yield Path(home)


def cached_bytecode(home: Path) -> dict:
    """The environment of a nerv run as installed (pip writes .pyc files): without a bytecode cache every run
    recompiles nerv's sources."""
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(home / "pycache")}
