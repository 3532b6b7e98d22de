"""`nerv checkpoint ...`: snapshots of a project's state to diff against or roll back to."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._options import project_option

app = typer.Typer(help="Snapshot, compare and restore a project's tasks, cycles, decisions and settings.",
                  no_args_is_help=True)
ProjectOpt = project_option()


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="checkpoint")


@app.command("create")
def create_cmd(
    name: Optional[str] = typer.Argument(None, help="A short name to find it by (optional)."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why this checkpoint was taken."),
    project: Optional[str] = ProjectOpt,
) -> None:
    """Snapshot the project's tasks, dependencies, cycles, decisions, settings and each repo's git commit."""
    from nerv.services import checkpoints

    data = checkpoints.create(_ctx.store(), name=name, reason=reason, project=project)
    out.emit(data, lambda d: out.message(f"checkpoint {d['number']} created: " +
                                         ", ".join(f"{n} {k}" for k, n in d["counts"].items())))


@app.command("list")
def list_cmd(project: Optional[str] = ProjectOpt) -> None:
    """List the project's checkpoints, newest first."""
    from nerv.services import checkpoints

    rows = checkpoints.list_checkpoints(_ctx.store(), project)
    out.emit(rows, lambda rs: out.table([{**r, "tasks": r["counts"].get("tasks", 0)} for r in rs],
                                        ["number", "name", "kind", "created_at", "created_by", "tasks", "reason"],
                                        empty="no checkpoints yet: `nerv checkpoint create`"))


@app.command("show")
def show_cmd(checkpoint: str = typer.Argument(..., help="Checkpoint number, name or id."),
             project: Optional[str] = ProjectOpt) -> None:
    """Show a checkpoint: counts, repo commits and its tasks."""
    from nerv.services import checkpoints

    data = checkpoints.show(_ctx.store(), checkpoint, project)

    def human(d: dict) -> None:
        out.kv({k: d[k] for k in ("name", "kind", "reason", "created_at", "created_by", "counts")},
               title=f"checkpoint {d['number']}")
        out.table(d["repos"], ["name", "path", "head"], empty="no repos registered")
        out.table([{**t, "ref": f"#{t['number']}"} for t in d["tasks"]], ["ref", "title", "status", "priority"],
                  empty="no tasks")

    out.emit(data, human)


@app.command("diff")
def diff_cmd(checkpoint: str = typer.Argument(..., help="Checkpoint to compare from."),
             other: Optional[str] = typer.Argument(None, help="Checkpoint to compare to (default: now)."),
             project: Optional[str] = ProjectOpt) -> None:
    """What changed since a checkpoint (or between two)."""
    from nerv.services import checkpoints

    data = checkpoints.diff(_ctx.store(), checkpoint, other, project)

    def human(d: dict) -> None:
        out.message(f"{d['from']} -> {d['to']}: {d['total']} row changes")
        rows = []
        for kind, change in d["changes"].items():
            if kind == "repos":
                continue
            rows += [{"kind": kind, "change": "added", "row": c["label"], "fields": ""} for c in change["added"]]
            rows += [{"kind": kind, "change": "removed", "row": c["label"], "fields": ""} for c in change["removed"]]
            rows += [{"kind": kind, "change": "changed", "row": c["label"], "fields": ", ".join(c["fields"])}
                     for c in change["changed"]]
        out.table(rows, ["kind", "change", "row", "fields"], empty="no changes")
        for name, heads in d["changes"]["repos"].items():
            out.message(f"repo {name}: {heads['from'] or '-'} -> {heads['to'] or '-'}")

    out.emit(data, human)


@app.command("restore")
def restore_cmd(checkpoint: str = typer.Argument(..., help="Checkpoint number, name or id."),
                yes: bool = typer.Option(False, "--yes", help="Confirm: the project's rows are rewritten."),
                project: Optional[str] = ProjectOpt) -> None:
    """Restore the project's state to a checkpoint (a safety checkpoint is taken first; git is not touched)."""
    from nerv.services import checkpoints

    data = checkpoints.restore(_ctx.store(), checkpoint, yes=yes, project=project)

    def human(d: dict) -> None:
        out.message(f"restored checkpoint {d['restored']} (safety checkpoint {d['safety_checkpoint']} taken first)")
        out.table([{"kind": k, **v} for k, v in d["changes"].items()], ["kind", "added", "removed", "changed"])
        for repo in d["repos"]:
            if repo["checkpoint_head"] != repo["current_head"]:
                out.message(f"repo {repo['name']} was at {repo['checkpoint_head']}, now {repo['current_head']} "
                            "(git is not changed by nerv)", style="yellow")

    out.emit(data, human)
