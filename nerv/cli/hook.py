"""`nerv hook ...`: install nerv into Claude Code, and the event commands Claude Code calls.

The event commands are dispatched by nerv/__main__.py to the stdlib-only nerv.hook before typer is
imported; they are registered here so `nerv hook --help` lists them (and still work if reached).
"""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _output as out
from nerv.errors import invalid

app = typer.Typer(help="Claude Code hooks: install/uninstall nerv's entries; the events Claude Code calls.",
                  no_args_is_help=True)

ScopeOpt = typer.Option("local", "--scope", help="local (.claude/settings.local.json, not committed; default), "
                                                  "project (.claude/settings.json, committed: teammates need "
                                                  "nerv at the same path) or user (~/.claude/settings.json).")
DryRunOpt = typer.Option(False, "--dry-run", help="Print the resulting settings (JSON) without writing anything.")
OutsideGitOpt = typer.Option(False, "--outside-git", help="Allow --scope local/project outside a git repository "
                                                          "(writes <working directory>/.claude/).")
FollowOpt = typer.Option(False, "--follow-symlinks", help="Allow writing through a symlinked .claude folder or "
                                                          "settings file (into the file it points to).")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="hook")


def _summary(d: dict, verb: str) -> str:
    done = [f"{key} {', '.join(d[key])}" for key in verb.split("|") if d.get(key)]
    text = f"{d['file']}: " + ("; ".join(done) if done else "nothing to do")
    return text + (" (dry run)" if d["dry_run"] else "") + (f"; backup {d['backup']}" if d["backup"] else "")


def _report(verb: str):
    def human(d: dict) -> None:
        if d["dry_run"]:
            out.document(d["settings"])  # stdout stays one valid JSON document; the summary goes to stderr
            out.note(_summary(d, verb))
        else:
            out.message(_summary(d, verb))
        if d.get("statusline"):
            out.message(f"statusLine {d['statusline']}: {d['command']} statusline")
        checks = d.get("checks") or []
        if checks:
            slowest = max(c["duration_ms"] for c in checks)
            out.message(f"verified {len(checks)} events: each answered when run as Claude Code runs it "
                        f"(sh -c, PATH=/usr/bin:/bin; slowest {slowest} ms)")
        for warning in d.get("warnings", []):
            out.warn(warning)
    return human


@app.command("install")
def install(scope: str = ScopeOpt, dry_run: bool = DryRunOpt, outside_git: bool = OutsideGitOpt,
            follow_symlinks: bool = FollowOpt,
            queue_timeout: Optional[float] = typer.Option(
                None, "--queue-timeout", help="Size the PreToolUse/PermissionRequest timeout for this queue wait "
                                              "(seconds) even before hook.queue_timeout_s is raised to it."),
            statusline: bool = typer.Option(False, "--statusline", help="Also set Claude Code's statusLine to "
                                                                        "`nerv statusline`.")) -> None:
    """Write nerv's hook entries (absolute command, idempotent, backup first) and prove each answers."""
    from nerv.services import hook_install

    data = hook_install.install(scope, dry_run=dry_run, outside_git=outside_git, follow_symlinks=follow_symlinks,
                                queue_timeout=queue_timeout, statusline=statusline)
    out.emit(data, _report("added|updated"))


@app.command("uninstall")
def uninstall(scope: str = ScopeOpt, dry_run: bool = DryRunOpt, outside_git: bool = OutsideGitOpt,
              follow_symlinks: bool = FollowOpt) -> None:
    """Remove the entries `nerv hook install` writes (also older ones, such as a bare `nerv hook ...`)."""
    from nerv.services import hook_install

    data = hook_install.uninstall(scope, dry_run=dry_run, outside_git=outside_git, follow_symlinks=follow_symlinks)
    out.emit(data, _report("removed"))


@app.command("daemon")
def daemon(idle_timeout: float = typer.Option(900.0, "--idle-timeout", help="Exit after this many seconds without "
                                                                            "a hook request.")) -> None:
    """Team mode: serve this machine's hooks over a unix socket on pooled server connections, until idle
    (docs/teams.md, "The hook daemon"). Hooks start it on demand; this runs it in the foreground."""
    from nerv.hook import daemon as hookd

    if not idle_timeout > 0:
        raise invalid(f"--idle-timeout must be a number of seconds above 0, not {idle_timeout}")
    served = hookd.serve(idle_timeout)
    out.emit({"served": served}, lambda d: out.message("the hook daemon stopped after its idle timeout" if d["served"]
                                                         else "another hook daemon already serves this database"))


def _event_command(event: str, help_text: str) -> None:
    def command() -> None:
        from nerv.hook import run

        raise typer.Exit(run([event]))

    command.__doc__ = help_text
    app.command(event)(command)


def _register_events() -> None:
    """One command per event nerv.hook handles (the source of truth), with the install table's summary."""
    from nerv.hook import EVENTS
    from nerv.services.hook_install import BY_COMMAND

    for event, claude_name in EVENTS.items():
        row = BY_COMMAND.get(event)
        _event_command(event, row.summary if row else f"{claude_name}: Claude Code hook event (JSON on stdin).")


_register_events()
