"""`nerv db ...`: the database itself."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out

app = typer.Typer(help="Inspect, migrate and maintain the database.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")


@app.command("path")
def path_cmd() -> None:
    """Print the database file path (NERV_DB, else NERV_HOME/state.db)."""
    from nerv.store.paths import db_path

    out.emit({"path": str(db_path())}, lambda d: out.message(d["path"]))


@app.command("status")
def status_cmd() -> None:
    """Show applied and pending migrations and each table's row count (read-only). Exits 1 when migrations are pending."""
    from nerv.services import database

    data = database.status()

    def human(d: dict) -> None:
        out.message(f"database: {d['path']}" + ("" if d["exists"] else " (not created yet)"))
        out.message(f"schema version: {d['current_version']} of {d['latest_version']}")
        for m in d["pending"]:
            out.message(f"pending: {m['version']:04d} {m['name']}", style="yellow")
        if not d["pending"]:
            out.message("up to date", style="green")
        if d["exists"]:
            out.message(f"size: {d['size_bytes'] / 1024:.0f} KiB")
            out.table([{"table": k, "rows": v} for k, v in d["counts"].items()])

    out.emit(data, human)
    if data["pending"]:
        raise typer.Exit(1)


@app.command("migrate")
def migrate_cmd() -> None:
    """Apply pending migrations (every command also does this on start). Backs up a database that holds data first."""
    from nerv.services import database

    data = database.run_migrations()

    def human(d: dict) -> None:
        if not d["applied"]:
            out.message(f"nothing to do: schema version {d['schema_version']}")
        for m in d["applied"]:
            out.message(f"applied {m['version']:04d} {m['name']}")
        if d["backup"]:
            out.message(f"backup taken first: {d['backup']}")

    out.emit(data, human)


@app.command("health")
def health_cmd() -> None:
    """Check WAL mode, foreign keys, schema version and quick_check. Exits 1 when unhealthy."""
    from nerv.services import database

    data = database.health(_ctx.store())
    out.emit(data)
    if not data["healthy"]:
        raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint_cmd(
    mode: str = typer.Option("passive", "--mode", help="passive | full | restart | truncate"),
) -> None:
    """Run a WAL checkpoint and report SQLite's busy / log / checkpointed figures."""
    from nerv.services import database

    out.emit(database.checkpoint(_ctx.store(), mode))


@app.command("backup")
def backup_cmd(
    dest: Optional[str] = typer.Argument(None, help="Backup file (must not exist). Default: "
                                                    "NERV_HOME/backups/state-YYYYmmdd-HHMMSS.db."),
    keep: Optional[int] = typer.Option(None, "--keep", help="Keep only the newest N time-stamped backups in that folder."),
    full_check: bool = typer.Option(False, "--full-check", help="Verify the copy with the full integrity_check "
                                                                "(slow on a large database) instead of quick_check."),
) -> None:
    """Copy the live database online (one consistent snapshot) and verify the copy before reporting it."""
    from nerv.services import backups

    data = backups.backup(_ctx.store(), dest, keep, full_check=full_check)

    def human(d: dict) -> None:
        out.message(f"backup verified ({d['check']}): {d['path']} ({d['rows']} rows, schema {d['schema_version']}, "
                    f"{d['size_bytes']:,} bytes)")
        for path in d["removed"]:
            out.message(f"removed old backup {path}", style="dim")

    out.emit(data, human)


