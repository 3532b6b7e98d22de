"""`nerv agent ...`: who is working."""

from __future__ import annotations

import typer

from nerv.cli import _ctx, _output as out

app = typer.Typer(help="Agents seen by claims, heartbeats and sessions.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="agent")


@app.command("list")
def list_cmd() -> None:
    """Each agent: what it holds, last heartbeat, last seen, sessions, stale or not."""
    from nerv.services import claims

    rows = claims.list_agents(_ctx.store())
    out.emit(rows, lambda rs: out.table(
        [{**r, "holds": [h["ref"] for h in r["holds"]], "stale": "stale" if r["stale"] else ""} for r in rs],
        ["name", "holds", "last_heartbeat_at", "last_seen_at", "sessions", "stale"],
        headers={"last_heartbeat_at": "heartbeat", "last_seen_at": "seen"}, empty="no agent seen yet"))
