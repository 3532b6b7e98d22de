"""`nerv learn TEXT` and `nerv learnings`: what was found out, per project (docs/knowledge.md)."""

from __future__ import annotations

from typing import List, Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._options import agent_option, project_option

ProjectOpt = project_option()


def register(root: typer.Typer) -> None:
    root.command("learn")(learn)
    root.command("learnings")(learnings)


def learn(
    text: str = typer.Argument(..., help="The learning, in a sentence or a paragraph."),
    task: Optional[str] = typer.Option(None, "--task", help="Task it came from (number, id or id prefix)."),
    cycle: Optional[int] = typer.Option(None, "--cycle", help="Cycle number (default: the active cycle)."),
    tags: Optional[List[str]] = typer.Option(None, "--tag", help="A tag (repeatable)."),
    agent: Optional[str] = agent_option(),
    project: Optional[str] = ProjectOpt,
) -> None:
    """Record a learning."""
    from nerv.services import learnings as service

    data = service.add_learning(_ctx.store(), text, task=task, cycle=cycle, tags=tags, agent=agent, project=project)
    out.emit(data, lambda d: out.message(f"learning {d['number']} recorded"))


def learnings(
    cycle: Optional[int] = typer.Option(None, "--cycle", help="Only learnings of this cycle number."),
    task: Optional[str] = typer.Option(None, "--task", help="Only learnings of this task."),
    tag: Optional[str] = typer.Option(None, "--tag", help="Only learnings with this tag."),
    limit: int = typer.Option(200, "--limit", help="At most this many (newest first)."),
    project: Optional[str] = ProjectOpt,
) -> None:
    """List learnings, newest first."""
    from nerv.services import learnings as service

    rows = service.list_learnings(_ctx.store(), cycle=cycle, task=task, tag=tag, limit=limit, project=project)
    out.emit(rows, lambda rs: out.table(
        [{**r, "task": f"#{r['task_number']}" if r["task_number"] else "", "tags": r["tags"]} for r in rs],
        ["number", "text", "tags", "task", "cycle_number", "agent", "created_at"],
        headers={"number": "#", "cycle_number": "cycle"}, empty="no learnings yet: `nerv learn TEXT`",
        limit=limit))
