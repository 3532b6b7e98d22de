"""Backups under load at a larger setting: N verified backups while 8 writers change tasks.

Run: python tests/bench/backup_load.py --backups 50 --writers 8
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backups", type=int, default=50)
    parser.add_argument("--writers", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["NERV_HOME"] = str(home)
        from tests.reliability.test_backup_under_load import backups_under_load

        start = time.perf_counter()
        results = backups_under_load(home, args.writers, args.backups)
        elapsed = time.perf_counter() - start
    bad = [r for r in results if r["problems"]]
    print(f"backup under load: {len(results)} backups with {args.writers} writers in {elapsed:.1f} s; "
          f"tasks in copies {results[0]['tasks']} -> {results[-1]['tasks']}; copies breaking the invariant: {len(bad)}")


if __name__ == "__main__":
    main()
