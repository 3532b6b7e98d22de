"""What `nerv db backup` costs beside a plain copy: the backup API alone (the baseline, what `sqlite3 .backup`
does) and nerv's verified backup with quick_check (the default) and with `--full-check` (integrity_check).

Run: python tests/bench/backup_check.py --mb 200
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

ROW_BYTES = 330  # one usage row with its four index entries, measured on this schema


def seed(home: Path, megabytes: int) -> Path:
    """A nerv database of about `megabytes` MB, most of it API-call usage rows (the table that grows)."""
    os.environ["NERV_HOME"] = str(home)
    from nerv.store.clock import new_id, now_iso
    from nerv.store.db import open_store

    store = open_store()
    path = store.path
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    now = now_iso()
    conn.execute("BEGIN")
    conn.execute("INSERT INTO claude_sessions (id, status, created_at, updated_at) VALUES ('bench', 'ended', ?, ?)",
                 (now, now))
    rows = megabytes * 1_000_000 // ROW_BYTES
    batch = [("bench", new_id(), new_id(), "claude-sonnet-4-5", f"2026-11-{1 + i % 28:02d}T10:{i % 60:02d}:00.000000Z",
              "/work/project", 1200 + i % 97, 300 + i % 31, 0.0123) for i in range(rows)]
    conn.executemany("INSERT INTO usage (session_id, message_id, request_id, model, ts, cwd, input_tokens,"
                     " output_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def api_copy(path: Path, dest: Path) -> float:
    start = time.perf_counter()
    src, dst = sqlite3.connect(path), sqlite3.connect(dest)
    src.backup(dst, pages=-1)
    dst.close()
    src.close()
    return time.perf_counter() - start


def cli_copy(dest: Path, *options: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([*nerv_cmd(), "db", "backup", str(dest), *options, "--json"], capture_output=True,
                          text=True, check=False, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"nerv db backup failed: {done.stderr}")
    return elapsed, json.loads(done.stdout)["data"]["check"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        path = seed(home, args.mb)
        size = path.stat().st_size / 1e6
        baseline = api_copy(path, Path(tmp) / "baseline.db")
        sqlite_cli = time.perf_counter()
        subprocess.run(["sqlite3", str(path), f".backup {Path(tmp) / 'sqlite3.db'}"], check=True)
        sqlite_cli = time.perf_counter() - sqlite_cli
        quick, quick_check = cli_copy(Path(tmp) / "quick.db")
        full, full_check = cli_copy(Path(tmp) / "full.db", "--full-check")
    print(f"database: {size:.0f} MB")
    print_table([
        ("backup API (Python sqlite3), baseline", f"{baseline:.2f}", "1.0x"),
        ("sqlite3 .backup", f"{sqlite_cli:.2f}", f"{sqlite_cli / baseline:.1f}x"),
        (f"nerv db backup ({quick_check})", f"{quick:.2f}", f"{quick / baseline:.1f}x"),
        (f"nerv db backup --full-check ({full_check})", f"{full:.2f}", f"{full / baseline:.1f}x"),
    ], ("copy", "seconds", "vs baseline"))


if __name__ == "__main__":
    main()
