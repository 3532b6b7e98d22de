"""nerv search: text, semantic and hybrid modes, index sync, embedding reuse, the disk cache, bad input."""

from __future__ import annotations

import json
import sqlite3

import pytest

from nerv.store import vector_cache
from tests.conftest import ON_POSTGRESQL, assert_not_a_bug, raw_connection


def _refs(result):
    return [r["ref"] for r in result.data["results"]]


@pytest.fixture
def knowledge(cli, project):
    cli("decision", "add", "Use SQLite in WAL mode", "--context", "Many agents write at once")
    cli("learn", "Configuration files are read once at startup", "--tag", "boot")
    cli("task", "add", "Speed up search", "--description", "Latency of the product search page is 2 seconds")
    cli("handoff", "save", "Stopped while backfilling the orders column", "--next", "finish the backfill")
    return cli


def _connect(nerv_home):
    """The test's database as sqlite3's default connection gives it (PostgreSQL: autocommit, `with` commits)."""
    return raw_connection(nerv_home) if ON_POSTGRESQL else sqlite3.connect(nerv_home / "state.db")


def _embed_audits(nerv_home):
    conn = _connect(nerv_home)
    try:
        return conn.execute("SELECT after FROM audit_log WHERE action = 'search.embed' ORDER BY id").fetchall()
    finally:
        conn.close()


def test_each_kind_is_found_by_text(knowledge):
    cli = knowledge
    assert _refs(cli("--json", "search", "sqlite", "--mode", "text"))[0] == "decision 1"
    assert _refs(cli("--json", "search", "configuration", "--mode", "text")) == ["learning 1"]
    assert _refs(cli("--json", "search", "latency", "--mode", "text")) == ["task #1"]
    assert _refs(cli("--json", "search", "backfill", "--mode", "text"))[0].startswith("handoff ")
    assert _refs(cli("--json", "search", "sqlite", "--kind", "task", "--mode", "text")) == []


def test_semantic_matches_word_forms_text_misses(knowledge):
    cli = knowledge
    assert _refs(cli("--json", "search", "config", "--mode", "text")) == []  # porter: config vs configur
    semantic = cli("--json", "search", "config", "--mode", "semantic")
    assert semantic.code == 0 and _refs(semantic)[0] == "learning 1"
    hybrid = cli("--json", "search", "config startup")
    assert hybrid.data["mode"] == "hybrid" and _refs(hybrid)[0] == "learning 1"


FTS_SYNTAX = ['"unbalanced', "sqlite*", "NEAR(a b)", "-sqlite", "a AND OR NOT b", "col:sqlite", "(sqlite",
              "sqlite^2", "'; DROP TABLE tasks; --", 'sqlite" OR "x']


def test_fts_syntax_in_queries_never_errors(knowledge):
    for query in FTS_SYNTAX:
        for mode in ("text", "hybrid"):
            result = knowledge("--json", "search", query, "--mode", mode)
            assert result.code == 0, (query, result.stderr)
    assert _refs(knowledge("--json", "search", "-sqlite", "--mode", "text")) == ["decision 1"]


BAD_QUERIES = [
    (["search", ""], "empty"),
    (["search", "   "], "empty"),
    (["search", "x" * 1_048_576], "limit"),
    (["search", '"*-'], "no words"),
    (["search", "sqlite", "--kind", "ticket"], "unknown kind"),
    (["search", "sqlite", "--mode", "fuzzy"], "mode"),
    (["search", "sqlite", "--limit", "0"], "limit"),
    (["search", "sqlite", "--project", "nope"], "not found"),
]


def test_bad_queries_get_clear_errors(knowledge, db_hash):
    before = db_hash()
    for args, message in BAD_QUERIES:
        result = knowledge("--json", *args)
        assert result.code == 1 and message in result.error["message"], (args[:3], result.stderr)
        plain = knowledge(*args)
        assert plain.stderr.startswith("error: ")
        assert_not_a_bug(plain)
        assert db_hash() == before


def test_index_follows_inserts_updates_and_deletes(knowledge, nerv_home):
    cli = knowledge
    assert _refs(cli("--json", "search", "latency"))[0] == "task #1"
    conn = _connect(nerv_home)
    if not ON_POSTGRESQL:
        conn.execute("PRAGMA foreign_keys = ON")
    with conn:
        conn.execute("UPDATE tasks SET description = 'throughput of the product page' WHERE number = 1")
    assert _refs(cli("--json", "search", "latency", "--mode", "text")) == []
    assert _refs(cli("--json", "search", "throughput", "--mode", "text")) == ["task #1"]
    with conn:
        conn.execute("DELETE FROM tasks")
    conn.close()
    assert _refs(cli("--json", "search", "throughput")) == []
    cli("project", "rm", "demo", "--yes")
    check = _connect(nerv_home)
    assert check.execute("SELECT count(*) FROM search_items").fetchone()[0] == 0
    assert check.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 0
    check.close()


