"""Full-text search on SQLite: the FTS5 table search_fts (migrations/0006_knowledge.sql). Stdlib only.

The twin of nerv.store.search_tsvector, with the same functions; nerv.store.dialect.full_text(conn)
picks one. A match is the MATCH expression `"word" OR "word"`: each word quoted, so FTS5 syntax in
user input is never interpreted. Scores are BM25's: lower is better.
"""

from __future__ import annotations


def match(terms: list[str]) -> str | None:
    return " OR ".join(f'"{term}"' for term in terms) or None


def count_holding(conn, term: str, cap: int) -> int:
    """How many items hold `term`, counted up to `cap`."""
    return conn.execute("SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT ?)",
                        (match([term]), cap)).fetchone()[0]


# Ranking inside FTS5 alone and filtering afterwards skips one search_items lookup per matching row,
# which costs as much as the ranking itself on a query with thousands of matches. Filtering preserves
# the order, so when a window of WINDOW x limit best matches still holds `limit` rows in scope (project,
# kinds, and an item row at all) they are exactly the filtered top; a thinner window (a small project
# beside a big one) falls back to filtering every match first.
WINDOW = 4


def ranked(conn, match_text: str, where: str, params: list, limit: int) -> list[tuple]:
    """(search_items.id, bm25 score) best first; bm25 weighs a title hit twice a body hit (lower is better).
    `where` filters search_items `s` (" AND ..." clauses). Ties are broken by id."""
    window = limit * WINDOW
    rows = conn.execute("WITH top AS (SELECT rowid AS id, bm25(search_fts, 2.0, 1.0) AS score FROM search_fts"
                        " WHERE search_fts MATCH ? ORDER BY score, id LIMIT ?)"
                        " SELECT top.id, top.score, s.id IS NOT NULL FROM top"
                        f" LEFT JOIN search_items s ON s.id = top.id{where} ORDER BY top.score, top.id",
                        (match_text, window, *params)).fetchall()
    in_scope = [(rowid, score) for rowid, score, keep in rows if keep]
    if len(in_scope) >= limit or len(rows) < window:
        return in_scope[:limit]
    sql = ("SELECT s.id, bm25(search_fts, 2.0, 1.0) AS score"
           " FROM search_fts JOIN search_items s ON s.id = search_fts.rowid"
           f" WHERE search_fts MATCH ?{where} ORDER BY score, s.id LIMIT ?")
    return conn.execute(sql, (match_text, *params, limit)).fetchall()


def rebuild(conn) -> None:
    """Rebuild the external-content index from search_items (inside a write transaction)."""
    conn.execute("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")
