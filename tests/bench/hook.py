"""Hook budget: whole-process median of `nerv hook pre-tool-use` with 1,000 rules, beside `import sqlite3`.

Run: python tests/bench/hook.py [--runs 21] [--rules 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from common import nerv_cmd, print_table  # noqa: E402

WORDS = ["npm", "git", "make", "cargo", "go", "pytest", "docker", "kubectl", "terraform", "yarn", "pnpm", "uv",
         "pip", "ruff", "mypy", "node", "deno", "bun", "java", "mvn"]


def rule_texts(count: int) -> list[tuple[str, str]]:
    """A realistic mix: mostly Bash prefixes, some file, domain and MCP rules, all three actions."""
    rules = [("Bash(rm *)", "deny"), ("Bash(git push *)", "ask"), ("Bash(npm test *)", "allow")]
    index = 0
    while len(rules) < count:
        word = WORDS[index % len(WORDS)]
        kind = index % 10
        if kind < 7:
            rules.append((f"Bash({word} sub{index} *)", "allow"))
        elif kind == 7:
            rules.append((f"Edit(./src/mod{index}/**)", "allow"))
        elif kind == 8:
            rules.append((f"WebFetch(domain:site{index}.example.com)", "allow"))
        else:
            rules.append((f"Bash({word} danger{index} *)", "deny"))
        index += 1
    return rules[:count]


def build_database(path: Path | None, count: int) -> None:
    """`count` rules in the database at `path` (None: the default one, the team's server when NERV_DATABASE_URL is set)."""
    from nerv.rules import parse_rule
    from nerv.store.db import open_store

    store = open_store(path)
    rows = []
    for text, action in rule_texts(count):
        rule = parse_rule(text)
        rows.append((rule.tool, rule.specifier, rule.text, action, rule.literal_prefix))

    def body(tx):
        tx.conn.executemany("INSERT INTO approval_rules (tool, pattern, rule, action, literal_prefix, source, created_at)"
                            " VALUES (?, ?, ?, ?, ?, 'bench', '2026-01-01T00:00:00.000000Z')", rows)
        tx.audit("bench.rules", "rule", None, after={"count": len(rows)})

    store.write(body)
    store.close()


MB = 1_000_000


def heredoc_command(size: int) -> str:
    line = "it's a line with \"quotes\" and $(no) substitution\n"
    return "npm test -q <<'EOF'\n" + line * (size // len(line)) + "EOF\n"


def many_parts_command(size: int, parts: int) -> str:
    word = "x" * max(1, size // parts - len("npm test  && "))
    return " && ".join(f"npm test {word}" for _ in range(parts))


def call(command: str) -> str:
    return json.dumps({"session_id": "bench", "cwd": "/tmp", "hook_event_name": "PreToolUse", "tool_name": "Bash",
                       "tool_input": {"command": command}, "tool_use_id": "t"})


def interleaved_medians(commands: list[tuple[list[str], str | None]], runs: int, env: dict, warmup: int = 3):
    """Whole-process median ms of each command, run round-robin so every command sees the same load."""
    full_env = {**os.environ, **env}
    times: list[list[float]] = [[] for _ in commands]
    for round_index in range(warmup + runs):
        for index, (argv, stdin) in enumerate(commands):
            start = time.perf_counter()
            subprocess.run(argv, env=full_env, input=stdin, capture_output=True, text=True, check=False)
            if round_index >= warmup:
                times[index].append((time.perf_counter() - start) * 1000)
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--rules", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        db = Path(home) / "state.db"
        build_database(db, args.rules)
        # Bytecode caches as an installed wheel has them (this sandbox sets PYTHONDONTWRITEBYTECODE);
        # the floor runs with the same environment.
        env = {"NERV_HOME": home, "NERV_DB": str(db), "PYTHONDONTWRITEBYTECODE": "",
               "PYTHONPYCACHEPREFIX": str(Path(home) / "pycache")}
        # "core": the same hook with the extension lists (budget guard...) emptied, to separate what the
        # rules path costs from what plugged-in guards cost.
        core = [sys.executable, "-c", "import nerv.hook.extensions as e; e.PRE_TOOL_GUARDS[:] = []; "
                                      "from nerv.__main__ import main; raise SystemExit(main(['hook', 'pre-tool-use']))"]
        from nerv.services.hook_install import nerv_argv

        installed = nerv_argv()  # what `nerv hook install` writes
        cases = [
            ("python -c 'import sqlite3'", [sys.executable, "-c", "import sqlite3"], None, ""),
            ("nerv hook pre-tool-use, allow rule hits (as installed)", installed + ["hook", "pre-tool-use"],
             call("npm test -q"), "<= 2.0x"),
            ("  the same through the `nerv` console script", nerv_cmd() + ["hook", "pre-tool-use"],
             call("npm test -q"), ""),
            ("  core only (no guards), allow rule hits", core, call("npm test -q"), "<= 2.0x"),
            ("  core only, compound command, deny hits", core, call("npm test && rm -rf ~"), "<= 2.0x"),
            ("  core only, no rule (no opinion: hook.mode observe)", core, call("ls -la"), ""),
            # The hook reads a command in linear time and answers `ask` past its documented sizes.
            ("  core only, 1 MB command: one long quoted argument", core, call(f"echo '{'x' * MB}'"), "< 1 s"),
            ("  core only, 1 MB command: a here-document body", core, call(heredoc_command(MB)), "< 1 s"),
            ("  core only, 1 MB command: 9,000 simple commands", core, call(many_parts_command(MB, 9000)), "< 1 s"),
            ("  core only, 1 MB command: 80,000 simple commands", core, call("npm test -q; " * (MB // 12)), "< 1 s"),
        ]
        medians = interleaved_medians([(argv, stdin) for _, argv, stdin, _ in cases], args.runs, env)
        floor = medians[0]
        rows = [(label, f"{ms:.1f}", f"{ms / floor:.2f}x", target) for (label, _, _, target), ms in zip(cases, medians)]
    print(f"hook with {args.rules} rules, median of {args.runs} runs (ms), python {sys.version.split()[0]}")
    print_table(rows, ("command", "median ms", "vs floor", "target"))


if __name__ == "__main__":
    main()
