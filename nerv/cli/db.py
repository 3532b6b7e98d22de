"""`nerv db ...`: the database itself."""

from __future__ import annotations

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
    """Show applied and pending migrations (read-only). Exits 1 when migrations are pending."""
    from nerv.services import database

    data = database.status()

    def human(d: dict) -> None:
        out.message(f"database: {d['path']}" + ("" if d["exists"] else " (not created yet)"))
        out.message(f"schema version: {d['current_version']} of {d['latest_version']}")
        for m in d["pending"]:
            out.message(f"pending: {m['version']:04d} {m['name']}", style="yellow")
        if not d["pending"]:
            out.message("up to date", style="green")

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

    data = database.health(_ctx.store(orm=False))
    out.emit(data)
    if not data["healthy"]:
        raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint_cmd(
    mode: str = typer.Option("passive", "--mode", help="passive | full | restart | truncate"),
) -> None:
    """Run a WAL checkpoint and report SQLite's busy / log / checkpointed figures."""
    from nerv.services import database

    out.emit(database.checkpoint(_ctx.store(orm=False), mode))