def test_unchanged_text_is_never_reembedded(knowledge, nerv_home):
    cli = knowledge
    first = cli("--json", "search", "sqlite").data["index"]
    assert first["embedded"] == 4
    assert cli("--json", "search", "sqlite").data["index"] == {"cache": "current", "embedded": 0}
    conn = _connect(nerv_home)
    with conn:  # the index row changes (seq), the text does not
        conn.execute("UPDATE tasks SET title = title || ' ' WHERE number = 1")
        conn.execute("UPDATE tasks SET title = rtrim(title) WHERE number = 1")
    conn.close()
    again = cli("--json", "search", "sqlite").data["index"]
    assert again["embedded"] == 0 and again["unchanged_text"] == 1
    cli("learn", "A brand new learning about queues")
    assert cli("--json", "search", "queues").data["index"]["embedded"] == 1
    assert len(_embed_audits(nerv_home)) == 3


def _cache_files(nerv_home):
    return sorted((nerv_home / "search").glob("*"))


def test_missing_or_corrupt_cache_is_rebuilt_not_crashed(knowledge, nerv_home):
    cli = knowledge
    assert cli("--json", "search", "sqlite").code == 0
    files = _cache_files(nerv_home)
    assert len([f for f in files if f.suffix == ".npy"]) == 2 and len([f for f in files if f.suffix == ".json"]) == 1
    matrix = next(f for f in files if f.name.endswith(".columns.npy"))
    matrix.write_bytes(b"garbage")
    result = cli("search", "sqlite")
    assert result.code == 0 and "rebuilt" in result.stderr and "decision 1" in result.stdout
    assert cli("--json", "search", "sqlite").data["index"]["cache"] == "current"
    meta = next(f for f in _cache_files(nerv_home) if f.suffix == ".json")
    meta.write_text("{not json")
    assert "rebuilt" in cli("--json", "search", "sqlite").data["index"]["cache"]
    for f in _cache_files(nerv_home):
        f.unlink()
    rebuilt = cli("--json", "search", "sqlite")
    assert rebuilt.code == 0 and rebuilt.data["index"]["cache"] == "built"
    assert _refs(rebuilt)[0] == "decision 1"


def test_cache_shape_mismatch_is_detected(knowledge, nerv_home):
    import numpy as np

    knowledge("search", "sqlite")
    matrix = next(f for f in _cache_files(nerv_home) if f.name.endswith(".columns.npy"))
    np.save(matrix, np.zeros((3, 7), dtype=np.float32))
    result = knowledge("--json", "search", "sqlite")
    assert "corrupt" in result.data["index"]["cache"] and _refs(result)[0] == "decision 1"


def test_new_items_invalidate_the_cache(knowledge):
    cli = knowledge
    cli("search", "sqlite")
    cli("decision", "add", "Adopt message queues for email")
    result = cli("--json", "search", "queues email", "--mode", "semantic")
    assert result.data["index"]["cache"] in ("updated", "compacted") and _refs(result)[0] == "decision 2"


def test_incremental_segments_track_edits_and_deletes_then_compact(cli, project, nerv_home):
    from nerv.store import vector_cache

    conn = _connect(nerv_home)
    project_id = conn.execute("SELECT id FROM projects").fetchone()[0]
    with conn:  # 30 tasks at once; the triggers index them like any insert
        conn.executemany("INSERT INTO tasks (id, project_id, number, title, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, 'now', 'now')",
                         [(f"{n:032x}", project_id, n, f"Task about topic{n} zebra") for n in range(1, 31)])
    assert cli("--json", "search", "zebra").data["index"]["cache"] == "built"
    with conn:
        conn.execute("UPDATE tasks SET title = 'Renamed giraffe' WHERE number = 1")
        conn.execute("DELETE FROM tasks WHERE number = 2")
    updated = cli("--json", "search", "giraffe", "--mode", "semantic").data
    assert updated["index"]["cache"] == "updated" and [r["ref"] for r in updated["results"]][0] == "task #1"
    zebra = cli("--json", "search", "topic2 zebra", "--mode", "semantic", "--limit", "50").data["results"]
    refs = [r["ref"] for r in zebra]
    assert "task #2" not in refs and "task #1" not in refs and len(refs) == len(set(refs)) == 28
    meta = json.loads(next((nerv_home / "search").glob("*.json")).read_text())
    assert len(meta["segments"]) == 2 and sorted(meta["segments"][0]["dead"]) == [0, 1]
    with conn:
        conn.execute("UPDATE tasks SET description = 'more' WHERE number <= 10")
    conn.close()
    assert cli("--json", "search", "zebra").data["index"]["cache"] == "compacted"
    meta = json.loads(next((nerv_home / "search").glob("*.json")).read_text())
    assert len(meta["segments"]) == 1 and meta["segments"][0]["count"] == 29 and meta["segments"][0]["dead"] == []
    assert len(list((nerv_home / "search").glob("*.npy"))) == 2
    assert vector_cache.COMPACT_SHARE < 10 / 29


