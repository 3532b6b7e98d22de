"""Indexed writes under the two search-generation schemes, same run: 0006's triggers (every indexed row
bumps search_meta) against 0009's (triggers list the item in search_pending, one bump per transaction).

    PYTHONPATH=. /work/main/.venv/bin/python tests/bench/search_generation.py [--bulk 20000] [--single 2000]

Times, on scratch files: one transaction inserting --bulk tasks (what `nerv import` does), --single
transactions of one task each (`nerv task add`), and the settle check a write transaction that touches
no indexed row pays (every hook write). Prints figures; never asserts.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from nerv.store import migrate
from nerv.store.search_generation import settle
from nerv.store.sqlite import enable_wal, open_connection

OLD_SCHEME = 9  # migrations up to 0009: 0006's triggers


def _database(folder: Path, name: str, steps: int | None):
    path = folder / f"{name}.db"
    conn = open_connection(path)
    enable_wal(conn, path)
    plan = migrate.load_plan()
    migrate.apply_pending(conn, plan[:steps] if steps else plan)
    conn.execute("INSERT INTO projects (id, name, created_at, updated_at) VALUES ('p', 'p', 'now', 'now')")
    return conn


def _insert(conn, start: int, count: int) -> None:
    conn.executemany("INSERT INTO tasks (id, project_id, number, title, description, created_at, updated_at)"
                     " VALUES (?, 'p', ?, ?, 'some words to index', 'now', 'now')",
                     [(f"t{n}", n, f"task {n}") for n in range(start, start + count)])


def _bulk(conn, count: int, new_scheme: bool) -> float:
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    _insert(conn, 1, count)
    if new_scheme:
        settle(conn)
    conn.execute("COMMIT")
    return time.perf_counter() - started


def _singles(conn, start: int, count: int, new_scheme: bool) -> float:
    started = time.perf_counter()
    for n in range(start, start + count):
        conn.execute("BEGIN IMMEDIATE")
        _insert(conn, n, 1)
        if new_scheme:
            settle(conn)
        conn.execute("COMMIT")
    return time.perf_counter() - started


def _settle_noop(conn, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        settle(conn)
    return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bulk", type=int, default=20_000)
    parser.add_argument("--single", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        rows = []
        for label, steps, new in (("0006 triggers (baseline)", OLD_SCHEME, False), ("0009 pending + settle", None, True)):
            conn = _database(folder, label.split()[0], steps)
            bulk = _bulk(conn, args.bulk, new)
            single = _singles(conn, args.bulk + 1, args.single, new)
            rows.append((label, bulk, single))
            if new:
                noop = _settle_noop(conn, 20_000)
            conn.close()
        print(f"{'scheme':28} {'bulk ' + str(args.bulk) + ' rows':>18} {str(args.single) + ' one-row txs':>18}")
        for label, bulk, single in rows:
            print(f"{label:28} {bulk * 1000:15.1f} ms {single * 1000:15.1f} ms")
        print(f"settle() with nothing pending (every other write transaction): {noop * 1e6:.1f} us")


if __name__ == "__main__":
    main()
