"""The on-disk vector matrix under NERV_HOME/search: memory-mapped float32 .npy segments per (database, embedder).

`<instance>-<embedder key>.json` names the generation the cache reflects and its segments; each segment
is two arrays written once under fresh names: `…-<token>.columns.npy` (dim×n float32: one contiguous
row per embedding dimension, see `_scores`) and `…-<token>.rows.npy` (n×3 int64: search_items.id, kind
code, project code), plus the positions of its items that later segments replaced or that were deleted
("dead"). A change appends a small segment instead of rewriting the whole matrix; `compact` folds them
back into one when they grow. The JSON is replaced last, so a reader always sees a consistent set while
another process writes. Anything unreadable or inconsistent is reported as a reason string and the
caller rebuilds; `load` never raises.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from nerv.numeric import np
from nerv.store import paths

COMPACT_SEGMENTS = 8
COMPACT_SHARE = 0.2  # fold segments once appended plus dead rows exceed this share of all rows


LAYOUT = "columns-v1"  # written into the metadata; a cache of another layout is rebuilt


@dataclass
class Segment:
    columns: np.ndarray  # (dim, n) float32: column i is item i's L2-normalised vector
    rows: np.ndarray  # (n, 3) int64: search_items.id, kind code, project code
    dead: list[int] = field(default_factory=list)  # item positions no longer valid
    token: str | None = None  # file token once written


@dataclass
class VectorMatrix:
    generation: int
    segments: list[Segment]
    projects: list[str]  # project code -> project id

    def rows(self) -> np.ndarray:
        if len(self.segments) == 1:
            return np.asarray(self.segments[0].rows)
        return np.concatenate([np.asarray(s.rows) for s in self.segments]) if self.segments else np.zeros((0, 3),
                                                                                                        np.int64)

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine of `query` with every item (dead items: -inf), per segment."""
        query = np.asarray(query, dtype=np.float32)
        parts = []
        for segment in self.segments:
            part = _scores(np.asarray(segment.columns), query)
            if segment.dead:
                part[segment.dead] = -np.inf
            parts.append(part)
        if not parts:
            return np.zeros(0, np.float32)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def live_count(self) -> int:
        return sum(len(s.rows) - len(s.dead) for s in self.segments)


# A query is a few words, so most of its dimensions are zero (the hashing embedder puts a 3-word query in
# ~30 of 256). With one contiguous row per dimension, scoring reads only the rows of the query's non-zero
# dimensions: the same cosines from ~1/8 of the memory (tests/bench/search.py prints both, and their
# largest difference). Past ~3/8 non-zero the gather costs more than the plain product, which a dense
# query (a long text, or a real model's embedding) gets. Chunks keep the gathered block in cache.
SPARSE_SHARE = 3 / 8
CHUNK = 8192


def _scores(columns: np.ndarray, query: np.ndarray) -> np.ndarray:
    dims, count = columns.shape
    nonzero = np.flatnonzero(query)
    if len(nonzero) > dims * SPARSE_SHARE or count < CHUNK:
        return query @ columns
    weights = query[nonzero]
    out = np.empty(count, dtype=np.float32)
    for start in range(0, count, CHUNK):
        stop = min(start + CHUNK, count)
        np.dot(weights, columns[nonzero, start:stop], out=out[start:stop])
    return out


def cache_dir() -> Path:
    return paths.nerv_home() / "search"


def _stem(instance: str, embedder: str) -> str:
    return f"{instance}-{hashlib.sha256(embedder.encode()).hexdigest()[:12]}"


def meta_path(instance: str, embedder: str) -> Path:
    return cache_dir() / f"{_stem(instance, embedder)}.json"


# A long-lived process (a bench, a server) maps the arrays once per version of the metadata file.
_opened: dict[Path, tuple[tuple, VectorMatrix]] = {}


