"""`store.admin`: the database as a file (schema version, health, checkpoints, vacuum, backups) and retention.
Stdlib only."""

from __future__ import annotations

from pathlib import Path

from nerv.store import admin, dialect, migrate, queries_retention, rule_rows, sqlite_backup
from nerv.store.area import Area
from nerv.store.sqlite import as_nerv_errors


class AdminArea(Area):
    def applied_migrations(self) -> list[dict]:
        with as_nerv_errors():
            return migrate.applied_migrations(self._conn)

    def pending_migrations(self) -> list[migrate.Migration]:
        plan = migrate.load_plan(dialect=dialect.name(self._conn))
        return migrate.check_plan(plan, migrate.applied_migrations(self._conn))

    def apply_migrations(self, pending: list[migrate.Migration]) -> list[migrate.Migration]:
        return migrate.apply_pending(self._conn, pending)

    def table_counts(self) -> dict[str, int]:
        with as_nerv_errors():
            return admin.table_counts(self._conn)

    def schema_version(self) -> int:
        return admin.schema_version(self._conn)

    def health(self) -> dict:
        with as_nerv_errors():  # a file damaged past what quick_check reports: `corrupt`
            if dialect.name(self._conn) == dialect.POSTGRESQL:
                return admin.server_health(self._conn)
            return admin.health(self._conn)

    def checkpoint(self, mode: str = "passive") -> dict:
        return admin.checkpoint(self._conn, mode)

    def integrity(self) -> dict:
        with as_nerv_errors():
            return admin.integrity(self._conn)

    def vacuum(self) -> None:
        admin.vacuum(self._conn)

    def snapshot_backup(self, dest: Path) -> dict:
        """Copy the live database to `dest` and describe the copy (nerv.store.sqlite_backup.snapshot_backup)."""
        return sqlite_backup.snapshot_backup(self._conn, dest)

    def restore_from(self, source: Path) -> None:
        """Replace the live database's content with the checked copy at `source`."""
        sqlite_backup.restore_into(self._conn, source)

    def dump_rules(self, dump: Path) -> list[dict]:
        """The approval rules in a pg_dump, as RuleArea.derived_rows gives them (rule_rows.dump_rows)."""
        return rule_rows.dump_rows(dump)

    def retention_missing(self, target: queries_retention.Target) -> str | None:
        """Why `target` cannot be pruned in this database (its table is missing), or None."""
        return queries_retention.missing_reason(self._conn, target)

    def count_older(self, target: queries_retention.Target, cutoff: str) -> int:
        return queries_retention.count_older(self._conn, target, cutoff)

    def delete_older(self, tx, target: queries_retention.Target, cutoff: str) -> tuple[int, int]:
        """(deleted, cascaded) rows of `target` older than `cutoff`."""
        return queries_retention.delete_older(tx.conn, target, cutoff)
