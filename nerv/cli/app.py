"""The command tree: reads like a table of contents. Also the single place errors become exit codes."""

from __future__ import annotations

import importlib
import os
import sys

import typer

from nerv import __version__
from nerv.cli import _ctx, _output
from nerv.env import database_url
from nerv.errors import NervError
from nerv.store.postgres import hide_drivers_from_peewee

# Top-level command name -> the module whose `register(app)` adds it. Order here is the order in
# `nerv --help`. Only the module of the command being run is imported (each costs 1-10 ms to import
# and build; all of them together cost ~50 ms), so keep every name a module registers listed here:
# tests/cli/test_contract.py checks the table against what the modules register.
COMMANDS = {
    "status": "nerv.cli.status",
    "watch": "nerv.cli.watch",
    "project": "nerv.cli.project",
    "repo": "nerv.cli.repo",
    "task": "nerv.cli.task",
    "cycle": "nerv.cli.cycle",
    "agent": "nerv.cli.agent",
    "lease": "nerv.cli.lease",
    "session": "nerv.cli.session",
    "rule": "nerv.cli.rule",
    "approval": "nerv.cli.approval",
    "hook": "nerv.cli.hook",
    "doctor": "nerv.cli.doctor",
    "cost": "nerv.cli.cost",
    "pricing": "nerv.cli.pricing",
    "otel": "nerv.cli.otel",
    "budget": "nerv.cli.budget",
    "metrics": "nerv.cli.metrics",
    "report": "nerv.cli.report",
    "decision": "nerv.cli.decision",
    "learn": "nerv.cli.learn",
    "learnings": "nerv.cli.learn",
    "handoff": "nerv.cli.handoff",
    "search": "nerv.cli.search",
    "settings": "nerv.cli.settings",
    "db": "nerv.cli.db",
    "export": "nerv.cli.transfer",
    "import": "nerv.cli.transfer",
    "audit": "nerv.cli.audit",
    "prune": "nerv.cli.prune",
    "checkpoint": "nerv.cli.checkpoint",
}

# Top-level command name -> its one-line help as `nerv --help` and completion show it (Click's short help).
# Completing the first word (`nerv <TAB>`, `nerv ta<TAB>`) answers from here without importing any command
# module (building the whole tree cost a Tab press ~100 ms more); tests/cli/test_contract.py checks it
# against the built tree.
SUMMARIES = {
    "status": "Who holds what, what needs a person,...",
    "watch": "Show the dashboard full screen, refreshed...",
    "project": "Create, list, choose and remove projects.",
    "repo": "Register the folders (repos, worktrees)...",
    "task": "Kanban tasks: add, move through the state...",
    "cycle": "Cycles: one active per project; progress...",
    "agent": "Agents seen by claims, heartbeats and...",
    "lease": "Path leases: an agent's hold on files;...",
    "session": "Claude sessions: start/end, import...",
    "rule": "Permission rules (Claude Code syntax):...",
    "approval": "Approval requests from agents' tool calls:...",
    "hook": "Claude Code hooks: install/uninstall...",
    "doctor": "Check nerv's hooks in every Claude Code...",
    "cost": "Tokens and cost with totals and...",
    "pricing": "Model prices in US$ per million tokens:...",
    "otel": "Claude Code's own telemetry: a local...",
    "budget": "Spending budgets: set, status, check (exit...",
    "metrics": "Record and summarise metrics (count, sum,...",
    "report": "Write a self-contained HTML report (no...",
    "decision": "Decisions (ADRs): add, accept, supersede,...",
    "learn": "Record a learning.",
    "learnings": "List learnings, newest first.",
    "handoff": "Where work stopped, and a compact brief to...",
    "search": "Find decisions, learnings, tasks and...",
    "settings": "Typed settings, global or per project...",
    "db": "Inspect, migrate and maintain the database.",
    "export": "Export every table (audit log included)...",
    "import": "Validate the whole file, then apply it in...",
    "audit": "List, show and verify the hash-chained...",
    "prune": "Delete old metrics, usage rows, decided...",
    "checkpoint": "Snapshot, compare and restore a project's...",
}


def _version_callback(value: bool) -> None:
    if value:
        _output.emit({"version": __version__}, lambda d: _output.message(f"nerv {d['version']}"))
        raise typer.Exit()