def load(instance: str, embedder: str, dim: int) -> tuple[VectorMatrix | None, str]:
    """The cached matrix (memory-mapped) or (None, why it cannot be used)."""
    meta_file = meta_path(instance, embedder)
    try:
        stat = meta_file.stat()
        version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if meta_file in _opened and _opened[meta_file][0] == version:
            return _opened[meta_file][1], "ok"
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "missing"
    except (OSError, ValueError) as exc:
        return None, f"unreadable metadata ({type(exc).__name__})"
    try:
        if meta.get("layout") != LAYOUT:
            return None, "written by another version of nerv"
        if meta.get("embedder") != embedder or meta.get("dim") != dim:
            return None, "built for another embedder"
        stem = _stem(instance, embedder)
        segments = []
        for entry in meta["segments"]:
            token = str(entry["token"])
            columns = np.load(cache_dir() / f"{stem}-{token}.columns.npy", mmap_mode="r", allow_pickle=False)
            rows = np.load(cache_dir() / f"{stem}-{token}.rows.npy", mmap_mode="r", allow_pickle=False)
            count, dead = int(entry["count"]), [int(p) for p in entry["dead"]]
            if (columns.dtype != np.float32 or columns.shape != (dim, count) or rows.dtype != np.int64
                    or rows.shape != (count, 3) or any(not 0 <= p < count for p in dead)):
                return None, "corrupt (shape or type does not match its metadata)"
            segments.append(Segment(columns, rows, dead, token))
        projects = meta["projects"]
        if not isinstance(projects, list):
            return None, "corrupt (project list)"
        opened = VectorMatrix(int(meta["generation"]), segments, list(projects))
        _opened[meta_file] = (version, opened)
        return opened, "ok"
    except FileNotFoundError:
        return None, "missing arrays"
    except (OSError, ValueError, KeyError, TypeError, EOFError, AttributeError) as exc:
        return None, f"corrupt ({type(exc).__name__})"


def needs_compaction(built: VectorMatrix) -> bool:
    total = sum(len(s.rows) for s in built.segments)
    churn = sum(len(s.rows) for s in built.segments[1:]) + sum(len(s.dead) for s in built.segments)
    return len(built.segments) > COMPACT_SEGMENTS or (total and churn > COMPACT_SHARE * total)


def compact(built: VectorMatrix) -> VectorMatrix:
    """One segment holding only the live rows (in memory; `save` writes it)."""
    blocks, rows = [], []
    for segment in built.segments:
        keep = np.ones(len(segment.rows), dtype=bool)
        keep[segment.dead] = False
        blocks.append(np.asarray(segment.columns)[:, keep])
        rows.append(np.asarray(segment.rows)[keep])
    dim = built.segments[0].columns.shape[0] if built.segments else 0
    columns = np.concatenate(blocks, axis=1) if blocks else np.zeros((dim, 0), np.float32)
    row_array = np.concatenate(rows) if rows else np.zeros((0, 3), np.int64)
    return VectorMatrix(built.generation, [Segment(columns, row_array)], built.projects)


def save(instance: str, embedder: str, built: VectorMatrix) -> None:
    """Write segments that are not on disk yet, point the metadata at all of them, drop unreferenced arrays."""
    folder = paths.ensure_private_dir(cache_dir())
    stem = _stem(instance, embedder)
    for segment in built.segments:
        if segment.token is not None:
            continue
        segment.token = uuid.uuid4().hex[:12]
        for suffix, array in (("columns", segment.columns), ("rows", segment.rows)):
            # 0600 like every file nerv writes: the vectors are derived from the user's notes.
            fd = os.open(folder / f"{stem}-{segment.token}.{suffix}.npy", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
    dim = int(built.segments[0].columns.shape[0]) if built.segments else 0
    meta = {"layout": LAYOUT, "embedder": embedder, "dim": dim, "generation": built.generation,
            "projects": built.projects,
            "segments": [{"token": s.token, "count": int(len(s.rows)), "dead": sorted(s.dead)} for s in built.segments]}
    paths.write_private_file(meta_path(instance, embedder), json.dumps(meta).encode("utf-8"))
    referenced = {f"{stem}-{s.token}.{suffix}.npy" for s in built.segments for suffix in ("columns", "rows")}
    for old in folder.glob(f"{stem}-*.npy"):
        if old.name not in referenced:
            try:
                # A process still reading the old arrays keeps its mapping: unlinking does not disturb it.
                os.unlink(old)
            except OSError:
                pass
