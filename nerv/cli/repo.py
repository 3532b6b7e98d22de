"""`nerv repo ...`."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._options import ALL, project_option

app = typer.Typer(help="Register the folders (repos, worktrees) that belong to a project.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="repo")


@app.command("add")
def add(
    path: str = typer.Argument(..., help="Folder; stored absolute and resolved."),
    name: Optional[str] = typer.Option(None, "--name", help="Short name (default: the folder name)."),
    project: Optional[str] = project_option(),
) -> None:
    """Register a repo for a project; commands run inside it then default to that project."""
    from nerv.services import projects

    data = projects.add_repo(_ctx.store(), path, name, project)
    out.emit(data, lambda d: out.message(f"repo {d['name']} registered: {d['path']}"))


@app.command("list")
def list_cmd(project: Optional[str] = project_option(ALL, "Only this project's repos")) -> None:
    """List registered repos."""
    from nerv.services import projects

    rows = projects.list_repos(_ctx.store(), project)
    out.emit(rows, lambda rs: out.table(rs, ["project", "name", "path", "exists"], empty="no repos registered"))


@app.command("rm")
def rm(repo: str = typer.Argument(..., help="Path, name or id.")) -> None:
    """Unregister a repo (the folder itself is not touched)."""
    from nerv.services import projects

    data = projects.remove_repo(_ctx.store(), repo)
    out.emit(data, lambda d: out.message(f"repo {d['name']} unregistered"))