def build_app(only: str | tuple[str, ...] | None = None) -> typer.Typer:
    """The command tree; with `only`, just the modules of that top-level command (the fast path of a run) or of
    those (a completion request for the first word)."""
    app = typer.Typer(
        name="nerv",
        help="nerv: the state ledger for agentic software work (projects, tasks, sessions, approvals, audit).",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def root(
        version: bool = typer.Option(False, "--version", "-V", callback=_version_callback, is_eager=True,
                                     help="Print the version and exit."),
        json_: bool = typer.Option(False, "--json", help="Print one JSON document (also NERV_JSON=1). "
                                                         "Accepted anywhere on the command line."),
        debug: bool = typer.Option(False, "--debug", help="Show tracebacks of unexpected errors (also NERV_DEBUG=1)."),
        utc: bool = typer.Option(False, "--utc", help="Times as full UTC stamps instead of `5m ago` or local "
                                                      "`12-01 08:10`. Accepted anywhere."),
        wide: bool = typer.Option(False, "--wide", help="Full ids, uncut text and every column, even past the "
                                                        "terminal width. Accepted anywhere."),
    ) -> None:
        """nerv keeps the orchestration state of Claude Code work in one SQLite file."""

    modules = list(dict.fromkeys(COMMANDS[name] for name in _names(only)))
    for module_name in modules:
        importlib.import_module(module_name).register(app)
    return app


# build_app(only) -> its Click command. A tree holds no state of a run (--json and --debug are taken off the
# command line before Click sees it, and each run gets a new Click context), so one process that runs many
# commands (the test suite runs them all in one) builds each tree once: a full tree costs ~100 ms.
_TREES: dict[tuple[str, ...], object] = {}


def _names(only: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if isinstance(only, tuple):
        return tuple(name for name in only if name in COMMANDS)
    return (only,) if only in COMMANDS else tuple(COMMANDS)


def command_tree(only: str | tuple[str, ...] | None = None):
    key = _names(only)
    if key not in _TREES:
        _TREES[key] = _with_plain_metavars(typer.main.get_command(build_app(key)))
    return _TREES[key]


def _with_plain_metavars(command):
    """Every argument of the tree as a _PlainArgument (Typer's usage line writes a required one as `{title}`)."""
    for param in command.params:
        if isinstance(param, typer.core.TyperArgument):
            param.__class__ = _PlainArgument
    for sub in (getattr(command, "commands", None) or {}).values():
        _with_plain_metavars(sub)
    return command


class _PlainArgument(typer.core.TyperArgument):
    """Click's metavars in usage lines and help: TITLE, [TITLE] when optional, TITLE... when repeated."""

    def make_metavar(self, ctx, *, usage: bool = False) -> str:
        name = (self.metavar or self.name or "").upper() + ("..." if self.nargs != 1 else "")
        return f"[{name}]" if usage and not self.required else name


def command_named(args: list[str]) -> str | tuple[()] | None:
    """The top-level command a run is for, when it can be known without building the whole tree."""
    if any(name.startswith("_NERV_COMPLETE") for name in os.environ):
        from nerv.cli import _complete

        shell = _complete.requested()
        return _complete.top_commands(shell, COMMANDS) if shell else None
    for arg in args:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


GLOBAL_FLAGS = ("--json", "--debug", "--utc", "--wide")


def split_global_flags(argv: list[str]) -> tuple[list[str], set[str]]:
    """Take the GLOBAL_FLAGS from anywhere before `--`, so every command accepts them in any position."""
    rest, flags = [], set()
    for index, arg in enumerate(argv):
        if arg == "--":
            rest.extend(argv[index:])
            break
        if arg in GLOBAL_FLAGS:
            flags.add(arg)
        else:
            rest.append(arg)
    return rest, flags


def take_database_url(argv: list[str]) -> list[str]:
    """`--database-url URL` (or `=URL`) from anywhere before `--`: the rest of the process sees it as
    NERV_DATABASE_URL, the one place the store reads it (nerv.env.database_url)."""
    rest = []
    args = iter(argv)
    for arg in args:
        if arg == "--":
            rest.append(arg)
            rest.extend(args)
            break
        if arg == "--database-url":
            value = next(args, None)
            if value is None:
                raise NervError("usage", "--database-url needs a value", "--database-url postgresql://ROLE@HOST/DB",
                                exit_code=2)
            os.environ["NERV_DATABASE_URL"] = value
        elif arg.startswith("--database-url="):
            os.environ["NERV_DATABASE_URL"] = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    return rest


def _click_exceptions():
    # typer >= 0.26 vendors click as typer._click; Abort and Exit are re-exported by typer itself.
    from typer._click import exceptions

    return exceptions


def _bare_group(command, args: list[str]) -> bool:
    """Whether `args` name only command groups, which would answer with their help text."""
    for word in args:
        commands = getattr(command, "commands", None)
        if word.startswith("-") or not commands or word not in commands:
            return False
        command = commands[word]
    return bool(getattr(command, "commands", None))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    args, flags = split_global_flags(args)
    _output.configure(json_flag="--json" in flags, debug_flag="--debug" in flags, utc_flag="--utc" in flags,
                      wide_flag="--wide" in flags)
    try:
        args = take_database_url(args)
    except NervError as err:
        _output.emit_error(err.code, err.message, err.hint)
        return err.exit_code
    if not database_url():
        hide_drivers_from_peewee()
    exc = _click_exceptions()
    if os.environ.get("_NERV_COMPLETE"):
        from nerv.cli import _complete

        answer = _complete.first_word(SUMMARIES)
        if answer is not None:
            _output.completions(answer)
            return 0
    command = command_tree(command_named(args))
    if os.environ.get("_NERV_COMPLETE"):
        _complete.prepare(command)
    if _output.mode.json and _bare_group(command, args):
        # A group without a subcommand prints its help (rich, on stdout): never mixed into machine output.
        where = " ".join(["nerv", *args])
        _output.emit_error("usage", f"`{where}` needs a subcommand", f"run `{where} --help`")
        return 2
    try:
        result = command.main(args=args, prog_name="nerv", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except NervError as err:
        _output.emit_error(err.code, err.message, err.hint, err.details)
        return err.exit_code
    except exc.UsageError as err:
        where = err.ctx.command_path if err.ctx else "nerv"
        _output.emit_error("usage", err.format_message(), f"run `{where} --help`")
        return 2
    except typer.Abort:
        _output.emit_error("usage", "aborted")
        return 1
    except typer.Exit as err:
        return err.exit_code
    except exc.ClickException as err:
        _output.emit_error("usage", err.format_message())
        return err.exit_code
    except KeyboardInterrupt:
        _output.emit_error("usage", "interrupted")
        return 130
    except Exception as err:  # a bug, unless the disk or the database file failed under us
        from nerv.store.sqlite import explain_failure

        known = explain_failure(err)
        if known is not None:
            _output.emit_error(known.code, known.message, known.hint)
            return known.exit_code
        if _output.mode.debug:
            raise
        _output.emit_error("internal", f"unexpected error: {type(err).__name__}: {err}",
                           "this is a bug in nerv; rerun with --debug for a traceback")
        return 1
    finally:
        _ctx.close()
