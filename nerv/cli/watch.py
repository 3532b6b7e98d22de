"""`nerv watch`: the `nerv status` dashboard kept on screen, read-only."""

from __future__ import annotations

import typer

from nerv.cli import _ctx, _output as out
from nerv.errors import usage

INTERVAL_MIN, INTERVAL_MAX = 0.2, 3600.0


def register(root: typer.Typer) -> None:
    root.command("watch")(watch_cmd)


def watch_cmd(
    interval: float = typer.Option(2.0, "--interval", "-n", help=f"Seconds between refreshes "
                                                                 f"({INTERVAL_MIN:g} to {INTERVAL_MAX:g})."),
) -> None:
    """Show the dashboard full screen, refreshed in place; `q` or Ctrl-C quits. Opens the database read-only."""
    from nerv.cli._dashboard import View
    from nerv.services import dashboard

    if out.mode.json:
        raise usage("`nerv watch` draws a screen for people", "use `nerv status --json` for one document")
    if not INTERVAL_MIN <= interval <= INTERVAL_MAX:
        raise usage(f"--interval must be between {INTERVAL_MIN:g} and {INTERVAL_MAX:g} seconds, got {interval:g}")
    store = _ctx.readonly_store()
    out.live(lambda: View(dashboard.snapshot(store)), interval)
