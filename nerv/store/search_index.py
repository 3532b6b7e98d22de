"""The search index's SQL: full-text queries, stale-embedding detection, bulk vector writes, reindex. Stdlib only.

Triggers (migrations/0006_knowledge.sql, 0009) keep search_items and search_fts in step with decisions,
learnings, handoffs and tasks and list the changed items in search_pending; `settle` (called by the store's
write wrapper before COMMIT) turns them into one generation step. This module otherwise reads the index,
writes embeddings, and reconciles everything in `reindex_items` (for databases restored from elsewhere, or
an FTS index damaged by hand). The full-text SQL is the dialect's (nerv.store.dialect.full_text: FTS5 on
SQLite, tsvector on PostgreSQL).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Iterable

from nerv.stopwords import STOPWORDS
from nerv.store import dialect
from nerv.store.search_generation import next_generation, settle_left_over

KINDS = ("decision", "learning", "handoff", "task")
_WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 64


def fts_terms(text: str) -> list[str]:
    """The query's distinct words, lower-cased, without stop words unless it has nothing else (`the who`).
    Each becomes a quoted string in the MATCH expression, so FTS5 syntax in user input (`"`, `*`, `-`, `:`,
    NEAR, AND/OR/NOT, parentheses) is never interpreted; an empty list means the query has no words."""
    words = list(dict.fromkeys(_WORD.findall(text.lower())))
    return ([word for word in words if word not in STOPWORDS] or words)[:MAX_TERMS]


# FTS5 scores every item holding any query word and has no top-k pruning, so one word found in a quarter
# of a large index makes every query holding it slow (tests/bench/search.py: "text ranking without the
# common-word rule", 30 words). Beside rarer words, such a word barely moves the ranking (BM25 weight
# log((N - n) / n): 1.1 at 25 % against 6 for a word in 250 of 100,000 items), so on a large index it is
# left out of the text query, as Lucene's common-terms query does; semantic search still sees it.
# Counting is capped, so telling a common word costs at most the cap.
COMMON_SHARE = 0.2
COMMON_MIN_ITEMS = 20_000


def match_for(conn: sqlite3.Connection, text: str) -> str | None:
    """The MATCH expression for `text`: its fts_terms, ORed, less the words held by more than COMMON_SHARE
    of the items on an index of at least COMMON_MIN_ITEMS items, unless that would leave no word."""
    full_text = dialect.full_text(conn)
    terms = fts_terms(text)
    items = conn.execute("SELECT coalesce(max(id), 0) FROM search_items").fetchone()[0]  # ~count, O(1)
    if len(terms) < 2 or items < COMMON_MIN_ITEMS:
        return full_text.match(terms)
    cap = int(items * COMMON_SHARE)
    rare = [term for term in terms if full_text.count_holding(conn, term, cap + 1) <= cap]
    return full_text.match(rare or terms)


def _filters(project_id: str | None, kinds: Iterable[str] | None) -> tuple[str, list]:
    clauses, params = [], []
    if project_id is not None:
        clauses.append("s.project_id = ?")
        params.append(project_id)
    kinds = list(kinds or [])
    if kinds:
        clauses.append(f"s.kind IN ({', '.join('?' for _ in kinds)})")
        params.extend(kinds)
    return "".join(f" AND {c}" for c in clauses), params


def text_search(conn: sqlite3.Connection, match: str, *, project_id: str | None, kinds, limit: int) -> list[tuple]:
    """(search_items.id, score) best first, lower scores better; a title hit weighs twice a body hit.
    Ties are broken by id, so the order is the same whichever way the rows were found."""
    where, params = _filters(project_id, kinds)
    return dialect.full_text(conn).ranked(conn, match, where, params, limit)


def state(conn: sqlite3.Connection) -> tuple[int, str]:
    """(generation, instance): the generation changes whenever any indexed item changes."""
    settle_left_over(conn)
    row = conn.execute("SELECT generation, instance FROM search_meta WHERE id = 1").fetchone()
    return (row[0], row[1]) if row else (0, "unknown")


def renew_instance(conn: sqlite3.Connection) -> None:
    """Give the database a new identity for its vector cache: a restore or a replace import brings back
    another state whose generation can climb back to the cached one's, so the generation alone would let
    the old cache pass for current."""
    import os

    conn.execute("UPDATE search_meta SET instance = ? WHERE id = 1", (os.urandom(16).hex(),))


def item_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM search_items").fetchone()[0]


def stale_items(conn: sqlite3.Connection, embedder: str, since: int = -1) -> list[tuple]:
    """Items changed after generation `since` whose vector for `embedder` is missing or older than the item:
    (kind, item_id, title, body, seq, stored content_hash or None)."""
    return conn.execute(
        "SELECT s.kind, s.item_id, s.title, s.body, s.seq, e.content_hash FROM search_items s"
        " LEFT JOIN embeddings e ON e.kind = s.kind AND e.item_id = s.item_id AND e.embedder = ?"
        " WHERE s.seq > ? AND (e.seq IS NULL OR e.seq < s.seq) ORDER BY s.id", (embedder, since)).fetchall()


def save_vectors(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    """rows: (kind, item_id, embedder, content_hash, dim, vector bytes, seq, created_at). Inside a write tx."""
    conn.executemany(
        "INSERT INTO embeddings (kind, item_id, embedder, content_hash, dim, vector, seq, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, item_id, embedder) DO UPDATE SET"
        " content_hash = excluded.content_hash, dim = excluded.dim, vector = excluded.vector, seq = excluded.seq,"
        " created_at = excluded.created_at", rows)


def mark_vectors_current(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    """rows: (seq, kind, item_id, embedder): the text did not change, only the item's seq did."""
    conn.executemany("UPDATE embeddings SET seq = ? WHERE kind = ? AND item_id = ? AND embedder = ?", rows)


