"""Crash test at a larger setting: writers SIGKILLed at random moments, N rounds.

Run: python tests/bench/crash.py --rounds 50 --writers 8
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.reliability.test_crash import run_rounds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--writers", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        results = run_rounds(Path(tmp) / "home", args.rounds, args.writers, seed=int(start))
        elapsed = time.perf_counter() - start
    print(f"crash: {args.rounds} rounds x {args.writers} writers in {elapsed:.1f} s; "
          f"{results[-1]['acked']} acknowledged writes, all present; {results[-1]['rows']} audit rows, chain ok; "
          f"integrity_check ok after every round")


if __name__ == "__main__":
    main()
