"""Mixed concurrent load at a larger setting (claims, updates, rule matches, metric writes).

Run: python tests/bench/concurrency.py --workers 16 --seconds 60 --tasks 2000
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
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--tasks", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["NERV_HOME"] = str(home)
        from tests.reliability.test_concurrency import run_mixed_load

        start = time.perf_counter()
        result = run_mixed_load(home, args.workers, args.seconds, args.tasks)
        elapsed = time.perf_counter() - start
    ops = result["mutations"] + result["matches"]
    print(f"concurrency: {args.workers} processes x {args.seconds:.0f} s ({elapsed:.0f} s with setup)")
    print(f"  mutations {result['mutations']} (audit rows added {result['audit_rows_added']}), claims {result['claims']},"
          f" rule matches {result['matches']}, {ops / args.seconds:.0f} operations/s")
    print(f"  errors {len(result['errors'])}, double claims {len(result['double_claims'])}, chain ok {result['chain_ok']}")


if __name__ == "__main__":
    main()
