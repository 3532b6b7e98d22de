"""`store.transfer`: the tables as export sections, and import's staging database (nerv.store.tables_io). Stdlib only."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from nerv.store import tables_io
from nerv.store.area import Area
from nerv.store.rule_area import RuleArea


class TransferArea(Area):
    def export_sections(self, project_id: str | None) -> list[tables_io.ExportSection]:
        return tables_io.export_sections(self._conn, project_id)

    def iter_rows(self, section: tables_io.ExportSection, project_id: str | None) -> Iterator[list[tuple]]:
        return tables_io.iter_rows(self._conn, section, project_id)

    def staging(self, path: Path) -> tables_io.Staging:
        """A scratch database at `path` with the live schema's state tables, to load a file into."""
        return tables_io.Staging.for_live(self._conn, path)

    def staged_rules(self, staging: tables_io.Staging) -> RuleArea:
        """The rule area of the staging database (its rules are checked by nerv.rules.rows.reconcile)."""
        return RuleArea(staging.conn)

    @contextmanager
    def attached(self, staging: tables_io.Staging):
        """The staging file attached to the live connection, so a write body can apply it."""
        tables_io.attach(self._conn, staging)
        try:
            yield
        finally:
            tables_io.detach(self._conn, staging)

    def apply_replace(self, tx, staging: tables_io.Staging) -> tables_io.ApplyReport:
        return tables_io.apply_replace(tx.conn, staging)

    def apply_merge(self, tx, staging: tables_io.Staging, *, audit_is_full_chain: bool) -> tables_io.ApplyReport:
        return tables_io.apply_merge(tx.conn, staging, audit_is_full_chain=audit_is_full_chain)

    def copy_snapshot(self) -> dict:
        """Row counts, audit head and content digest of the state (call inside the copy's read transaction)."""
        return tables_io.copy_snapshot(self._conn)

    def replace_all(self, staging: tables_io.Staging, expected: dict, *, force: bool) -> dict:
        """`nerv db copy`'s one unaudited transaction on this (target) database (nerv.store.tables_io.replace_all)."""
        return tables_io.replace_all(self._conn, staging, expected, force=force)

    def has_state(self) -> bool:
        """Whether this database holds any state row besides the audit log (a fresh one holds none)."""
        from nerv.store.schema_info import state_table_names

        return tables_io.has_state_rows(self._conn, state_table_names(self._conn))
