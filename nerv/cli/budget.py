"""`nerv budget ...`: daily, monthly and per-task spending limits, with a CI gate."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._options import ALL, CURRENT_OR_GLOBAL, global_option, project_option, scope_label

app = typer.Typer(help="Spending budgets: set, status, check (exit 1 when exceeded), rm (docs/costs.md).",
                  no_args_is_help=True)

ProjectOpt = project_option(CURRENT_OR_GLOBAL)
GlobalOpt = global_option("a budget across all projects")
COLUMNS = ["project", "period", "limit_usd", "spent_usd", "used", "state", "hard"]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="budget")


@app.command("set")
def set_cmd(
    project: Optional[str] = ProjectOpt,
    daily: Optional[float] = typer.Option(None, "--daily", help="US$ per UTC day."),
    monthly: Optional[float] = typer.Option(None, "--monthly", help="US$ per UTC calendar month."),
    per_task: Optional[float] = typer.Option(None, "--per-task", help="US$ per task (the API calls attributed to it)."),
    soft: bool = typer.Option(False, "--soft", help="Only warn; never block tool calls even with budget.enforce."),
    everywhere: bool = GlobalOpt,
) -> None:
    """Create or change budgets."""
    from nerv.services import budgets

    rows = budgets.set_budgets(_ctx.store(), project=project, daily=daily, monthly=monthly, per_task=per_task,
                               soft=soft, everywhere=everywhere)
    out.emit(rows, lambda rs: out.message(", ".join(f"{r['period']} ${r['limit_usd']:,g}" for r in rs)
                                          + f" set ({scope_label(rs[0])})"))


@app.command("rm")
def rm(
    period: str = typer.Argument(..., help="daily, monthly or per-task."),
    project: Optional[str] = ProjectOpt,
    everywhere: bool = GlobalOpt,
) -> None:
    """Remove one budget."""
    from nerv.services import budgets

    data = budgets.remove_budget(_ctx.store(), period, project=project, everywhere=everywhere)
    out.emit(data, lambda d: out.message(f"{d['period']} budget removed ({scope_label(d)})"))


def _show(states: list[dict]) -> None:
    out.table([{**s, "used": f"{s['used'] * 100:.0f}%", "hard": "hard" if s["hard"] else "soft"} for s in states],
              COLUMNS, empty="no budgets: `nerv budget set --daily 20`")


@app.command("status")
def status(project: Optional[str] = project_option(ALL, "Only budgets applying to this project")
           ) -> None:
    """What each budget allows and what was spent against it."""
    from nerv.services import budgets

    out.emit(budgets.status(_ctx.store(), project=project), _show)


@app.command("check")
def check(project: Optional[str] = project_option(ALL, "Only budgets applying to this project")
          ) -> None:
    """Exit 1 when a budget is exceeded, naming it (for CI)."""
    from nerv.services import budgets

    states = budgets.status(_ctx.store(), project=project)
    over = [s for s in states if s["state"] == "exceeded"]
    out.emit({"ok": not over, "exceeded": over, "budgets": states},
             lambda d: out.message("budgets ok" if d["ok"] else "\n".join(
                 "exceeded: " + s["summary"] for s in d["exceeded"])))
    if over:
        raise typer.Exit(1)
