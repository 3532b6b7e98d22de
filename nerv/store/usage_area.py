"""`store.usage`: API calls, their prices and costs. Stdlib only."""

from __future__ import annotations

from nerv.store import ingest, queries_costs
from nerv.store.area import Area


class UsageArea(Area):
    def price_overrides(self) -> dict:
        """The prices set with `nerv cost price`, by model (nerv.store.ingest.load_price_overrides)."""
        return ingest.load_price_overrides(self._conn)

    def recompute(self, tx) -> dict:
        """Price every stored call again with today's prices (nerv.store.queries_costs.recompute_costs)."""
        return queries_costs.recompute_costs(tx.conn, tx.now)

    def cost_groups(self, by: str | None, *, since=None, until=None, project_id=None, cost_mode: str = "auto",
                    breakdown: str | None = None) -> dict:
        """Spend totals and groups of a range (nerv.store.queries_costs.cost_groups)."""
        return queries_costs.cost_groups(self._conn, by, since=since, until=until, project_id=project_id,
                                         cost_mode=cost_mode, breakdown=breakdown)

    def spend_by_day(self, first_day: str, project_id: str | None = None) -> float:
        """US$ spent from `first_day` on, from the daily rollup."""
        return queries_costs.spend_by_day(self._conn, first_day, project_id)

    def calls_between(self, since: str, until: str | None, project_id: str | None) -> list[tuple]:
        return queries_costs.calls_between(self._conn, since, until, project_id)

    def unpriced_models(self) -> dict[str, int]:
        """{model: API calls} of the stored calls whose model has no price."""
        return queries_costs.unpriced_models(self._conn)
