"""`store.checkpoints`: one project's rows read and written back table by table (nerv.store.queries_checkpoints).
Stdlib only."""

from __future__ import annotations

from nerv.store import queries_checkpoints as q
from nerv.store.area import Area


class CheckpointArea(Area):
    def project_tables(self, project_id: str) -> dict[str, list[dict]]:
        """The project's rows of every checkpointed table this database has, by kind name."""
        return {name: q.project_rows(self._conn, kind, project_id)
                for name, kind in q.KINDS.items() if q.table_exists(self._conn, kind.table)}

    def table_columns(self, table: str) -> list[str]:
        return q.table_columns(self._conn, table)

    def defer_foreign_keys(self, tx) -> None:
        q.defer_foreign_keys(tx.conn)

    def delete_row(self, tx, kind: q.Kind, project_id: str, key: dict) -> None:
        q.delete_row(tx.conn, kind, project_id, key)

    def insert_row(self, tx, kind: q.Kind, row: dict, columns: list[str]) -> None:
        q.insert_row(tx.conn, kind, row, columns)

    def update_row(self, tx, kind: q.Kind, project_id: str, key: dict, changes: dict) -> None:
        q.update_row(tx.conn, kind, project_id, key, changes)
