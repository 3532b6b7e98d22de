"""`store.rules`: the stored approval rules. Stdlib only."""

from __future__ import annotations

from nerv.store import queries_approvals
from nerv.store.area import Area


class RuleArea(Area):
    def candidates(self, tool: str, tool_input, project_id: str | None) -> list:
        """The rules that could decide this call, deny first (nerv.store.queries_approvals.candidate_rules)."""
        return queries_approvals.candidate_rules(self._conn, tool, tool_input, project_id)
