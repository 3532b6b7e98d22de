"""`nerv audit ...`: the tamper-evident log of every state change."""

from __future__ import annotations

from pathlib import Path
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
                                        empty="no audit rows match", limit=limit))


@app.command("show")
def show_cmd(entry_id: int = typer.Argument(..., help="Audit row number.")) -> None:
    """Show one audit row: what changed (before/after) and its place in the hash chain. Hashes are cut to
    12 characters; --wide and --json give them whole."""
    from nerv.cli._layout import short_hashes
    from nerv.services import audit

    out.emit(audit.show_entry(_ctx.store(), entry_id), lambda entry: out.kv(short_hashes(entry)))


@app.command("verify")
def verify_cmd(
    against: Optional[str] = typer.Option(None, "--against", help="Also check the chain still holds this anchor: "
                                          "an anchor file, a nerv export, a backup .db, or git:REF (its note)."),
    replay: bool = typer.Option(False, "--replay", help="Also rebuild rules, approval requests, settings, budgets and tasks from "
                                "the log and name the first row that differs from the tables."),
) -> None:
    """Recompute the whole hash chain. Exits 1 and names the first broken row when one was edited,
    deleted, inserted or reordered; with --against, when the anchored head was rewritten or cut off;
    with --replay, when a table holds what the log does not say."""
    from nerv.services import audit

    data = audit.verify(_ctx.store(), against=against, replay=replay)
    out.emit(data, _render_verify)
    if not data["ok"]:
        raise typer.Exit(1)


def _render_verify(d: dict) -> None:
    broken = d["first_broken"]
    if broken:
        out.message(f"audit chain BROKEN at row {broken['id']}: {broken['problem']}", style="red")
    else:
        out.message(f"audit chain ok ({d['rows']} rows)", style="green")
    anchor = d.get("anchor")
    if anchor and anchor["problem"]:
        out.message(f"anchor {anchor['source']} NOT held: {anchor['problem']}", style="red")
    elif anchor:
        out.message(f"anchor {anchor['source']} held (row {anchor['id']}, {anchor['rows']} rows)", style="green")
    replayed = d.get("replay")
    if replayed:
        _render_replay(replayed)


def _render_replay(r: dict) -> None:
    for caveat in r["caveats"]:
        out.warn(caveat)
    first = r["first_difference"]
    if first is None:
        out.message(f"replay ok ({r['rows_replayed']} audit rows rebuild {', '.join(r['tables'])})", style="green")
        return
    where = f"{first['table']} {first['id']}" + (f" column {first['column']}" if first["column"] else "")
    out.message(f"replay DIFFERS ({r['differences']} rows) first at {where}: the log implies "
                f"{first['expected']!r}, the table has {first['actual']!r}", style="red")


@app.command("anchor")
def anchor_cmd(
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the anchor to this file (mode 0600)."),
    git_note: Optional[str] = typer.Option(None, "--git-note", help="Store it as a git note (refs/notes/nerv-audit) "
                                           "on this commit of the repository in the current folder, e.g. HEAD."),
) -> None:
    """Print (or write) the chain head: newest row id, hash, row count, time. Keep it outside the database;
    `nerv audit verify --against` then shows a rewritten, truncated or emptied log."""
    from nerv.services import audit_anchor

    data = audit_anchor.write_anchor(_ctx.store(), output=output, git_ref=git_note)
    if not data["written"]:
        out.emit(data)
        return
    out.emit(data, lambda d: out.message(f"anchored row {d['id']} ({d['rows']} rows) in {', '.join(d['written'])}"))
