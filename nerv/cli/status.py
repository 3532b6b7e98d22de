"""`nerv status`: the dashboard, once. `nerv watch` (nerv/cli/watch.py) keeps it on screen."""

from __future__ import annotations

import typer

from nerv.cli import _ctx, _output as out


def register(root: typer.Typer) -> None:
    root.command("status")(status_cmd)


def status_cmd() -> None:
    """Who holds what, what needs a person, queues, spend against budgets, database health (fits the terminal;
    the global --utc and --wide give full time stamps and uncut text)."""
    from nerv.services import dashboard

    data = dashboard.snapshot(_ctx.store())

    def human(d: dict) -> None:
        from nerv.cli._dashboard import View

        out.render(View(d))

    out.emit(data, human)
