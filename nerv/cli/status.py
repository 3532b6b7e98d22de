"""`nerv status`: the dashboard, once. `nerv watch` (nerv/cli/watch.py) keeps it on screen."""

from __future__ import annotations

import typer

from nerv.cli import _ctx, _output as out

UTC_HELP = "Full UTC time stamps instead of `5m ago`."
WIDE_HELP = "Let long titles, paths and summaries wrap instead of cutting them to the terminal width."


def register(root: typer.Typer) -> None:
    root.command("status")(status_cmd)


def status_cmd(
    utc: bool = typer.Option(False, "--utc", help=UTC_HELP),
    wide: bool = typer.Option(False, "--wide", help=WIDE_HELP),
) -> None:
    """Who holds what, what needs a person, queues, spend against budgets, database health."""
    from nerv.services import dashboard

    data = dashboard.snapshot(_ctx.store())

    def human(d: dict) -> None:
        from nerv.cli._dashboard import View

        out.render(View(d, utc=utc, wide=wide))

    out.emit(data, human)