@app.command("restore")
def restore_cmd(
    source: str = typer.Argument(..., help="A backup taken by `nerv db backup` (or any nerv database file)."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: the current database is replaced (after a safety backup)."),
    force: bool = typer.Option(False, "--force", help="Confirm, and restore even over a damaged (corrupt) live "
                                                      "file, which is moved aside instead of backed up."),
) -> None:
    """Verify SOURCE, back up the current database, then restore SOURCE into it (audited)."""
    from nerv.cli.rule import warn_recomputed
    from nerv.errors import NervError
    from nerv.services import backups
    from nerv.store.paths import db_path

    try:
        store = _ctx.store()
    except NervError as err:
        if not (force and err.code == "corrupt"):
            raise
        store = None  # too damaged to open: restore moves it aside
    data = backups.restore(store, source, yes=yes, force=force, live=db_path())

    def human(d: dict) -> None:
        kept = (f"the damaged file was moved aside to {d['corrupt_copy']}" if d.get("corrupt_copy")
                else f"previous state saved to {d['safety_backup']}")
        out.message(f"restored {d['source']} (schema {d['schema_version']}); {kept}")
        warn_recomputed(d["rules_recomputed"])

    out.emit(data, human)


DAMAGE_SHOWN = 10  # integrity_check findings listed for a damaged file (--json has up to 100)


def _human_integrity_check(d: dict) -> None:
    found = d["integrity_check"]
    if not d.get("corrupt"):
        out.message("integrity_check: " + ", ".join(found[:5]))
        return
    out.message(f"the database is damaged; integrity_check found {len(found)} problem(s):", style="red")
    for line in found[:DAMAGE_SHOWN]:
        out.message(f"  {line}", wrap=False)
    if len(found) > DAMAGE_SHOWN:
        out.message(f"  ... {len(found) - DAMAGE_SHOWN} more (--json lists up to 100)", style="dim")


@app.command("vacuum")
def vacuum_cmd() -> None:
    """Rebuild the database file to reclaim free space."""
    from nerv.services import backups

    out.emit(backups.vacuum(_ctx.store()),
             lambda d: out.message(f"vacuumed: {d['size_before']:,} -> {d['size_after']:,} bytes"))


@app.command("integrity")
def integrity_cmd() -> None:
    """Full integrity_check, foreign_key_check and audit chain verification. Exits 1 on any problem; on a
    file too damaged to open, lists what integrity_check finds in it and how to restore."""
    from nerv.env import database_url
    from nerv.errors import NervError
    from nerv.services import backups
    from nerv.store.paths import db_path

    try:
        store = _ctx.store()
    except NervError as err:
        if err.code != "corrupt" or database_url():
            raise
        store = None  # too damaged to open: check the file itself, read-only
    data = backups.integrity(store, live=db_path())

    def human(d: dict) -> None:
        _human_integrity_check(d)
        if d["audit_chain"] is None:
            out.message("foreign keys and audit chain: not checked (the file cannot be opened as a nerv database)")
        else:
            out.message(f"foreign key violations: {len(d['foreign_key_violations'])}")
            for v in d["foreign_key_violations"][:10]:
                out.message(f"  {v['table']} rowid {v['rowid']} -> {v['parent']}", style="red")
            chain = d["audit_chain"]
            out.message(f"audit chain: {'ok' if chain['ok'] else 'BROKEN'}"
                        + (f" ({chain['rows']} rows)" if chain["rows"] is not None else "")
                        + (f" at row {chain['first_broken']['id']}: {chain['first_broken']['problem']}"
                           if chain["first_broken"] and chain["first_broken"]["id"] is not None
                           else f": {chain['first_broken']['problem']}" if chain["first_broken"] else ""))
        for path in d["leftovers_removed"]:
            out.message(f"removed a stale leftover of a killed operation: {path}")
        out.message("ok" if d["ok"] else "problems found", style="green" if d["ok"] else "red")
        if d.get("hint"):
            out.message(f"hint: {d['hint']}")

    out.emit(data, human)
    if not data["ok"]:
        raise typer.Exit(1)


@app.command("copy")
def copy_cmd(
    to: str = typer.Option(..., "--to", help="The target: a postgresql:// URL (the database must exist) or an SQLite "
                                             "file path (created when missing)."),
    force: bool = typer.Option(False, "--force", help="Replace the target's content even when it holds a ledger."),
) -> None:
    """Copy this whole ledger to another database (SQLite or PostgreSQL), verified before it commits."""
    from nerv.services import transfer

    data = transfer.copy_ledger(_ctx.store(), to, force=force, progress=out.progress)

    def human(d: dict) -> None:
        head = d["audit_head"]
        out.message(f"copied {d['rows']} rows of {len(d['tables'])} tables from {d['source']} to {d['target']}")
        out.message(f"verified: row counts, content digest, audit chain (head #{head['id']} {head['hash'][:12]}…)"
                    if head else "verified: row counts and content digest (no audit rows)", style="green")

    out.emit(data, human)
