"""`nerv lease ...`: path leases, an agent's hold on files that the PreToolUse hook enforces (docs/tasks.md)."""

from __future__ import annotations

from typing import List, Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._layout import moment
from nerv.cli._options import ALL, agent_option, project_option

app = typer.Typer(help="Path leases: an agent's hold on files; other agents' writes there are denied "
                       "(docs/tasks.md, \"Path leases\").", no_args_is_help=True)
COLUMNS = ["id", "agent", "task", "pattern", "expires_at", "state"]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="lease")


def _warn_overlaps(overlaps: list[dict]) -> None:
    for o in overlaps:
        task = f" for {o['task']} {o['task_title']}" if o.get("task") else ""
        out.warn(f"{o['yours']} may overlap lease #{o['id']} ({o['pattern']}) held by {o['agent']}{task} "
                 f"until {moment(o['expires_at'])}: coordinate with {o['agent']}")


def show_leases(rows: list[dict], verb: str) -> None:
    for r in rows:
        task = f" for {r['task']} {r['task_title']}" if r.get("task") else ""
        out.message(f"lease #{r['id']} {verb}: {r['pattern']} ({r['agent']}{task}) until {moment(r['expires_at'])}")


@app.command("add")
def add(patterns: List[str] = typer.Argument(..., help="Gitignore-style patterns, as in Edit rules: src/auth/**, "
                                                          "/docs/*.md (relative to the repo root)."),
        agent: Optional[str] = agent_option("The holder"),
        task: Optional[str] = typer.Option(None, "--task", help="The task the lease is for."),
        ttl: Optional[str] = typer.Option(None, "--ttl", help="How long: 90s, 30m, 2h, 1d (default: the task's "
                                                              "claim expiry, else tasks.default_lease)."),
        project: Optional[str] = project_option()) -> None:
    """Lease paths to an agent: other agents' Edit/Write and shell writes there are denied until it ends."""
    from nerv.services import leases

    data = leases.add(_ctx.store(), patterns, agent=agent, task=task, ttl=ttl, project=project)

    def human(d: dict) -> None:
        show_leases(d["leases"], "added")
        _warn_overlaps(d["overlaps"])

    out.emit(data, human)


@app.command("list")
def list_cmd(all_: bool = typer.Option(False, "--all", help="Also released and expired leases."),
             agent: Optional[str] = typer.Option(None, "--agent", help="Only this agent's leases."),
             project: Optional[str] = project_option(ALL, "Only this project's leases")) -> None:
    """Live path leases (every project), oldest first."""
    from nerv.services import leases

    rows = leases.list_leases(_ctx.store(), include_all=all_, agent=agent, project=project)
    out.emit(rows, lambda rs: out.table(rs, COLUMNS, empty="no path lease is live" if not all_ else "no path lease"))


@app.command("release")
def release(lease_id: Optional[int] = typer.Argument(None, help="The lease to release."),
            agent: Optional[str] = typer.Option(None, "--agent", help="Release every lease of this agent."),
            task: Optional[str] = typer.Option(None, "--task", help="Release every lease of this task."),
            project: Optional[str] = project_option(what="Project of a task number")) -> None:
    """Release a lease by id, or all leases of an agent or of a task."""
    from nerv.services import leases

    rows = leases.release(_ctx.store(), lease_id, agent=agent, task=task, project=project)
    out.emit(rows, lambda rs: show_leases(rs, "released") if rs else out.message("no lease to release"))
