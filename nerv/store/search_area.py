"""`store.search`: the search items, their full-text index and stored vectors (nerv.store.search_index). Stdlib only."""

from __future__ import annotations

from nerv.store import search_index
from nerv.store.area import Area


class SearchArea(Area):
    def state(self) -> tuple[int, str]:
        """(generation, instance): what the vector cache is keyed on."""
        return search_index.state(self._conn)

    def match_for(self, text: str) -> str | None:
        return search_index.match_for(self._conn, text)

    def text_search(self, match: str, *, project_id: str | None, kinds, limit: int) -> list[tuple]:
        return search_index.text_search(self._conn, match, project_id=project_id, kinds=kinds, limit=limit)

    def describe(self, ids: list[int]) -> dict[int, dict]:
        return search_index.describe(self._conn, ids)

    def item_count(self) -> int:
        return search_index.item_count(self._conn)

    def item_ids(self) -> list[int]:
        return search_index.item_ids(self._conn)

    def stale_items(self, embedder: str, since: int = -1) -> list[tuple]:
        return search_index.stale_items(self._conn, embedder, since)

    def vector_rows(self, embedder: str, dim: int, since: int = -1):
        return search_index.vector_rows(self._conn, embedder, dim, since)

    def save_vectors(self, tx, rows: list[tuple]) -> None:
        search_index.save_vectors(tx.conn, rows)

    def mark_vectors_current(self, tx, rows: list[tuple]) -> None:
        search_index.mark_vectors_current(tx.conn, rows)

    def renew_instance(self, tx) -> None:
        """A new identity for the vector cache, after the whole state was replaced (search_index.renew_instance)."""
        search_index.renew_instance(tx.conn)

    def reindex(self, tx) -> dict:
        """Reconcile the items and the full-text index with their source tables; counts of what changed."""
        return search_index.reindex_items(tx.conn)
