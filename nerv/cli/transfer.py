"""`nerv export` and `nerv import`: the state as a portable, verifiable document."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._options import ALL, project_option


def register(root: typer.Typer) -> None:
    root.command("export")(export_cmd)
    root.command("import")(import_cmd)


def export_cmd(
    file_format: str = typer.Option("json", "--format", help="json (one document) or jsonl (one row per line)."),
    project: Optional[str] = project_option(ALL, "Only this project's rows"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (mode 0600) instead of stdout."),
) -> None:
    """Export every table (audit log included) with a header: format, schema and nerv versions, time."""
    from nerv.services import transfer

    # peewee is only needed to resolve --project; the rows are read with the raw connection.
    store = _ctx.store()
    if output is None:
        transfer.export_state(store, file_format=file_format, project_ref=project, stream=out.document_stream())
        return
    data = transfer.export_state(store, file_format=file_format, project_ref=project, output=output,
                                 progress=out.progress)
    out.emit(data, lambda d: out.message(f"exported {d['rows']} rows from {len(d['tables'])} tables to {d['path']}"))


def import_cmd(
    file: Path = typer.Argument(..., help="An export written by `nerv export` (json or jsonl)."),
    mode: str = typer.Option("merge", "--mode", help="merge (upsert by id, file wins) or replace (needs --yes)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report what would change; write nothing."),
    yes: bool = typer.Option(False, "--yes", help="Confirm --mode replace (the current state is replaced)."),
) -> None:
    """Validate the whole file, then apply it in one transaction; one bad row imports nothing."""
    from nerv.cli.rule import warn_recomputed
    from nerv.services import transfer

    data = transfer.import_state(_ctx.store(), file, mode=mode, dry_run=dry_run, yes=yes)

    def human(d: dict) -> None:
        verb = "would import" if d["dry_run"] else "imported"
        out.message(f"{verb} {d['rows']} rows ({d['mode']}) from {d['file']}")
        rows = [{"table": n, **t} for n, t in d["tables"].items() if t["rows"]]
        out.table(rows, ["table", "rows", "inserted", "updated", "unchanged"])
        if d["conflict_count"]:
            out.message(f"{d['conflict_count']} rows differed and were overwritten by the file's version", style="yellow")
        out.message(f"audit rows: {d['audit'].get('mode', 'none')}" +
                    (f" ({d['audit']['reason']})" if d["audit"].get("reason") else ""))
        if d["skipped_tables"]:
            out.message(f"tables this schema does not have (skipped): {', '.join(d['skipped_tables'])}", style="yellow")
        if d["safety_backup"]:
            out.message(f"safety backup: {d['safety_backup']}")
        warn_recomputed(d["rules_recomputed"])

    out.emit(data, human)
