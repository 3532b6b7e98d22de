"""The CLI contract every command follows: help, JSON envelope, error shape, exit codes."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import typer

from nerv.hook import EVENTS
from nerv.cli.app import COMMANDS, build_app, command_tree, split_global_flags
from tests.conftest import assert_not_a_bug


def walk(command, path=()):
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, path + (name,))


def test_every_command_and_option_has_help_text():
    missing = []
    for path, command in walk(command_tree()):
        if not (command.help or command.short_help):
            missing.append(" ".join(path) or "nerv")
        for param in command.params:
            if param.param_type_name == "option" and not param.help and param.name not in ("help",):
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert missing == []


def test_help_of_every_command_shows_its_usage_and_its_own_text(cli):
    broken = {}
    for path, command in walk(command_tree()):
        if not path:
            continue
        result = cli(*path, "--help")
        first_line = (command.help or command.short_help or "").strip().splitlines()[0]
        # rich wraps and restyles the text: its first few words are what a reader sees first.
        opening = " ".join(first_line.split()[:3])
        if path[:1] == ("hook",) and path[1:2] and path[1] in EVENTS:  # answered by the stdlib hook module, not by Typer
            opening = f"Claude Code {EVENTS[path[1]]} hook"
        if result.code != 0 or "Usage" not in result.stdout or opening not in " ".join(result.stdout.split()):
            broken[" ".join(path)] = (result.code, opening, result.stderr[-300:])
    assert broken == {}


def test_json_envelope_on_stdout_and_nothing_on_stderr(cli):
    result = cli("status", "--json")
    assert result.code == 0 and result.stderr == ""
    assert set(json.loads(result.stdout)) == {"schema_version", "data"}
    assert result.data["database"]["schema_version"] >= 1


def test_nerv_json_env_switches_json_on(cli, monkeypatch):
    monkeypatch.setenv("NERV_JSON", "1")
    assert cli("db", "path").data["path"].endswith("state.db")


def test_user_error_json_goes_to_stderr_with_code_message_hint(cli):
    result = cli("--json", "project", "show", "nope")
    assert result.code == 1 and result.stdout == ""
    error = result.error
    assert error["code"] == "not_found" and "nope" in error["message"] and error["hint"]


def test_user_error_plain_is_one_line_without_traceback(cli):
    result = cli("project", "show", "nope")
    assert result.code == 1
    assert result.stderr.startswith("error: ")
    assert_not_a_bug(result)


@pytest.mark.parametrize("args", [["frobnicate"], ["db", "nope"], ["status", "--bogus"], ["project", "add"]])
def test_usage_errors_exit_2(cli, args):
    result = cli(*args)
    assert result.code == 2 and result.stderr.startswith("error: ")
    assert_not_a_bug(result)
    as_json = cli("--json", *args)
    assert as_json.code == 2 and as_json.error["code"] == "usage"


def test_version(cli, proc):
    from nerv import __version__

    assert proc("--version").stdout.strip() == f"nerv {__version__}"
    assert cli("--json", "--version").data == {"version": __version__}


def test_the_command_table_lists_exactly_what_the_modules_register():
    import importlib

    from nerv.cli.app import COMMANDS

    for name, module in COMMANDS.items():
        app = typer.Typer()
        importlib.import_module(module).register(app)
        registered = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
        assert name in registered, (name, module, registered)
    assert set(command_tree().commands) == set(COMMANDS)


def test_the_summary_table_is_the_help_the_built_tree_shows():
    from nerv.cli.app import SUMMARIES

    built = {name: command.get_short_help_str() for name, command in command_tree().commands.items()
             if not command.hidden}
    assert SUMMARIES == built


def test_a_run_builds_only_its_own_command_group():
    import sys

    code = ("import sys; from nerv.cli import app; app.main(['db', 'path']);"
            "print(sorted(m for m in sys.modules if m.startswith('nerv.cli.') and m[9:] not in"
            " ('app', '_ctx', '_output')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "['nerv.cli.db']"


def test_completing_the_first_word_builds_no_command():
    import sys

    code = ("import sys; from nerv.cli import app; app.main([]);"
            "print(sorted(m for m in sys.modules if m.startswith('nerv.cli.') and m[9:] not in"
            " ('app', '_ctx', '_output', '_complete')))")
    env = {**os.environ, "_NERV_COMPLETE": "complete_bash", "COMP_WORDS": "nerv ", "COMP_CWORD": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    *offered, modules = out.strip().splitlines()
    assert (offered, modules) == (list(COMMANDS), "[]")


def test_split_global_flags_stops_at_double_dash():
    assert split_global_flags(["a", "--json", "b", "--wide", "--", "--json"]) == (["a", "b", "--", "--json"],
                                                                                 {"--json", "--wide"})


def _under_bash(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run nerv as a child of bash: completion detects the shell from the process's ancestors, which
    must not depend on what started pytest. `; exit` keeps bash from exec-ing nerv in its place."""
    from tests.conftest import nerv_executable

    return subprocess.run(["bash", "-c", '"$@"; exit $?', "bash", *nerv_executable(), *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=60)


def test_show_completion_prints_the_script_for_the_calling_shell():
    result = _under_bash("--show-completion")
    assert result.returncode == 0, result.stderr
    assert "complete -o default -F _nerv_completion nerv" in result.stdout and "_NERV_COMPLETE" in result.stdout


def test_completion_completes_command_names(proc):
    result = proc(env={"_NERV_COMPLETE": "complete_bash", "COMP_WORDS": "nerv st", "COMP_CWORD": "1"})
    assert "status" in result.stdout


def test_debug_flag_shows_traceback_for_internal_errors(cli, nerv_home, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("nerv.services.dashboard.snapshot", boom)
    plain = cli("status")
    assert plain.code == 1 and "kaboom" in plain.stderr and "--debug" in plain.stderr
    assert "Traceback" not in plain.stderr
    with pytest.raises(RuntimeError):
        cli("--debug", "status")


def test_the_bad_input_check_catches_an_internal_error_in_both_output_modes(cli, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("nerv.services.dashboard.snapshot", boom)
    for result in (cli("status"), cli("--json", "status")):
        assert result.code == 1 and "Traceback" not in result.stderr  # what the old check looked for
        with pytest.raises(AssertionError):
            assert_not_a_bug(result)
    with pytest.raises(AssertionError):
        assert_not_a_bug("nerv hook: pre-tool-use: could not decide (KeyError: 'x')")
    assert_not_a_bug("nerv hook: pre-tool-use: could not decide (NervError: database is locked)")


def test_install_completion_writes_the_script_and_sources_it(tmp_path):
    home = tmp_path / "shell-home"
    home.mkdir()
    result = _under_bash("--install-completion", env={"HOME": str(home), "SHELL": "/bin/bash"})
    assert result.returncode == 0, result.stderr
    script = home / ".bash_completions" / "nerv.sh"
    assert "_NERV_COMPLETE" in script.read_text()
    assert str(script) in (home / ".bashrc").read_text()
