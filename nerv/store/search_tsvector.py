"""Full-text search on PostgreSQL: tsvector over search_items, a GIN index (migrations/0006_knowledge.postgresql.sql).

The twin of nerv.store.search_fts5, with the same functions and the same result shape. The words
(nerv.store.search_index.fts_terms: letters and digits only, so no tsquery syntax can come from user
input) are ORed into a `to_tsquery('english', ...)`; the `english` configuration stems them as FTS5's
porter tokenizer does, and drops English stop words. The match uses the index's own expression
(`to_tsvector('english', title || ' ' || body)`); the ranking, on the matching rows only, is `ts_rank`
over title weighted A and body B, with weights making a title hit count twice a body hit, as the FTS5
ranking does. Scores are negated ranks, so that lower is better on both backends.
"""

from __future__ import annotations

_DOCUMENT = "to_tsvector('english', s.title || ' ' || s.body)"
_WEIGHTED = "setweight(to_tsvector('english', s.title), 'A') || setweight(to_tsvector('english', s.body), 'B')"
_WEIGHTS = "'{0, 0, 0.5, 1}'"  # D, C, B (body), A (title)


def match(terms: list[str]) -> str | None:
    return " | ".join(f"'{term}'" for term in terms) or None


def count_holding(conn, term: str, cap: int) -> int:
    """How many items hold `term`, counted up to `cap`."""
    return conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM search_items s WHERE {_DOCUMENT}"
                        " @@ to_tsquery('english', ?) LIMIT ?) held", (match([term]), cap)).fetchone()[0]


def ranked(conn, match_text: str, where: str, params: list, limit: int) -> list[tuple]:
    """(search_items.id, -ts_rank) best first, ties by id; `where` filters search_items `s` (" AND ...")."""
    sql = (f"SELECT s.id, -ts_rank({_WEIGHTS}, {_WEIGHTED}, q.query) AS score"
           " FROM search_items s, to_tsquery('english', ?) AS q(query)"
           f" WHERE {_DOCUMENT} @@ q.query{where} ORDER BY score, s.id LIMIT ?")
    return [(rowid, float(score)) for rowid, score in conn.execute(sql, (match_text, *params, limit))]


def rebuild(conn) -> None:
    """Nothing to rebuild: the GIN index follows search_items row by row."""
