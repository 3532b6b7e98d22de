"""Shell completion with live values, through the real shells (bash always; zsh and fish where installed)
driving the completion scripts `nerv` prints, against a real ledger."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nerv.cli.app import COMMANDS
from tests.conftest import ON_POSTGRESQL, raw_connection

REPO = Path(__file__).resolve().parents[2]
TASK_STATUSES = {"todo", "in_progress", "review", "blocked", "done", "cancelled"}

# zsh offers completions only inside its line editor: drive an interactive zsh in a pseudo-terminal, press
# Tab, and record what the completion system hands to compadd.
ZSH_DRIVER = r"""
zmodload zsh/zpty || exit 3
script=$1 line=$2 out=$3
zpty z zsh -f -i
zpty -w z "autoload -Uz compinit; compinit -u -D"
zpty -w z "compadd() { local -a __h; builtin compadd -A __h \"\$@\"; print -rl -- \$__h >> ${(q)out}; builtin compadd \"\$@\" }"
zpty -w z "source ${(q)script}; print -r -- sourced >> ${(q)out}.ready"
for i in {1..200}; do [[ -s $out.ready ]] && break; sleep 0.05; done
zpty -w -n z "$line"$'\t'
for i in {1..200}; do [[ -e $out ]] && break; sleep 0.05; done
sleep 0.3
zpty -d z
"""


@pytest.fixture
def ledger(cli, nerv_home, tmp_path):
    """Two projects; the working directory is `shop`'s repo; a cycle, rule, session, approval and agent."""
    cwd = Path.cwd()
    assert cli("project", "add", "shop", "--goal", "sell things", "--path", str(cwd)).code == 0
    assert cli("project", "add", "other").code == 0
    for title in ("Fix login", "Write docs", "Ship it"):
        assert cli("task", "add", title).code == 0
    assert cli("task", "add", "Elsewhere", "--project", "other").code == 0
    assert cli("task", "claim", "--agent", "agent-7").code == 0
    assert cli("cycle", "start", "First cycle").code == 0
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert cli("session", "start", "--id", "5e55f00d-0000-4000-8000-000000000001", "--model", "claude-x").code == 0
    conn = raw_connection(nerv_home)  # a request as the PermissionRequest hook records it
    conn.execute("INSERT INTO approval_requests (tool, tool_input, status, created_at) "
                 "VALUES ('Bash', '{\"command\": \"ls\"}', 'pending', '2026-12-01T10:00:00.000000Z')")
    conn.close()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "nerv"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nerv "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": str(REPO),
           "HOME": str(tmp_path)}
    return env


CASES = [
    ("nerv task show ", {"1", "2", "3"}),
    ("nerv ta", {"task"}),
    ("nerv ", set(COMMANDS)),
    ("nerv --utc s", {"status", "session", "search", "settings"}),
    ("nerv task list --status ", TASK_STATUSES),
    ("nerv task show --project other ", {"1"}),
    ("nerv cost --by ", {"day", "week", "month", "project", "model", "session", "task", "cycle", "agent",
                         "subagent"}),
    ("nerv settings get hook.m", {"hook.mode"}),
    ("nerv settings set hook.mode ", {"off", "observe", "queue", "strict"}),
    ("nerv rule rm ", {"1"}),
    ("nerv session show 5e55", {"5e55f00d-0000-4000-8000-000000000001"}),
    ("nerv approval show ", {"1"}),
    ("nerv cycle show ", {"1"}),
    ("nerv project use ", {"shop", "other"}),
    ("nerv task list --project ", {"shop", "other"}),
    ("nerv task start 1 --agent ", {"agent-7"}),
    ("nerv task add x --type ", {"task", "feature", "bug", "chore", "spike", "docs", "epic"}),
    ("nerv task dep add 1 2 --type ", {"blocks", "related"}),
    ("nerv task add x --depends-on ", {"1", "2", "3"}),
]


