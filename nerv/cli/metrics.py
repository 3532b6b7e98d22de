"""`nerv metrics ...`: record numbers (test time, review rounds, anything) and summarise them."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._options import project_option

app = typer.Typer(help="Record and summarise metrics (count, sum, mean, min, p50, p90, p99, max).",
                  no_args_is_help=True)

STATS = ["count", "sum", "mean", "min", "p50", "p90", "p99", "max"]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="metrics")


@app.command("record")
def record(
    name: str = typer.Argument(..., help="Metric name, e.g. test_seconds."),
    value: float = typer.Argument(..., help="The measured value (a finite number)."),
    unit: Optional[str] = typer.Option(None, "--unit", help="Unit, e.g. s, ms, count."),
    task: Optional[str] = typer.Option(None, "--task", help="Task it belongs to (number, id or prefix)."),
    session: Optional[str] = typer.Option(None, "--session", help="Claude session it belongs to."),
    meta: Optional[str] = typer.Option(None, "--meta", help="Extra data as a JSON object."),
    project: Optional[str] = project_option(),
) -> None:
    """Record one value."""
    from nerv.services import metrics

    data = metrics.record_metric(_ctx.store(), name, value, unit=unit, task=task, session=session, meta=meta,
                                 project=project)
    out.emit(data, lambda d: out.message(f"{d['name']} = {d['value']:g}{' ' + d['unit'] if d['unit'] else ''}"))


@app.command("list")
def list_cmd(
    name: Optional[str] = typer.Argument(None, help="Only this metric."),
    since: Optional[str] = typer.Option(None, "--since", help="Recorded on or after: YYYY-MM-DD, ISO time, or 7d."),
    limit: int = typer.Option(100, "--limit", help="At most this many rows."),
) -> None:
    """List recorded values, newest first."""
    from nerv.services import metrics

    rows = metrics.list_metrics(_ctx.store(), name, since=since, limit=limit)
    out.emit(rows, lambda rs: out.table(rs, ["recorded_at", "name", "value", "unit", "task", "session_id", "meta"],
                                        empty="no metrics recorded", limit=limit))


@app.command("summary")
def summary(
    name: str = typer.Argument(..., help="Metric name."),
    by: Optional[str] = typer.Option(None, "--by", help="`day`: one row per UTC day as well."),
    since: Optional[str] = typer.Option(None, "--since", help="Only values recorded on or after this date."),
) -> None:
    """count, sum, mean, min, p50, p90, p99, max of a metric."""
    from nerv.services import metrics

    data = metrics.summarize(_ctx.store(), name, by=by, since=since)

    def human(d: dict) -> None:
        if d.get("days"):
            out.table(d["days"], ["day", *STATS], title=f"{d['name']} by day")
        out.kv({k: d[k] for k in STATS}, title=f"{d['name']}" + (f" ({d['unit']})" if d["unit"] else ""))

    out.emit(data, human)
