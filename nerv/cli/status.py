"""`nerv status`: a short dashboard."""

from __future__ import annotations

import typer

from nerv.cli import _ctx, _output as out


def register(root: typer.Typer) -> None:
    root.command("status")(status_cmd)


def status_cmd() -> None:
    """Show the database path, schema version and how many rows each table holds."""
    from nerv.services import database

    data = database.overview(_ctx.store())

    def human(d: dict) -> None:
        out.kv({"database": d["path"], "schema version": d["schema_version"],
                "size": f"{d['size_bytes'] / 1024:.0f} KiB"}, title="nerv")
        out.table([{"table": k, "rows": v} for k, v in d["counts"].items()])

    out.emit(data, human)
