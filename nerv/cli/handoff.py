"""`nerv handoff save|show`: continue points and the resume brief (docs/knowledge.md)."""

from __future__ import annotations

from typing import List, Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._options import agent_option, project_option

app = typer.Typer(help="Where work stopped, and a compact brief to resume it.", no_args_is_help=True)
ProjectOpt = project_option()
AgentOpt = agent_option()
TaskOpt = typer.Option(None, "--task", help="Task number, id or id prefix (default: the task the agent holds).")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="handoff")


@app.command("save")
def save(
    text: str = typer.Argument(..., help="What was done last and where it stopped."),
    task: Optional[str] = TaskOpt,
    next_steps: Optional[List[str]] = typer.Option(None, "--next", help="A next step (repeatable, in order)."),
    files: Optional[List[str]] = typer.Option(None, "--file",
                                              help="PATH or PATH:LINE where work stopped (repeatable)."),
    agent: Optional[str] = AgentOpt,
    project: Optional[str] = ProjectOpt,
) -> None:
    """Save a continue point for a task (or the project)."""
    from nerv.services import handoffs

    data = handoffs.save_handoff(_ctx.store(), text, task=task, next_steps=next_steps, files=files, agent=agent,
                                 project=project)
    out.emit(data, lambda d: out.message(
        f"handoff saved for task #{d['task']['number']}" if d["task"] else "handoff saved (no task)"))


@app.command("show")
def show(task: Optional[str] = TaskOpt, agent: Optional[str] = AgentOpt,
         project: Optional[str] = ProjectOpt) -> None:
    """Print the resume brief: task, dependencies, last handoff, recent decisions and learnings."""
    from nerv.services import handoffs

    data = handoffs.show_handoff(_ctx.store(), task=task, agent=agent, project=project)
    out.emit(data, lambda d: out.message(d["brief"]))
