"""`nerv project ...`."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out

app = typer.Typer(help="Create, list, choose and remove projects.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="project")


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Project name (unique)."),
    goal: Optional[str] = typer.Option(None, "--goal", help="What the project is for."),
    path: Optional[str] = typer.Option(None, "--path", help="Register this folder as the project's first repo."),
) -> None:
    """Create a project."""
    from nerv.services import projects

    data = projects.add_project(_ctx.store(), name, goal, path)
    out.emit(data, lambda d: out.message(f"project {d['name']} created ({d['id'][:8]})"))


@app.command("list")
def list_cmd() -> None:
    """List projects with task and repo counts; * marks the current one."""
    from nerv.services import projects

    rows = projects.list_projects(_ctx.store())
    out.emit(rows, lambda rs: out.table([{**r, "current": "*" if r["current"] else ""} for r in rs],
                                        ["current", "name", "id", "open_tasks", "tasks", "repos", "goal"],
                                        empty="no projects yet: `nerv project add NAME`"))


@app.command("show")
def show(project: Optional[str] = typer.Argument(None, help="Name or id (default: the current project).")) -> None:
    """Show a project, its repos and task counts."""
    from nerv.services import projects

    data = projects.show_project(_ctx.store(), project)

    def human(d: dict) -> None:
        out.kv({k: d[k] for k in ("name", "id", "goal", "created_at", "active_cycle", "tasks_by_status")},
               title=f"project {d['name']}")
        out.table(d["repos"], ["name", "path"], empty="no repos registered")

    out.emit(data, human)


@app.command("use")
def use(project: str = typer.Argument(..., help="Name or id.")) -> None:
    """Make a project the default when no --project, NERV_PROJECT or repo applies."""
    from nerv.services import projects

    data = projects.use_project(_ctx.store(), project)
    out.emit(data, lambda d: out.message(f"current project: {d['name']}"))


@app.command("rm")
def rm(
    project: str = typer.Argument(..., help="Name or id."),
    yes: bool = typer.Option(False, "--yes", help="Really delete (without it, only explains what would go)."),
) -> None:
    """Delete a project with its tasks, cycles, decisions, repos, rules and settings (sessions are unlinked)."""
    from nerv.services import projects

    data = projects.remove_project(_ctx.store(), project, yes=yes)
    out.emit(data, lambda d: out.message(f"project {d['removed']['name']} removed: " +
                                         (", ".join(f"{n} {k}" for k, n in d["deleted"].items() if n)
                                                                       or "no other rows")))
