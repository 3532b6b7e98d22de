"""`nerv audit ...`: the tamper-evident log of every state change."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out

app = typer.Typer(help="List, show and verify the hash-chained audit log.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="audit")


@app.command("list")
def list_cmd(
    entity: Optional[str] = typer.Option(None, "--entity", help="Only rows about this kind of thing (task, project...)."),
    entity_id: Optional[str] = typer.Option(None, "--id", help="Only rows about this id (or id prefix)."),
    actor: Optional[str] = typer.Option(None, "--actor", help="Only rows written by this actor."),
    since: Optional[str] = typer.Option(None, "--since", help="YYYY-MM-DD, an ISO time, or 12h / 7d / 2w ago."),
    limit: int = typer.Option(50, "--limit", help="At most this many rows (newest first)."),
) -> None:
    """List audit rows, newest first."""
    from nerv.services import audit

    rows = audit.list_entries(_ctx.store(), entity=entity, entity_id=entity_id, actor=actor, since=since, limit=limit)
    out.emit(rows, lambda rs: out.table(rs, ["id", "ts", "actor", "action", "entity", "entity_id"],
                                        empty="no audit rows match"))


@app.command("show")
def show_cmd(entry_id: int = typer.Argument(..., help="Audit row number.")) -> None:
    """Show one audit row: what changed (before/after) and its place in the hash chain."""
    from nerv.services import audit

    out.emit(audit.show_entry(_ctx.store(), entry_id))


@app.command("verify")
def verify_cmd() -> None:
    """Recompute the whole hash chain. Exits 1 and names the first broken row when one was edited,
    deleted, inserted or reordered."""
    from nerv.services import audit

    data = audit.verify(_ctx.store(orm=False))

    def human(d: dict) -> None:
        if d["ok"]:
            out.message(f"audit chain ok ({d['rows']} rows)", style="green")
        else:
            broken = d["first_broken"]
            out.message(f"audit chain BROKEN at row {broken['id']}: {broken['problem']}", style="red")

    out.emit(data, human)
    if not data["ok"]:
        raise typer.Exit(1)
