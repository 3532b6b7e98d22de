"""`nerv cycle ...`: time boxes of work with progress and velocity."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._options import project_option

app = typer.Typer(help="Cycles: one active per project; progress and velocity (docs/tasks.md).",
                  no_args_is_help=True)
ProjectOpt = project_option()


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="cycle")


def _progress(row: dict) -> str:
    p = row["progress"]
    return f"{p['done']}/{p['total']}"


def _velocity_lines(v: dict) -> None:
    if not v["closed_cycles"]:
        out.message("velocity: no closed cycle yet", style="dim")
        return
    for key, unit in (("tasks", "tasks done"), ("days", "days")):
        s = v[key]
        out.message(f"{unit} per cycle over {v['closed_cycles']} closed: mean {s['mean']:g}, "
                    f"median {s['median']:g}, p90 {s['p90']:g}")


@app.command("start")
def start(goal: str = typer.Argument(..., help="What this cycle is for."), project: Optional[str] = ProjectOpt) -> None:
    """Start the next cycle (refused while one is active)."""
    from nerv.services import cycles

    data = cycles.start_cycle(_ctx.store(), goal, project)
    out.emit(data, lambda d: out.message(f"cycle {d['number']} started: {d['goal']}"))


@app.command("list")
def list_cmd(project: Optional[str] = ProjectOpt) -> None:
    """List cycles with progress (done/total); text output adds the velocity (`nerv cycle velocity`)."""
    from nerv.services import cycles

    store = _ctx.store()
    rows = cycles.list_cycles(store, project)

    def human(rs: list[dict]) -> None:
        out.table([{**c, "progress": _progress(c), "started": c["started_at"][:16].replace("T", " ")}
                   for c in rs],
                  ["number", "status", "goal", "progress", "started", "days"],
                  empty="no cycles yet: `nerv cycle start GOAL`")
        _velocity_lines(cycles.project_velocity(store, project))

    out.emit(rows, human)


@app.command("velocity")
def velocity_cmd(project: Optional[str] = ProjectOpt) -> None:
    """Tasks done and days taken per closed cycle: mean, median and p90."""
    from nerv.services import cycles

    out.emit(cycles.project_velocity(_ctx.store(), project), _velocity_lines)


def _show(d: dict) -> None:
    out.kv({"status": d["status"], "progress": _progress(d), "started": d["started_at"], "closed": d["closed_at"],
            "days": d["days"], "learnings": d["learnings"]}, title=f"cycle {d['number']}: {d['goal']}")
    if d.get("tasks"):
        out.table(d["tasks"], ["ref", "title", "status", "assignee"])
    if d.get("velocity"):
        _velocity_lines(d["velocity"])


@app.command("show")
def show(number: Optional[int] = typer.Argument(None, help="Cycle number (default: active, else latest)."),
         project: Optional[str] = ProjectOpt) -> None:
    """Show a cycle: tasks, progress, velocity."""
    from nerv.services import cycles

    out.emit(cycles.show_cycle(_ctx.store(), number, project), _show)


@app.command("current")
def current(project: Optional[str] = ProjectOpt) -> None:
    """The active cycle (exit 1 when none)."""
    from nerv.services import cycles

    out.emit(cycles.current_cycle(_ctx.store(), project), _show)


@app.command("close")
def close(learnings: Optional[str] = typer.Option(None, "--learnings", help="What this cycle taught (also recorded as a learning of the cycle, tagged retro)."),
          carry_over: bool = typer.Option(False, "--carry-over",
                                          help="Move open tasks to a new next cycle instead of refusing."),
          next_goal: Optional[str] = typer.Option(None, "--next-goal", help="Goal of the cycle --carry-over starts."),
          project: Optional[str] = ProjectOpt) -> None:
    """Close the active cycle (refused, with the list, while its tasks are open, unless --carry-over)."""
    from nerv.services import cycles

    data = cycles.close_cycle(_ctx.store(), learnings=learnings, carry_over=carry_over, next_goal=next_goal,
                              project=project)

    def human(d: dict) -> None:
        out.message(f"cycle {d['number']} closed ({_progress(d)} done)")
        if d["learning_number"]:
            out.message(f"learnings recorded as learning {d['learning_number']} (`nerv learnings --cycle {d['number']}`)")
        if d["next_cycle"]:
            out.message(f"cycle {d['next_cycle']['number']} started with {', '.join(d['carried_over'])}")

    out.emit(data, human)