def test_reindex_repairs_a_damaged_index(knowledge, nerv_home):
    cli = knowledge
    conn = _connect(nerv_home)
    with conn:
        conn.execute("DELETE FROM search_items WHERE kind = 'task'")
        conn.execute("INSERT INTO search_items (kind, item_id, project_id, title, body, seq)"
                     " VALUES ('task', 'ghost', 'p', 'ghost', 'ghost', 1)")
    conn.close()
    assert _refs(cli("--json", "search", "latency", "--mode", "text")) == []
    result = cli("--json", "search", "reindex")
    assert result.code == 0, result.stderr
    assert (result.data["added"], result.data["removed"]) == (1, 1) and result.data["items"] == 4
    assert _refs(cli("--json", "search", "latency", "--mode", "text")) == ["task #1"]
    assert _refs(cli("--json", "search", "reindex", "--mode", "text")) == []  # with an option: a plain search


def test_embedder_setting(knowledge):
    cli = knowledge
    assert cli("settings", "set", "search.embedder", "word2vec").code == 0
    bad = cli("--json", "search", "sqlite")
    assert bad.code == 1 and "unknown search.embedder" in bad.error["message"]
    assert cli("--json", "search", "sqlite", "--mode", "text").code == 0  # text search needs no embedder
    cli("settings", "set", "search.embedder", "model2vec:/nowhere/model")
    missing = cli("--json", "search", "sqlite")
    assert missing.code == 1 and "model2vec" in missing.error["message"] and missing.error["hint"]
    cli("settings", "set", "search.embedder", "hashing")
    assert cli("--json", "search", "sqlite").code == 0


def test_search_scopes_to_the_current_project(knowledge):
    cli = knowledge
    cli("project", "add", "other")
    cli("decision", "add", "Use SQLite everywhere", "--project", "other")
    assert [r["project"] for r in cli("--json", "search", "sqlite").data["results"]] == ["demo"]
    other = cli("--json", "search", "sqlite", "--project", "other").data["results"]
    assert [r["project"] for r in other] == ["other"]


def test_whole_process_search(proc, knowledge):
    result = proc("--json", "search", "wal mode agents")
    assert result.code == 0 and result.stderr == ""


def test_cache_dir_is_under_nerv_home(nerv_home):
    assert vector_cache.cache_dir() == nerv_home / "search"


@pytest.mark.parametrize("nonzero", [1, 30, 96, 97, 256])
def test_scoring_by_the_query_dimensions_equals_the_full_product(nonzero):
    # Enough items for several chunks plus a ragged end, so the gathered path runs (96 of 256 is the
    # last sparse count, 97 the first dense one).
    import numpy as np

    rng = np.random.default_rng(nonzero)
    count = 3 * vector_cache.CHUNK + 123
    columns = rng.standard_normal((256, count), dtype=np.float32)
    query = np.zeros(256, dtype=np.float32)
    query[rng.choice(256, nonzero, replace=False)] = rng.standard_normal(nonzero)
    expected = columns.T.astype(np.float64) @ query.astype(np.float64)
    assert np.allclose(vector_cache._scores(columns, query), expected, atol=1e-4)


def test_scores_span_segments_and_mask_dead_items():
    import numpy as np

    rng = np.random.default_rng(3)
    first = rng.standard_normal((8, vector_cache.CHUNK + 5), dtype=np.float32)
    second = rng.standard_normal((8, 4), dtype=np.float32)
    rows = [np.zeros((block.shape[1], 3), np.int64) for block in (first, second)]
    built = vector_cache.VectorMatrix(1, [vector_cache.Segment(first, rows[0], [2, 7]),
                                          vector_cache.Segment(second, rows[1], [0])], [])
    query = np.array([0, 0, 1.5, 0, 0, 0, -2, 0], dtype=np.float32)
    scores = built.scores(query)
    expected = np.concatenate([first.T @ query, second.T @ query])
    dead = [2, 7, first.shape[1]]
    assert np.isneginf(scores[dead]).all()
    alive = np.setdiff1d(np.arange(len(expected)), dead)
    assert np.allclose(scores[alive], expected[alive], atol=1e-5)


