"""`nerv agent ...`: who is working."""

from __future__ import annotations

import typer

from nerv.cli import _ctx, _output as out

app = typer.Typer(help="Agents seen by claims, heartbeats and sessions.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="agent")


def _short(ts: str | None) -> str | None:
    return ts[:19].replace("T", " ") if ts else None


@app.command("list")
def list_cmd() -> None:
    """Each agent: what it holds, last heartbeat, last seen, sessions, stale or not."""
    from nerv.services import claims

    rows = claims.list_agents(_ctx.store())
    out.emit(rows, lambda rs: out.table(
        [{**r, "holds": [h["ref"] for h in r["holds"]], "stale": "stale" if r["stale"] else "",
          "last_heartbeat_at": _short(r["last_heartbeat_at"]), "last_seen_at": _short(r["last_seen_at"])} for r in rs],
        ["name", "holds", "last_heartbeat_at", "last_seen_at", "sessions", "stale"], empty="no agent seen yet"))
