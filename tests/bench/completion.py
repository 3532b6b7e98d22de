"""Shell completion: what one Tab press costs, as a whole `nerv` process, on the 10,000-task ledger of ready.py.

Prints the median wall time and the median CPU time (user + system, which a loaded machine disturbs less) of
bash completion requests, beside baselines from the same run: the interpreter floor
(`python -c "import sqlite3"`), `python -c "import typer"` (the floor of any Click completion, since the
protocol runs the program), and `nerv <TAB>` answered the way it was before the command table answered the
first word: by building the whole command tree (the table lookup patched out, in a child process).

Run: python tests/bench/completion.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table  # noqa: E402
from ready import build  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
REQUESTS = [  # (what, the command line up to the cursor)
    ("nerv task show <TAB> (10k tasks)", "nerv task show "),
    ("nerv task show --project bench 12<TAB>", "nerv task show --project bench 12"),
    ("nerv cost --by <TAB>", "nerv cost --by "),
    ("nerv settings get <TAB>", "nerv settings get "),
    ("nerv ta<TAB>", "nerv ta"),
    ("nerv <TAB> (the command table)", "nerv "),
]
# The request path before the first word was answered from nerv.cli.app.SUMMARIES: the whole tree is built.
WHOLE_TREE = ("import sys; from nerv.cli import _complete, app; _complete.first_word = lambda summaries: None; "
              "_complete.top_commands = lambda shell, commands: None; sys.exit(app.main([]))")


def timed(cmd: list[str], env: dict, runs: int, warmup: int = 2) -> tuple[float, float, str]:
    """Median wall and CPU milliseconds of `cmd` as a child process, and its last output."""
    walls, cpus, output = [], [], ""
    for index in range(warmup + runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        wall = (time.perf_counter() - start) * 1000
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if index >= warmup:
            walls.append(wall)
            cpus.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
        output = done.stdout
    return statistics.median(walls), statistics.median(cpus), output


def completion_env(home: str, line: str) -> dict:
    words = line.split(" ")
    return {**os.environ, "NERV_HOME": home, "PYTHONPATH": str(REPO), "_NERV_COMPLETE": "complete_bash",
            "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1), "NERV_PROJECT": "bench"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    nerv = [sys.executable, "-m", "nerv"]
    with tempfile.TemporaryDirectory() as home:
        build(Path(home) / "state.db")
        plain = {**os.environ, "PYTHONPATH": str(REPO)}
        rows = []
        for label, cmd in (("python -c 'import sqlite3' (floor)", [sys.executable, "-c", "import sqlite3"]),
                           ("python -c 'import typer'", [sys.executable, "-c", "import typer"])):
            wall, cpu, _ = timed(cmd, plain, args.runs)
            rows.append((label, f"{wall:.1f}", f"{cpu:.1f}", ""))
        whole_tree = [sys.executable, "-c", WHOLE_TREE]
        for label, cmd, line in [*((label, nerv, line) for label, line in REQUESTS),
                                 ("nerv <TAB> building the whole tree (before)", whole_tree, "nerv ")]:
            wall, cpu, output = timed(cmd, completion_env(home, line), args.runs)
            rows.append((label, f"{wall:.1f}", f"{cpu:.1f}", str(len(output.split()))))
    print(f"shell completion, median of {args.runs} runs (ms), python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print_table(rows, ("request", "wall ms", "cpu ms", "values"))


if __name__ == "__main__":
    main()
