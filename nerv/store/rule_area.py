"""`store.rules`: the SQL side of the rule lookup; which rules can decide a call is nerv.rules.candidates. Stdlib
only (the hook reads rules through `RuleArea(conn)`)."""

from __future__ import annotations

from nerv.store import queries_approvals as q, rule_rows
from nerv.store.area import Area


class RuleArea(Area):
    def candidate_rows(self, project_id: str | None, allow_tools: list[str], *, mcp_server: str | None, bash: bool,
                       file_rules: bool, bash_prefixes, deny_ask: bool = True) -> list[tuple]:
        """Rule rows deny, ask, then allow (nerv.store.queries_approvals.candidate_rows)."""
        return q.candidate_rows(self._conn, project_id, allow_tools, mcp_server=mcp_server, bash=bash,
                                file_rules=file_rules, bash_prefixes=bash_prefixes, deny_ask=deny_ask)

    def deny_ask_rows(self, project_id: str | None) -> list[tuple]:
        return q.deny_ask_rows(self._conn, project_id)

    def kept(self) -> dict | None:
        """A place to keep what is worked out from these rows, when they cannot change under it (the hook daemon's
        replica, nerv.store.queries_hook_cache.FrozenLedger); None for a live database."""
        return getattr(self._conn, "kept", None)

    def longest_bash_allow_prefix(self) -> int:
        return q.longest_bash_allow_prefix(self._conn)

    def derived_rows(self) -> list[dict]:
        """Every rule's id, action, text and stored derived columns (nerv.store.rule_rows.derived_rows)."""
        return rule_rows.derived_rows(self._conn)

    def rewrite_derived(self, changes: list[tuple[int, dict]]) -> None:
        """Set derived columns of rules, [(id, {column: value})], in one transaction (or the caller's)."""
        rule_rows.rewrite_derived(self._conn, changes)