def vector_rows(conn: sqlite3.Connection, embedder: str, dim: int, since: int = -1):
    """Cursor of (search_items.id, kind, project_id, vector) for items changed after generation `since`
    that have a `dim`-sized vector."""
    return conn.execute(
        "SELECT s.id, s.kind, s.project_id, e.vector FROM search_items s JOIN embeddings e"
        " ON e.kind = s.kind AND e.item_id = s.item_id AND e.embedder = ? WHERE s.seq > ? AND e.dim = ?"
        " ORDER BY s.id", (embedder, since, dim))


def item_ids(conn: sqlite3.Connection) -> list[int]:
    return [row[0] for row in conn.execute("SELECT id FROM search_items")]


def describe(conn: sqlite3.Connection, ids: list[int]) -> dict[int, dict]:
    """What a result line shows: kind, item id, number (decision/learning/task), title, summary, project."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = conn.execute(
        "SELECT s.id, s.kind, s.item_id, s.project_id, s.title, p.name, coalesce(d.number, l.number, t.number),"
        " coalesce(d.decision, d.context, l.text, h.text, t.description, '') FROM search_items s"
        " LEFT JOIN projects p ON p.id = s.project_id"
        " LEFT JOIN decisions d ON s.kind = 'decision' AND d.id = s.item_id"
        " LEFT JOIN learnings l ON s.kind = 'learning' AND l.id = s.item_id"
        " LEFT JOIN handoffs h ON s.kind = 'handoff' AND h.id = s.item_id"
        " LEFT JOIN tasks t ON s.kind = 'task' AND t.id = s.item_id"
        f" WHERE s.id IN ({marks})", ids).fetchall()
    keys = ("rowid", "kind", "item_id", "project_id", "title", "project", "number", "summary")
    return {row[0]: dict(zip(keys, row)) for row in rows}


def reindex_items(conn: sqlite3.Connection) -> dict:
    """Reconcile search_items with search_sources and rebuild the FTS index. Inside a write tx."""
    generation = next_generation(conn)
    differs = dialect.is_distinct(conn)
    removed = conn.execute(
        "DELETE FROM search_items WHERE NOT EXISTS (SELECT 1 FROM search_sources v"
        " WHERE v.kind = search_items.kind AND v.item_id = search_items.item_id)").rowcount
    changed = conn.execute(
        "UPDATE search_items SET project_id = v.project_id, title = v.title, body = v.body, seq = ?"
        " FROM search_sources v WHERE v.kind = search_items.kind AND v.item_id = search_items.item_id"
        f" AND (v.title {differs} search_items.title OR v.body {differs} search_items.body"
        f" OR v.project_id {differs} search_items.project_id)", (generation,)).rowcount
    added = conn.execute(
        "INSERT INTO search_items (kind, item_id, project_id, title, body, seq)"
        " SELECT v.kind, v.item_id, v.project_id, v.title, v.body, ? FROM search_sources v WHERE NOT EXISTS"
        " (SELECT 1 FROM search_items s WHERE s.kind = v.kind AND s.item_id = v.item_id)", (generation,)).rowcount
    dialect.full_text(conn).rebuild(conn)
    return {"items": item_count(conn), "added": added, "changed": changed, "removed": removed}