def test_a_cache_of_another_layout_is_rebuilt(knowledge, nerv_home):
    knowledge("search", "sqlite")
    meta_file = next(f for f in _cache_files(nerv_home) if f.suffix == ".json")
    meta = json.loads(meta_file.read_text())
    meta.pop("layout")
    meta_file.write_text(json.dumps(meta))
    result = knowledge("--json", "search", "sqlite")
    assert result.data["index"]["cache"] == "rebuilt (written by another version of nerv)"
    assert _refs(result)[0] == "decision 1"


def test_work_on_the_background_thread_returns_or_raises_on_the_caller():
    from nerv.services.search import _in_background

    def fails():
        raise ValueError("scoring failed")

    assert _in_background(lambda: 42)() == 42
    with pytest.raises(ValueError, match="scoring failed"):
        _in_background(fails)()


@pytest.mark.slow
def test_a_large_index_ranks_exactly_like_brute_force_cosine(cli, project, nerv_home):
    # Past CHUNK items the gathered-dimensions path runs; its top 10 must be the brute-force top 10.
    import random

    import numpy as np

    from nerv.services.embedders import HashingEmbedder

    rng = random.Random(4)
    vocab = ["lock", "retry", "sqlite", "webhook", "deploy", "cache", "queue", "worker", "token", "backup",
             "timeout", "index", "page", "memory", "config", "schema", "agent", "budget", "review", "hook"]
    texts = [" ".join(rng.choice(vocab) + rng.choice(["", "s", "ing", "ed"]) for _ in range(rng.randint(3, 9)))
             + f" item{n}" for n in range(1, vector_cache.CHUNK + 1500)]
    conn = _connect(nerv_home)
    project_id = conn.execute("SELECT id FROM projects").fetchone()[0]
    with conn:
        conn.executemany("INSERT INTO learnings (id, project_id, number, text, tags, created_at)"
                         " VALUES (?, ?, ?, ?, '[]', 'now')",
                         [(f"{n:032x}", project_id, n, text) for n, text in enumerate(texts, start=1)])
    conn.close()
    embedder = HashingEmbedder()
    query = "retrying sqlite locks"
    q = embedder.embed([query])[0]
    assert 0 < np.count_nonzero(q) <= len(q) * vector_cache.SPARSE_SHARE
    scores = embedder.embed(texts) @ q
    expected = [f"learning {i + 1}" for i in np.argsort(-scores, kind="stable")[:10]]
    result = cli("--json", "search", query, "--mode", "semantic", "--limit", "10")
    assert result.code == 0, result.stderr
    assert _refs(result) == expected


def test_a_restored_database_never_reads_the_vector_cache_of_the_state_it_replaced(knowledge, tmp_path):
    cli = knowledge
    cli("search", "sqlite", "--mode", "semantic")
    backup = tmp_path / "before.db"
    assert cli("db", "backup", str(backup)).code == 0
    cli("decision", "add", "Adopt message queues for email")
    cli("search", "queues", "--mode", "semantic")
    # On PostgreSQL a restore over a database that holds a ledger is asked for with --force (docs/teams.md).
    assert cli("db", "restore", str(backup), "--force" if ON_POSTGRESQL else "--yes").code == 0
    cli("decision", "add", "Rotate the server logs weekly")  # the generation climbs back to the cache's
    result = cli("--json", "search", "rotate server logs weekly", "--mode", "semantic")
    assert result.data["index"]["cache"] != "current"
    assert "Rotate" in result.data["results"][0]["title"]


def test_a_replace_import_never_reads_the_vector_cache_of_the_state_it_replaced(knowledge, tmp_path):
    cli = knowledge
    export = tmp_path / "before.json"
    assert cli("export", "--output", str(export)).code == 0
    cli("search", "sqlite", "--mode", "semantic")
    assert cli("import", str(export), "--mode", "replace", "--yes").code == 0
    result = cli("--json", "search", "sqlite", "--mode", "semantic")
    assert result.data["index"]["cache"] == "built" and _refs(result)[0] == "decision 1"
