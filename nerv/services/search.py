"""`nerv search`: full-text (FTS5 BM25), semantic (cosine over stored embeddings) and hybrid (RRF of both).

Vectors are computed lazily: a search first embeds the items that are new or whose text changed since
their vector was stored (content hash: unchanged text is never re-embedded), then scores every item with
one matrix product over the matrix cached on disk (nerv.store.vector_cache), which is rebuilt only when
the index generation moved. docs/search.md explains the choices.
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext

from nerv import settings_keys
from nerv.errors import invalid
from nerv.services import validate
from nerv.store import search_index
from nerv.store.clock import now_iso
from nerv.store.db import Store

MODES = ("hybrid", "text", "semantic")
KINDS = search_index.KINDS
QUERY_MAX = 1000
LIMIT_MAX = 1000
RRF_K = 60  # Cormack et al. 2009: ranks deeper than ~60 barely count
SEMANTIC_MIN = 0.15  # cosine below this is hash-collision noise, not similarity
EMBED_BATCH = 1000
EMBEDDER_KEY = "search.embedder"


def embedder_for(store: Store):
    """The embedder `search.embedder` names (numpy is imported here, not for text-only searches)."""
    from nerv.services.embedders import get_embedder

    return get_embedder(store.settings.effective(EMBEDDER_KEY, None,
                                                settings_keys.KNOWN[EMBEDDER_KEY].default))


def _content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def refresh_embeddings(store: Store, embedder, progress=None, since: int = -1) -> dict:
    """Embed items changed after generation `since` that have no vector for `embedder` or whose text
    changed; one audited write."""
    stale = store.search.stale_items(embedder.name, since)
    pending, unchanged = [], []
    for kind, item_id, title, body, seq, stored_hash in stale:
        text = f"{title}\n{body}"
        digest = _content_hash(text)
        if digest == stored_hash:
            unchanged.append((seq, kind, item_id, embedder.name))
        else:
            pending.append((kind, item_id, digest, seq, text))
    rows, created = [], now_iso()
    bar = progress(len(pending), f"embedding with {embedder.name}") if progress and pending else nullcontext(None)
    with bar as advance:
        for start in range(0, len(pending), EMBED_BATCH):
            batch = pending[start:start + EMBED_BATCH]
            vectors = embedder.embed([item[4] for item in batch]).astype("<f4", copy=False)
            rows += [(kind, item_id, embedder.name, digest, embedder.dim, vector.tobytes(), seq, created)
                     for (kind, item_id, digest, seq, _), vector in zip(batch, vectors)]
            if advance:
                advance(len(batch))
    if rows or unchanged:
        def body(tx):
            store.search.save_vectors(tx, rows)
            store.search.mark_vectors_current(tx, unchanged)
            tx.audit("search.embed", "search_index", embedder.name,
                     after={"embedded": len(rows), "unchanged_text": len(unchanged)})

        store.write(body)
    return {"embedded": len(rows), "unchanged_text": len(unchanged)}


def _segment(store: Store, embedder, since: int, projects: list[str]):
    """A segment of the vectors of items changed after generation `since`; extends `projects` in place."""
    from nerv.numeric import np
    from nerv.store.vector_cache import Segment

    ids, kinds, codes, blobs = [], [], [], []
    kind_code = {kind: index for index, kind in enumerate(KINDS)}
    project_code = {project_id: index for index, project_id in enumerate(projects)}
    for rowid, kind, project_id, blob in store.search.vector_rows(embedder.name, embedder.dim, since):
        if project_id not in project_code:
            project_code[project_id] = len(projects)
            projects.append(project_id)
        ids.append(rowid)
        kinds.append(kind_code[kind])
        codes.append(project_code[project_id])
        blobs.append(blob)
    vectors = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(ids), embedder.dim)
    rows = np.ascontiguousarray(np.array([ids, kinds, codes], dtype=np.int64).T.reshape(len(ids), 3))
    return Segment(np.ascontiguousarray(vectors.T, dtype=np.float32), rows)


def _from_scratch(store: Store, embedder, generation: int):
    from nerv.store.vector_cache import VectorMatrix

    projects: list[str] = []
    return VectorMatrix(generation, [_segment(store, embedder, -1, projects)], projects)


def _extend(store: Store, embedder, cached, generation: int):
    """The cached matrix plus a segment for what changed since it was built, with replaced and deleted rows
    marked dead: no full rebuild, no rewrite of the large arrays."""
    from nerv.numeric import np
    from nerv.store.vector_cache import Segment, VectorMatrix

    projects = list(cached.projects)
    added = _segment(store, embedder, cached.generation, projects)
    changed_ids = np.asarray(added.rows[:, 0])
    segments = []
    for segment in cached.segments:
        dead = set(segment.dead)
        ids = np.asarray(segment.rows[:, 0])
        dead.update(np.flatnonzero(np.isin(ids, changed_ids)).tolist())
        segments.append(Segment(segment.columns, segment.rows, sorted(dead), segment.token))
    built = VectorMatrix(generation, segments + ([added] if len(added.rows) else []), projects)
    if built.live_count() != store.search.item_count():  # something was deleted
        alive = np.array(store.search.item_ids(), dtype=np.int64)
        for segment in built.segments:
            gone = np.flatnonzero(~np.isin(np.asarray(segment.rows[:, 0]), alive)).tolist()
            segment.dead = sorted(set(segment.dead) | set(gone))
    return built


def vectors(store: Store, embedder, progress=None) -> tuple:
    """The up-to-date matrix for `embedder` (a VectorMatrix) and how it was obtained: from the disk cache
    when current; extended with a segment for what changed since; or rebuilt (missing, corrupt, compacted)."""
    from nerv.store import vector_cache

    generation, instance = store.search.state()
    cached, reason = vector_cache.load(instance, embedder.name, embedder.dim)
    if cached is not None and cached.generation == generation:
        return cached, {"cache": "current", "embedded": 0}
    if cached is not None and cached.generation < generation:
        refreshed = refresh_embeddings(store, embedder, progress, since=cached.generation)
        built, status = _extend(store, embedder, cached, generation), "updated"
        if vector_cache.needs_compaction(built):
            built, status = vector_cache.compact(built), "compacted"
    else:
        refreshed = refresh_embeddings(store, embedder, progress)
        built = _from_scratch(store, embedder, generation)
        status = "built" if reason == "missing" else f"rebuilt ({reason if cached is None else 'newer than db'})"
    vector_cache.save(instance, embedder.name, built)
    return built, {"cache": status, **refreshed}


def _semantic_ranker(store: Store, embedder, query: str, *, project_id, kinds, pool: int):
    """Bring the matrix up to date (database and disk work), then return (rank, info): `rank()` is the
    numpy-only part, which the caller may run on another thread while it queries FTS5."""
    from nerv.numeric import np

    built, info = vectors(store, embedder)
    q = embedder.embed([query])[0]

    def rank() -> list[tuple[int, float]]:
        rows = built.rows()
        if len(rows) == 0 or not q.any():
            return []
        scores = built.scores(q)
        keep = None
        if project_id is not None:
            if project_id not in built.projects:
                return []
            if len(built.projects) > 1:  # with one project every row is in scope: skip a 100,000-row mask
                keep = rows[:, 2] == built.projects.index(project_id)
        if kinds:
            wanted = np.isin(rows[:, 1], [KINDS.index(k) for k in kinds])
            keep = wanted if keep is None else keep & wanted
        if keep is not None:
            scores = np.where(keep, scores, -np.inf)
        k = min(pool, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((rows[top, 0], -scores[top]))]  # ties by id: the same order on every run
        return [(int(rows[i, 0]), float(scores[i])) for i in top if scores[i] >= SEMANTIC_MIN]

    return rank, info


def _in_background(work):
    """Start `work()` on a thread (numpy and SQLite both release the GIL); calling the result joins it."""
    import threading

    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # re-raised on the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="nerv-search-rank", daemon=True)
    thread.start()

    def result():
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    return result


def _fuse(*ranked_lists: list) -> list[tuple[int, float]]:
    fused: dict[int, float] = {}
    for ranked in ranked_lists:
        for rank, (rowid, _) in enumerate(ranked, start=1):
            fused[rowid] = fused.get(rowid, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def _check(query: str, kinds, mode: str, limit: int) -> tuple[str, list[str], str]:
    if query is None or not query.strip():
        raise invalid("the search query is empty", "say what to look for, e.g. `nerv search \"login timeout\"`")
    query = validate.text(query, "search query", max_len=QUERY_MAX).strip()
    chosen = []
    for kind in kinds or []:
        kind = kind.strip().lower()
        if kind not in KINDS:
            raise invalid(f"unknown kind {kind!r}", f"use one of: {', '.join(KINDS)}")
        if kind not in chosen:
            chosen.append(kind)
    mode = validate.choice((mode or "hybrid").lower(), "mode", MODES)
    validate.int_in_range(limit, "limit", 1, LIMIT_MAX)
    if not search_index.fts_terms(query):
        raise invalid("the search query has no words in it", "search operators are not supported; type words")
    return query, chosen, mode


def _project_scope(store: Store, project: str | None) -> dict | None:
    """The project searched ({id, name}), or None for every project when no current project applies."""
    from nerv.errors import NervError

    try:
        return store.projects.current(project)
    except NervError as err:
        if err.code == "not_found" and not project:
            return None
        raise


def search(store: Store, query: str, *, kinds=None, mode: str = "hybrid", limit: int = 10,
           project: str | None = None) -> dict:
    """Ranked items matching `query` in the current project (every project when there is none).

    Raises invalid for an empty or over-long query, one without words, an unknown kind or mode.
    """
    query, kinds, mode = _check(query, kinds, mode, limit)
    asked_mode = mode
    if store.readonly:
        mode = "text"  # the vectors of changed items are computed and saved first: that is a write
    scope = _project_scope(store, project)
    project_id = scope["id"] if scope else None
    pool = max(50, limit * 5)
    lists, info, embedder, semantic = {}, {"cache": None, "embedded": 0}, None, None
    if mode in ("semantic", "hybrid"):
        embedder = embedder_for(store)
        rank, info = _semantic_ranker(store, embedder, query, project_id=project_id, kinds=kinds, pool=pool)
        # Hybrid: score the vectors on a second core while FTS5 ranks on this one, so the query costs the
        # longer of the two, not their sum. Only numpy runs there; the connection stays on this thread.
        semantic = _in_background(rank) if mode == "hybrid" else rank
    if mode in ("text", "hybrid"):
        match = store.search.match_for(query)
        lists["text"] = store.search.text_search(match, project_id=project_id, kinds=kinds, limit=pool)
    if semantic is not None:
        lists["semantic"] = semantic()
    if mode == "hybrid":
        ranked = _fuse(lists["text"], lists["semantic"])
    else:
        ranked = [(rowid, -score if mode == "text" else score) for rowid, score in lists[mode]]
    ranked = ranked[:limit]
    found_by = {name: {rowid for rowid, _ in items} for name, items in lists.items()}
    details = store.search.describe([rowid for rowid, _ in ranked])
    results = []
    for position, (rowid, score) in enumerate(ranked, start=1):
        item = details.get(rowid)
        if item is None:  # deleted between the ranking and this read
            continue
        results.append({"rank": position, "kind": item["kind"], "ref": result_ref(item), "number": item["number"],
                        "id": item["item_id"], "project": item["project"], "title": item["title"],
                        "excerpt": excerpt(item), "score": round(score, 6),
                        "matched_by": [name for name in ("text", "semantic") if rowid in found_by.get(name, ())]})
    return {"query": query, "mode": mode, "kinds": kinds or list(KINDS), "project": scope["name"] if scope else None,
            "embedder": embedder.name if embedder else None, "index": info, "results": results,
            **({"note": f"the database is read-only here: {asked_mode} search ran as text search"}
               if mode != asked_mode else {})}


def result_ref(item: dict) -> str:
    if item["kind"] == "handoff":
        return f"handoff {item['item_id'][:8]}"
    if item["kind"] == "task":
        return f"task #{item['number']}"
    return f"{item['kind']} {item['number']}"


def excerpt(item: dict, limit: int = 140) -> str:
    text = " ".join((item["summary"] or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reindex(store: Store, progress=None) -> dict:
    """Rebuild both indexes: reconcile items and FTS with the source tables, re-embed what is stale,
    rewrite the cached matrix. `progress(total, description)` is a context manager yielding advance(n)."""
    embedder = embedder_for(store)

    def body(tx):
        counts = store.search.reindex(tx)
        tx.audit("search.reindex", "search_index", None, after=counts)
        return counts

    counts = store.write(body)
    refreshed = refresh_embeddings(store, embedder, progress)
    generation, instance = store.search.state()
    from nerv.store import vector_cache

    vector_cache.save(instance, embedder.name, _from_scratch(store, embedder, generation))
    return {**counts, **refreshed, "embedder": embedder.name, "dim": embedder.dim}
