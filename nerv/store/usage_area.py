"""`store.usage`: API calls, their prices and costs. Stdlib only."""

from __future__ import annotations

from nerv.store import ingest, queries_budgets, queries_costs
from nerv.store.area import Area


class UsageArea(Area):
    def price_overrides(self) -> dict:
        """The prices set with `nerv cost price`, by model (nerv.store.ingest.load_price_overrides)."""
        return ingest.load_price_overrides(self._conn)

    def recompute(self, tx) -> dict:
        """Price every stored call again with today's prices (nerv.store.queries_costs.recompute_costs)."""
        return queries_costs.recompute_costs(tx.conn, tx.now)

    def spent_since(self, project_id: str | None, since: str) -> float:
        """USD spent since `since`, of one project or (None) of all."""
        return queries_budgets.spent_since(self._conn, project_id, since)
