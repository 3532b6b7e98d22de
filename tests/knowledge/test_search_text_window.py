"""The full-text ranking filters a window of the best matches instead of every match: it must give exactly
what filtering every match first gives, for any project, kinds and limit."""

from __future__ import annotations

import random
import sqlite3

import pytest

from nerv.store import search_index
from nerv.store.db import open_store
from tests.conftest import ON_POSTGRESQL

# The window is FTS5's (nerv.store.search_fts5); PostgreSQL ranks the filtered rows in one query.
pytestmark = pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: FTS5's ranking window and bm25, read through sqlite3")

WORDS = ["alpha", "beta", "gamma", "delta", "kappa", "sigma", "omega", "zeta"]


def _reference(conn, match, project_id, kinds, limit):
    where, params = search_index._filters(project_id, kinds)
    return conn.execute("SELECT s.id, bm25(search_fts, 2.0, 1.0) AS score FROM search_fts JOIN search_items s"
                        f" ON s.id = search_fts.rowid WHERE search_fts MATCH ?{where} ORDER BY score, s.id LIMIT ?",
                        (match, *params, limit)).fetchall()


@pytest.fixture
def corpus(nerv_home):
    open_store().close()  # migrated schema with the search triggers
    conn = sqlite3.connect(nerv_home / "state.db")
    rng = random.Random(11)
    with conn:
        # A big project whose items outrank a small one's, so the small one's window runs thin.
        for name, count in (("big", 300), ("small", 12)):
            conn.execute("INSERT INTO projects (id, name, created_at, updated_at) VALUES (?, ?, 'now', 'now')",
                         (name, name))
            for number in range(1, count + 1):
                title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
                body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 12)))
                if name == "big":
                    title += " alpha alpha"
                conn.execute("INSERT INTO tasks (id, project_id, number, title, description, created_at, updated_at)"
                             " VALUES (?, ?, ?, ?, ?, 'now', 'now')", (f"{name}{number}", name, number, title, body))
                conn.execute("INSERT INTO learnings (id, project_id, number, text, tags, created_at)"
                             " VALUES (?, ?, ?, ?, '[]', 'now')", (f"l{name}{number}", name, number, body or title))
    yield conn
    conn.close()


@pytest.mark.parametrize("project_id", [None, "big", "small"])
@pytest.mark.parametrize("kinds", [[], ["task"], ["learning", "decision"]])
@pytest.mark.parametrize("limit", [1, 5, 50])
def test_window_gives_what_filtering_every_match_gives(corpus, project_id, kinds, limit):
    for query in ("alpha", "alpha beta", "omega zeta kappa", "gamma"):
        match = search_index.match_for(corpus, query)  # below COMMON_MIN_ITEMS: every word
        assert (search_index.text_search(corpus, match, project_id=project_id, kinds=kinds, limit=limit)
                == _reference(corpus, match, project_id, kinds, limit))


def test_the_thin_window_case_is_exercised(corpus):
    # `small` holds few of the best `alpha` matches: the window of 4 x limit rows runs thin.
    match = search_index.match_for(corpus, "alpha")
    window = corpus.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY bm25(search_fts, 2.0,"
                            " 1.0), rowid LIMIT ?", (match, 4 * 5)).fetchall()
    in_small = corpus.execute(f"SELECT count(*) FROM search_items WHERE project_id = 'small' AND id IN"
                              f" ({', '.join(str(r[0]) for r in window)})").fetchone()[0]
    assert in_small < 5
    assert len(search_index.text_search(corpus, match, project_id="small", kinds=[], limit=5)) == 5


def test_stop_words_are_left_out_of_the_text_query_unless_nothing_else_is_left():
    assert search_index.fts_terms("why is the build slow") == ["build", "slow"]
    assert search_index.fts_terms("the who") == ["the", "who"]
    assert search_index.fts_terms("To be or not to be") == ["to", "be", "or", "not"]
    assert search_index.fts_terms('"*- NEAR(') == ["near"]
    assert search_index.fts_terms('"*-') == []


def test_common_words_leave_the_text_query_only_beside_rarer_ones_on_a_large_index(corpus, monkeypatch):
    with corpus:
        corpus.executemany("INSERT INTO learnings (id, project_id, number, text, tags, created_at)"
                           " VALUES (?, 'small', ?, 'tau marks a rare word', '[]', 'now')",
                           [(f"tau{n}", 100 + n) for n in range(5)])
    items = corpus.execute("SELECT max(id) FROM search_items").fetchone()[0]
    alpha = corpus.execute("SELECT count(*) FROM search_fts WHERE search_fts MATCH 'alpha'").fetchone()[0]
    assert alpha > 0.2 * items  # in every `big` item
    assert search_index.match_for(corpus, "alpha tau") == '"alpha" OR "tau"'  # index below COMMON_MIN_ITEMS
    monkeypatch.setattr(search_index, "COMMON_MIN_ITEMS", 100)
    assert search_index.match_for(corpus, "alpha tau") == '"tau"'
    assert search_index.match_for(corpus, "the alpha") == '"alpha"'  # nothing rarer beside it: kept
    assert search_index.match_for(corpus, "alpha beta") == '"alpha" OR "beta"'  # both common: both kept
