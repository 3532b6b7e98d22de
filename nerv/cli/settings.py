"""`nerv settings ...`."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._options import GLOBAL, project_option, scope_label

app = typer.Typer(help="Typed settings, global or per project (docs/settings.md lists the keys).",
                  no_args_is_help=True)
ProjectOpt = project_option(GLOBAL, "Project scope")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="settings")


@app.command("get")
def get(key: str = typer.Argument(..., help="Setting key."),
        project: Optional[str] = project_option("the current project when one resolves, else the global value",
                                                  "Project whose value to show")) -> None:
    """Show the value in force and where it comes from (project, global or default)."""
    from nerv.services import settings

    data = settings.get_setting(_ctx.store(), key, project)
    out.emit(data, lambda d: out.message(f"{d['key']} = {out._dumps(d['value'])}  ({d['source']})"))


@app.command("set")
def set_cmd(key: str = typer.Argument(..., help="Setting key."),
            value: str = typer.Argument(..., help="JSON value (a bare word is a string)."),
            project: Optional[str] = ProjectOpt) -> None:
    """Set a value (typed: JSON)."""
    from nerv.services import settings

    data = settings.set_setting(_ctx.store(), key, settings.parse_value(value), project)
    out.emit(data, lambda d: out.message(f"{d['key']} = {out._dumps(d['value'])} ({scope_label(d)})"))


@app.command("unset")
def unset(key: str = typer.Argument(..., help="Setting key."), project: Optional[str] = ProjectOpt) -> None:
    """Remove a stored value (the global value or default applies again)."""
    from nerv.services import settings

    data = settings.unset_setting(_ctx.store(), key, project)
    out.emit(data, lambda d: out.message(f"{d['key']} unset ({scope_label(d)})"))


@app.command("list")
def list_cmd(project: Optional[str] = project_option("the global values",
                                                    "Show values in force for a project")) -> None:
    """List every known key with its value in force."""
    from nerv.services import settings

    rows = settings.list_settings(_ctx.store(), project)
    out.emit(rows, lambda rs: out.table([{**r, "value": out._dumps(r["value"])} for r in rs],
                                        ["key", "value", "source", "description"]))
