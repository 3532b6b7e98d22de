"""Differential bench: nerv's Bash decisions against real bash on many generated commands.

Every command nerv allows under `allow Bash(safe *)` + `deny Bash(evil *)`, or under a bare `Bash` allow + the
same deny, is run by bash with a PATH of logging stubs; a run of the `evil` stub is a false allow.
The generator, sandbox and runner are tests/approvals/bash_oracle.py (the CI test runs 5,000 of them).

Run: python tests/bench/bash_differential.py [--commands 200000] [--seed N] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.approvals import bash_oracle  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--modes", default="bash,claude",
                        help="bash (`bash -c CMD`), claude (Claude Code's `eval` wrapping), or both")
    parser.add_argument("--claude-every", type=int, default=1,
                        help="Claude-Code-style run for every N-th allowed command (always for Bash(safe *) allows)")
    parser.add_argument("--hook-first", type=int, default=1000,
                        help="run the real hook subprocess on every command allowed among the first N")
    parser.add_argument("--hook-others", type=int, default=100, help="...and on this many others per rule set")
    parser.add_argument("--show", type=int, default=10, help="false allows listed per rule set")
    parser.add_argument("--shrink", type=int, default=200,
                        help="shrink the first N false allows per rule set and print the distinct shapes (0: off)")
    args = parser.parse_args()
    if bash_oracle.bash_path() is None:
        print("bash is not installed")
        return 2
    start = time.perf_counter()

    def progress(line: str) -> None:
        print(f"  {line}", file=sys.stderr, flush=True)

    result, oracle_problems = bash_oracle.run_differential(
        args.seed, args.commands, workers=args.workers, modes=tuple(args.modes.split(",")),
        hook_first=args.hook_first, hook_others=args.hook_others, claude_every=args.claude_every, progress=progress,
        shrink=args.shrink)
    print(f"seed {args.seed}, {args.workers} workers, modes {args.modes}")
    print(bash_oracle.summary(result, oracle_problems, limit=args.show))
    print(f"elapsed {time.perf_counter() - start:.1f} s")
    failed = oracle_problems or any(r.false_allows or r.hook_disagreements for r in result.reports.values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
