"""Search quality on the labelled set, and search speed at 100,000 items. Prints figures; asserts nothing.

    /work/venv/bin/python tests/bench/search.py [--items 100000] [--repeat 50]

Quality: recall@5 and MRR of text, semantic and hybrid on tests/knowledge/labelled_set.py.
Speed: seeds N learnings (one transaction; triggers fill the FTS index), embeds them (`nerv search
reindex` path), then times in-process top-10 queries per mode beside the matrix load, and whole-process
`nerv search` runs beside `nerv --version` (the process floor). "Cold" means a new process; the OS page
cache is warm (dropping it needs root), so a first search after a reboot reads the matrix from disk.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.common import median_wall, nerv_cmd  # noqa: E402

QUERIES = ["sqlite lock timeout", "retry webhook deliveries", "config loader secrets", "slow search page",
           "deploy rollback plan", "memory growth in worker", "auth token expiry", "flaky browser tests"]
# A pasted paragraph fills most of the 256 dimensions, so it takes the full product instead of the gather.
LONG_QUERIES = ["the nightly deploy rolled back because the config loader read stale secrets after the webhook "
                "retry storm filled the worker queue and memory grew until the browser tests timed out",
                "why does the search page get slow when many agents hold sqlite write locks during backups of "
                "the state database and how did we decide to retry lock timeouts with jitter"]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def quality() -> None:
    from nerv.services import projects
    from nerv.store.db import open_store
    from nerv.store.orm import bind
    from tests.knowledge import labelled_set

    store = bind(open_store())
    projects.add_project(store, "labelled")
    keys = labelled_set.load(store, "labelled")
    print(f"## quality: {len(labelled_set.ITEMS)} items, {len(labelled_set.QUERIES)} queries")
    print("| mode | recall@5 | MRR |\n|---|---|---|")
    for mode in ("text", "semantic", "hybrid"):
        scores = labelled_set.evaluate(store, keys, mode, project="labelled")
        print(f"| {mode} | {scores['recall@5']:.3f} | {scores['mrr']:.3f} |")
    store.close()


def _vocabulary(rng: random.Random) -> list[str]:
    from tests.knowledge import labelled_set

    words = sorted({w.lower().strip(".,;:()'") for _, _, text in labelled_set.ITEMS.values() for w in text.split()})
    syllables = ["ka", "ro", "mi", "te", "su", "lon", "dar", "vek", "pi", "zu", "gor", "nel", "tas", "qui", "ber"]
    words += ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(8000)]
    return [w for w in words if w]


# Roughly English proportions: function words are ~40% of running text, and `the` ends up in most items,
# as it does in real notes (a uniform vocabulary would hide what a common word costs full-text search).
FUNCTION_WORDS = ["the"] * 6 + ["a"] * 3 + ["to"] * 3 + ["of"] * 3 + ["and"] * 3 + ["in", "is", "for", "on", "with",
                                                                                      "it", "when", "after"]


def _sentence(rng: random.Random, vocab: list[str]) -> str:
    words = []
    for _ in range(rng.randint(8, 30)):
        if rng.random() < 0.4:
            words.append(rng.choice(FUNCTION_WORDS))
        words.append(rng.choice(vocab))
    return " ".join(words)


def seed(store, count: int, rng: random.Random) -> float:
    from nerv.store.clock import new_id, now_iso
    from nerv.services import projects

    project = projects.add_project(store, "bench")
    vocab = _vocabulary(rng)
    now = now_iso()
    rows = [(new_id(), project["id"], number, _sentence(rng, vocab), "[]", now) for number in range(1, count + 1)]

    def body(tx):
        tx.conn.executemany("INSERT INTO learnings (id, project_id, number, text, tags, created_at)"
                            " VALUES (?, ?, ?, ?, ?, ?)", rows)
        tx.audit("bench.seed", "learning", None, project_id=project["id"], after={"rows": count})

    start = time.perf_counter()
    store.write(body)
    return time.perf_counter() - start


def in_process(store, repeat: int) -> None:
    import numpy as np

    from nerv.services import search
    from nerv.store import search_index, vector_cache

    embedder = search.embedder_for(store)
    generation, instance = search_index.state(store._conn)
    start = time.perf_counter()
    loaded, _ = vector_cache.load(instance, embedder.name, embedder.dim)
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    columns = np.asarray(loaded.segments[0].columns)  # reindex leaves one segment
    columns.sum()  # touches every page
    touch_s = time.perf_counter() - start
    matrix = np.ascontiguousarray(columns.T)  # the naive baseline's layout: one row per item
    print(f"\nmatrix: {columns.shape[1]:,} items x {columns.shape[0]} dims float32 ({columns.nbytes / 1e6:,.0f} MB);"
          f" np.load(mmap) {_ms(load_s)}, first full read {_ms(touch_s)}")
    project_id = store._conn.execute("SELECT id FROM projects WHERE name = 'bench'").fetchone()[0]
    naive_fts = ("SELECT s.id, bm25(search_fts, 2.0, 1.0) AS score FROM search_fts JOIN search_items s"
                 " ON s.id = search_fts.rowid WHERE search_fts MATCH ? AND s.project_id = ? ORDER BY score LIMIT 50")
    times: dict[str, list[float]] = {}

    def timed(name: str, work) -> object:
        start = time.perf_counter()
        value = work()
        times.setdefault(name, []).append(time.perf_counter() - start)
        return value

    def top10(scores):
        top = np.argpartition(-scores, 9)[:10]
        return top[np.argsort(-scores[top])]

    worst = 0.0
    for index in range(repeat):
        for label, query in (("", QUERIES[index % len(QUERIES)]), (", 30 words", LONG_QUERIES[index % 2])):
            q = embedder.embed([query])[0]
            every_word = " OR ".join(f'"{w}"' for w in dict.fromkeys(re.findall(r"[^\W_]+", query.lower())))
            timed(f"baseline: items x dims matrix @ query + top-10{label}", lambda: top10(matrix @ q))
            timed(f"nerv's scoring (query's dims only) + top-10{label}", lambda: top10(loaded.scores(q)))
            worst = max(worst, float(np.abs(loaded.scores(q) - matrix @ q).max()))
            timed(f"baseline: FTS5 every word, filter each match, top 50{label}",
                  lambda: store._conn.execute(naive_fts, (every_word, project_id)).fetchall())
            without_rule = " OR ".join(f'"{w}"' for w in search_index.fts_terms(query))
            timed(f"text ranking without the common-word rule, top 50{label}",
                  lambda: search_index.text_search(store._conn, without_rule, project_id=project_id, kinds=[], limit=50))
            timed(f"text ranking as nerv does it, top 50{label}",
                  lambda: search_index.text_search(store._conn, search_index.match_for(store._conn, query),
                                                   project_id=project_id, kinds=[], limit=50))
            for mode in ("semantic", "text", "hybrid"):
                timed(f"{mode} (service){label}",
                      lambda: search.search(store, query, mode=mode, limit=10, project="bench"))
    print(f"\n## in-process top-10 query ({repeat} queries, median / p95); nerv's scores differ from the "
          f"baseline's by at most {worst:.1e}")
    print("| step | median | p95 |\n|---|---|---|")
    for name, values in times.items():
        values.sort()
        print(f"| {name} | {_ms(statistics.median(values))} | {_ms(values[int(len(values) * 0.95) - 1])} |")


def whole_process(home: str, runs: int = 5) -> None:
    env = {"NERV_HOME": home}

    def timed(args: list[str], runs: int = runs) -> float:
        return median_wall(nerv_cmd() + args, runs, env, warmup=0, check=True) / 1000

    print(f"\n## whole process (new process each run, median of {runs})")
    print("| command | time |\n|---|---|")
    print(f"| `nerv --version` (floor: no CLI framework) | {_ms(timed(['--version']))} |")
    print(f"| `nerv learnings --limit 1` (a typical command) | "
          f"{_ms(timed(['learnings', '--limit', '1', '--project', 'bench']))} |")
    for mode in ("text", "semantic", "hybrid"):
        print(f"| `nerv search \"retry webhook deliveries\" --mode {mode}` | "
              f"{_ms(timed(['search', 'retry webhook deliveries', '--mode', mode, '--project', 'bench']))} |")
    timed(["learn", "one more learning", "--project", "bench"], runs=1)
    print(f"| first hybrid search after one new item (embed it, append a segment) | "
          f"{_ms(timed(['search', 'retry webhook deliveries', '--project', 'bench'], runs=1))} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work inflates "
          "every figure; compare with the baselines of the same run)\n")
    with tempfile.TemporaryDirectory() as home:
        os.environ["NERV_HOME"] = str(Path(home) / "quality")
        quality()
        os.environ["NERV_HOME"] = str(Path(home) / "speed")
        from nerv.services import search
        from nerv.store.db import open_store
        from nerv.store.orm import bind

        store = bind(open_store())
        rng = random.Random(7)
        seed_s = seed(store, args.items, rng)
        print(f"\n## {args.items:,} items\nseed (one transaction, triggers fill FTS5): {seed_s:.1f} s")
        start = time.perf_counter()
        result = search.reindex(store)
        print(f"reindex (FTS rebuild + embed {result['embedded']:,} with {result['embedder']} + matrix): "
              f"{time.perf_counter() - start:.1f} s")
        in_process(store, args.repeat)
        store.close()
        whole_process(os.environ["NERV_HOME"])
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