def _script(shell: str, env: dict) -> str:
    done = subprocess.run(["nerv"], env={**env, "_NERV_COMPLETE": f"source_{shell}"}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _bash(line: str, env: dict, tmp_path: Path) -> set[str]:
    script = tmp_path / "nerv.bash"
    script.write_text(_script("bash", env))
    words = line.split(" ")
    program = (f"source {script}; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
               f"COMP_CWORD={len(words) - 1}; _nerv_completion nerv; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    done = subprocess.run(["bash", "--norc", "-c", program], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def _fish(line: str, env: dict, tmp_path: Path) -> set[str]:
    script = tmp_path / "nerv.fish"
    script.write_text(_script("fish", env))
    done = subprocess.run(["fish", "--no-config", "-c", f"source {script}; complete -C {line!r}"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return {row.split("\t")[0] for row in done.stdout.splitlines() if row}


def _zsh(line: str, env: dict, tmp_path: Path) -> set[str]:
    script, driver, out = tmp_path / "nerv.zsh", tmp_path / "driver.zsh", tmp_path / "zsh-hits"
    script.write_text(_script("zsh", env))
    driver.write_text(ZSH_DRIVER)
    for stale in (out, Path(f"{out}.ready")):
        stale.unlink(missing_ok=True)
    subprocess.run(["zsh", "-f", str(driver), str(script), line, str(out)], env=env, capture_output=True,
                   timeout=60)
    return set(out.read_text().split()) if out.exists() else set()


SHELLS = {"bash": _bash, "zsh": _zsh, "fish": _fish}


@pytest.mark.slow  # a shell and a nerv process per case
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_shell_completes_live_values(shell, ledger, tmp_path):
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed (.ci/run installs it)")
    wrong = {}
    for line, expected in CASES:
        got = SHELLS[shell](line, ledger, tmp_path)
        if got != expected:
            wrong[line] = (sorted(got), sorted(expected))
    assert not wrong, wrong


def test_each_case_completes_its_live_values_in_process(ledger, monkeypatch):
    """The same cases as bash asks them (COMP_WORDS, COMP_CWORD), answered by main() in this process: the
    values without the shell script around them (the test above, slow, runs the scripts)."""
    from tests.conftest import run_cli

    monkeypatch.setenv("_NERV_COMPLETE", "complete_bash")
    wrong = {}
    for line, expected in CASES:
        monkeypatch.setenv("COMP_WORDS", line)
        monkeypatch.setenv("COMP_CWORD", str(len(line.split(" ")) - 1))
        result = run_cli()
        got = set(result.stdout.split())
        if result.code != 0 or got != expected:
            wrong[line] = (result.code, sorted(got), sorted(expected), result.stderr[-300:])
    assert not wrong, wrong


@pytest.mark.slow  # two nerv processes
def test_outside_a_project_task_numbers_are_not_guessed(ledger, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**ledger, "COMP_WORDS": "nerv task show ", "COMP_CWORD": "3", "_NERV_COMPLETE": "complete_bash"}
    done = subprocess.run(["nerv"], env=env, cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.split()) == (0, [])
    env["COMP_WORDS"] = "nerv task show --project shop "
    env["COMP_CWORD"] = "5"
    done = subprocess.run(["nerv"], env=env, cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert set(done.stdout.split()) == {"1", "2", "3"}


def test_completion_never_creates_or_writes_the_database(tmp_path, monkeypatch):
    home = tmp_path / "fresh"
    env = {**os.environ, "NERV_HOME": str(home), "PYTHONPATH": str(REPO), "COMP_WORDS": "nerv task show ",
           "COMP_CWORD": "3", "_NERV_COMPLETE": "complete_bash"}
    done = subprocess.run([sys.executable, "-m", "nerv"], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "")
    assert not (home / "state.db").exists()


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: a damaged database file")
def test_a_damaged_database_offers_nothing_and_no_error(nerv_home, tmp_path):
    (nerv_home / "state.db").write_bytes(b"not a database at all" * 100)
    env = {**os.environ, "PYTHONPATH": str(REPO), "COMP_WORDS": "nerv rule rm ", "COMP_CWORD": "3",
           "_NERV_COMPLETE": "complete_bash"}
    done = subprocess.run([sys.executable, "-m", "nerv"], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "", "")


def test_an_unreachable_team_server_offers_nothing_and_no_error(nerv_home):
    env = {**os.environ, "PYTHONPATH": str(REPO), "COMP_WORDS": "nerv rule rm ", "COMP_CWORD": "3",
           "_NERV_COMPLETE": "complete_bash",
           "NERV_DATABASE_URL": "postgresql://nobody@/nerv?host=/nonexistent-socket-folder"}
    done = subprocess.run([sys.executable, "-m", "nerv"], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "", "")


@pytest.mark.slow  # a fresh interpreter per shell
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_path_imports_no_rich_peewee_or_numpy(shell, ledger):
    probe = ("import sys\nfrom nerv.__main__ import main\n"
             "try:\n    main([])\nexcept SystemExit:\n    pass\n"
             "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'peewee', 'numpy'})\n"
             "sys.stderr.write('HEAVY=' + ','.join(heavy))\n")
    env = {**ledger, "_NERV_COMPLETE": f"complete_{shell}", "COMP_WORDS": "nerv task show ", "COMP_CWORD": "3",
           "_TYPER_COMPLETE_ARGS": "nerv task show ", "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert "Fix login" in done.stdout or shell == "bash"
    assert "1" in done.stdout.split() or shell != "bash"
    assert done.stderr.endswith("HEAVY="), done.stderr


def test_every_name_the_completion_table_holds_is_a_parameter_of_that_command():
    from nerv.cli import _complete
    from nerv.cli.app import command_tree

    names = {}  # command path -> the public names of its parameters and of its subcommands' parameters

    def walk(command, path):
        own = {_complete._public_name(p) for p in command.params}
        for name, sub in (getattr(command, "commands", None) or {}).items():
            own |= walk(sub, f"{path} {name}")
        names[path] = own
        return own

    walk(command_tree(), "nerv")
    stale = [(path, name) for path, table in _complete.COMPLETERS.items() for name in table
             if name not in names.get(path, set())]
    stale += [name for name in _complete.BY_NAME if name not in names["nerv"]]
    assert not stale, stale
