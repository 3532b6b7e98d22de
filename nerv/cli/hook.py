"""`nerv hook ...`: install nerv into Claude Code, and the event commands Claude Code calls.

The event commands are dispatched by nerv/__main__.py to the stdlib-only nerv.hook before typer is
imported; they are registered here so `nerv hook --help` lists them (and still work if reached).
"""

from __future__ import annotations

import typer

from nerv.cli import _output as out

app = typer.Typer(help="Claude Code hooks: install/uninstall nerv's entries; the events Claude Code calls.",
                  no_args_is_help=True)

ScopeOpt = typer.Option("project", "--scope", help="project (.claude/settings.json), local "
                                                    "(.claude/settings.local.json) or user (~/.claude/settings.json).")
DryRunOpt = typer.Option(False, "--dry-run", help="Show the resulting settings without writing anything.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="hook")


def _report(verb: str):
    def human(d: dict) -> None:
        if d["dry_run"]:
            out.message(out._dumps(d["settings"]))
        if d["unchanged"]:
            out.message(f"{d['file']}: nothing to do")
        else:
            out.message(f"{d['file']}: {verb} " + ", ".join(d[verb]) + (" (dry run)" if d["dry_run"] else "")
                        + (f"; backup {d['backup']}" if d["backup"] else ""))
    return human


@app.command("install")
def install(scope: str = ScopeOpt, dry_run: bool = DryRunOpt) -> None:
    """Merge nerv's hook entries into a Claude Code settings file (idempotent, backup first)."""
    from nerv.services import hook_install

    out.emit(hook_install.install(scope, dry_run=dry_run), _report("added"))


@app.command("uninstall")
def uninstall(scope: str = ScopeOpt, dry_run: bool = DryRunOpt) -> None:
    """Remove exactly the entries `nerv hook install` adds."""
    from nerv.services import hook_install

    out.emit(hook_install.uninstall(scope, dry_run=dry_run), _report("removed"))


def _event_command(event: str, help_text: str) -> None:
    def command() -> None:
        from nerv.hook import run

        raise typer.Exit(run([event]))

    command.__doc__ = help_text
    app.command(event)(command)


for _event, _help in (
    ("pre-tool-use", "PreToolUse: decide a tool call from nerv's rules (JSON on stdin)."),
    ("post-tool-use", "PostToolUse: record tool use counts and durations."),
    ("session-start", "SessionStart: record the Claude session; add context."),
    ("session-end", "SessionEnd: record the end of the session."),
    ("stop", "Stop: record the session's last activity."),
    ("user-prompt-submit", "UserPromptSubmit: add context to the prompt."),
):
    _event_command(_event, _help)
