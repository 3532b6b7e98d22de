"""The transcript archive: Claude Code transcripts kept as content-addressed, compressed chunks. Stdlib only
(the SessionEnd hook archives its session's files).

A file is cut at line ends into chunks of about CHUNK_BYTES; a chunk is stored once, under
<NERV_HOME>/archive/<first 2 hex>/<other 62 hex> of the sha256 of its uncompressed bytes, compressed, mode 0600.
The codec is recorded per chunk: `nerv session import` writes zstd (the zstandard package, ten times zlib's
speed at a smaller size on the transcript bench: docs/performance.md), the SessionEnd hook zlib (standard
library only); both are read back. A file's manifest (nerv.store.queries_archive) lists its chunks in order
with the file's size and sha256. Transcripts only grow, so a file whose archived bytes are still its prefix (same size, same sha256)
adds chunks for its new tail only; any other change archives it anew (chunks it shares are not stored twice).
Chunk files are written before the manifests' transaction, which takes a batch of files of about
BATCH_BYTES: a crash in between leaves only unreferenced files, never a manifest naming a chunk that is not
there, and a batch's write lock is held for milliseconds.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import zlib
from pathlib import Path

from nerv import atomic_file
from nerv.errors import NervError
from nerv.store import paths, queries_archive, tx

CHUNK_BYTES = 1024 * 1024
BATCH_BYTES = 32 * 1024 * 1024  # of new bytes recorded by one manifests' transaction
READ_BYTES = 4 * 1024 * 1024  # a file is read this much at a time: memory is bounded by it, not by the file
WRITE_BYTES = 8 * 1024 * 1024  # of chunks held in memory before they are written (peak RSS, bench: docs/performance.md)
WRITER_THREADS = 4
CODEC = "zlib"
ZSTD = "zstd"
ZLIB_LEVEL = 6  # measured (docs/performance.md): level 9 saves 5 % more at 60 % of the speed
ZSTD_LEVEL = 3  # zstd's default; level 1 was as fast and 1.3 points larger on the bench corpus
SETTING = "sessions.archive"


def archive_dir() -> Path:
    return paths.nerv_home() / "archive"


def chunk_path(digest: str) -> Path:
    return archive_dir() / digest[:2] / digest[2:]


def rel_path_of(path: str) -> str:
    """The file's path below Claude Code's projects folder: `<project>/<session>.jsonl`, or
    `<project>/<session>/subagents/agent-<id>.jsonl` for a subagent's file."""
    parts = os.path.normpath(path).split(os.sep)  # text, not Path(path).parts: ~3x faster on a warm re-import
    keep = 4 if len(parts) >= 5 and parts[-2] == "subagents" else 2
    return "/".join(parts[-keep:])


def session_of(rel_path: str) -> str:
    parts = rel_path.split("/")
    return parts[1] if len(parts) == 4 else parts[-1].removesuffix(".jsonl")


def split_at_lines(data: bytes, limit: int = CHUNK_BYTES) -> list[bytes]:
    """`data` in pieces of at most `limit` bytes that end at a newline (a longer line is a piece of its own;
    an unterminated last line is the last piece)."""
    pieces, start = [], 0
    while start < len(data):
        end = start + limit
        if end < len(data):
            cut = data.rfind(b"\n", start, end)
            end = cut + 1 if cut >= start else data.find(b"\n", end) + 1 or len(data)
        pieces.append(data[start:end])
        start = end
    return pieces


def _compress(data: bytes, codec: str) -> bytes:
    if codec == ZSTD:
        import zstandard

        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(data)
    return zlib.compress(data, ZLIB_LEVEL)


def _decompress(packed: bytes, codec: str) -> bytes | None:
    """The chunk's bytes, None for an unknown codec or damaged data."""
    if codec == ZSTD:
        try:
            import zstandard
        except ImportError:
            raise NervError("io", "this archive holds zstd chunks and the zstandard package is not installed",
                            "reinstall nerv (zstandard is one of its dependencies)") from None
        try:
            return zstandard.ZstdDecompressor().decompress(packed)
        except zstandard.ZstdError:
            return None
    if codec == CODEC:
        try:
            return zlib.decompress(packed)
        except zlib.error:
            return None
    return None


def write_chunk(digest: str, data: bytes, codec: str = CODEC) -> int:
    """Store one chunk (0600, atomically); returns its compressed size. The folder's fsync, which makes the
    rename durable, is left to sync_chunk_folders: once per folder for a whole run, not once per chunk."""
    packed = _compress(data, codec)
    target = chunk_path(digest)
    try:
        paths.ensure_private_dir(archive_dir())
        paths.ensure_private_dir(target.parent)
        atomic_file.write_bytes(target, packed, mode=0o600, sync_folder=False)
    except OSError as exc:
        raise NervError("io", f"cannot write archive chunk {target}: {exc.strerror or exc}",
                        "free disk space or fix NERV_HOME/archive's permissions; nothing of this run was recorded"
                        " in the archive") from None
    return len(packed)


def sync_chunk_folders(digests) -> None:
    """fsync the folders the chunks were renamed into, before a manifest names them."""
    for folder in sorted({chunk_path(d).parent for d in digests}):
        atomic_file.fsync_dir(folder)


def read_chunk(digest: str, size: int, codec: str) -> bytes:
    """The chunk's bytes, checked against its hash; NervError('integrity') when missing, damaged or altered."""
    hint = "the archive copy is damaged: restore NERV_HOME/archive from a backup (docs/data-safety.md)"
    try:
        packed = chunk_path(digest).read_bytes()
    except FileNotFoundError:
        raise NervError("integrity", f"archive chunk {digest[:12]} is missing", hint) from None
    except OSError as exc:
        raise NervError("io", f"cannot read archive chunk {digest[:12]}: {exc.strerror or exc}") from None
    data = _decompress(packed, codec)
    if data is None or len(data) != size or hashlib.sha256(data).hexdigest() != digest:
        raise NervError("integrity", f"archive chunk {digest[:12]} fails its checksum", hint)
    return data


def remove_chunk_files(digests: list[str]) -> None:
    """Delete the files of chunks whose rows are gone (after that transaction committed)."""
    for digest in digests:
        try:
            os.unlink(chunk_path(digest))
        except FileNotFoundError:
            pass


def enabled(conn: sqlite3.Connection) -> bool:
    from nerv import settings_keys
    from nerv.store import lookups

    return lookups.effective_setting(conn, SETTING, None, settings_keys.KNOWN[SETTING].default) is not False


def archive_files(conn: sqlite3.Connection, files: list[Path], *, max_new_bytes: int | None = None,
                  actor: str | None = None, codec: str = CODEC) -> dict:
    """Archive what is new in `files`; returns counts. A file that cannot be read is reported, not raised.

    With `max_new_bytes`, files whose new bytes would pass that total are left for a later run (`deferred`).
    `codec`: CODEC (zlib, standard library: the hook) or ZSTD. Manifests are saved a batch of about
    BATCH_BYTES of new bytes per transaction.
    Returns {files, archived, appended, unchanged, deferred, new_chunks, new_bytes, stored_bytes, unreadable}.
    """
    result = {"files": len(files), "archived": 0, "appended": 0, "unchanged": 0, "deferred": 0, "new_chunks": 0,
              "new_bytes": 0, "stored_bytes": 0, "unreadable": []}
    batch = _Batch()
    seen: set[str] = set()
    manifests = queries_archive.file_manifests(conn) if files else {}
    for path in files:
        try:
            plan = _plan(conn, str(path), manifests)
        except OSError as exc:
            result["unreadable"].append({"path": str(path), "reason": exc.strerror or str(exc)})
            continue
        if plan is None:
            result["unchanged"] += 1
            continue
        handle, rel, stat, prefix, start, digest = plan
        with handle:
            new_bytes = os.fstat(handle.fileno()).st_size - start
            staged_bytes = result["new_bytes"] + batch.counts["new_bytes"]
            if max_new_bytes is not None and staged_bytes + new_bytes > max_new_bytes and \
                    (batch.staged or result["archived"] + result["appended"]):
                result["deferred"] += 1
                continue
            try:
                new_hashes, size, file_sha256 = _stage_pieces(conn, handle, start, digest, batch, seen, codec)
            except OSError as exc:
                result["unreadable"].append({"path": str(path), "reason": exc.strerror or str(exc)})
                continue
        hashes, first_new = prefix + new_hashes, len(prefix)
        manifest = {"session_id": session_of(rel), "rel_path": rel, "source_path": str(path), "size": size,
                    "sha256": file_sha256, "mtime_ns": stat.st_mtime_ns}
        batch.counts["new_bytes"] += size - start
        batch.counts["appended" if first_new else "archived"] += 1
        batch.staged.append((manifest, hashes, first_new))
        if batch.counts["new_bytes"] >= BATCH_BYTES:
            batch = _save(conn, batch, result, actor, codec)
    if batch.staged:
        _save(conn, batch, result, actor, codec)
    return result


class _Batch:
    """Files whose chunks are written (or waiting to be) and whose manifests wait for their transaction."""

    def __init__(self):
        self.staged: list[tuple] = []
        self.pending: list[tuple[str, bytes]] = []  # (digest, bytes) of the chunks to write
        self.chunk_rows: list[tuple] = []  # (digest, size, stored size, codec) of the chunks written
        self.counts = dict.fromkeys(("archived", "appended", "new_chunks", "new_bytes", "stored_bytes"), 0)

    def pending_bytes(self) -> int:
        return sum(len(piece) for _, piece in self.pending)


def _write_pending(batch: _Batch, codec: str) -> None:
    """Write the batch's waiting chunk files and make them durable; only their rows stay in memory.

    The chunks are written by a few threads: compression, hashing and each file's fsync release the GIL, and
    the fsyncs (most of the archive's time on a busy disk) overlap."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(WRITER_THREADS) as pool:
        stored = list(pool.map(lambda job: write_chunk(job[0], job[1], codec), batch.pending))
    batch.chunk_rows += [(digest, len(piece), size, codec) for (digest, piece), size in zip(batch.pending, stored)]
    batch.counts["stored_bytes"] += sum(stored)
    sync_chunk_folders([digest for digest, _ in batch.pending])
    batch.pending = []


def _save(conn, batch: _Batch, result: dict, actor, codec: str) -> _Batch:
    """Write the batch's remaining chunk files, then record its chunks and manifests in one transaction; adds
    its counts to `result` and returns an empty batch."""
    _write_pending(batch, codec)
    chunk_rows = batch.chunk_rows

    def body(write_tx: tx.WriteTx) -> None:
        queries_archive.insert_chunks(conn, [row + (write_tx.now,) for row in chunk_rows])
        for manifest, hashes, first_new in batch.staged:
            queries_archive.save_file(conn, {**manifest, "archived_at": write_tx.now}, hashes, first_new)
        write_tx.audit("session.archive", "transcripts", None, after=batch.counts)

    tx.write(conn, body, actor=actor)
    for key, value in batch.counts.items():
        result[key] += value
    return _Batch()


def new_bytes(conn: sqlite3.Connection, files: list[Path]) -> int:
    """About how many bytes archive_files would read anew: a file's growth past its archived size, all of a file
    not archived yet (or shorter than its archive), nothing for one unchanged. From sizes and one query, without
    reading a file (a rewritten file of the same or a larger size counts only its growth)."""
    manifests = queries_archive.file_manifests(conn) if files else {}
    total = 0
    for path in files:
        try:
            stat = os.stat(path)
        except OSError:
            continue  # reported by archive_files itself
        known = manifests.get(rel_path_of(str(path)))
        if known is None or stat.st_size < known["size"]:
            total += stat.st_size
        elif stat.st_mtime_ns != known["mtime_ns"] or stat.st_size != known["size"]:
            total += stat.st_size - known["size"]
    return total


def _plan(conn: sqlite3.Connection, path: str, manifests: dict[str, dict]):
    """(open file, rel path, stat, hashes of the archived chunks kept, offset of the new bytes, sha256 of the
    bytes before them), or None when nothing changed. A grown file whose archived bytes are still its prefix
    keeps its chunks; any other change starts again from byte 0."""
    rel = rel_path_of(path)
    known = manifests.get(rel)
    stat = os.stat(path)
    if known and known["size"] == stat.st_size and known["mtime_ns"] == stat.st_mtime_ns:
        return None
    handle = open(path, "rb")
    try:
        digest = hashlib.sha256()
        if known and os.fstat(handle.fileno()).st_size >= known["size"]:
            left = known["size"]
            while left > 0:
                block = handle.read(min(left, READ_BYTES))
                if not block:
                    break
                digest.update(block)
                left -= len(block)
            if left == 0 and digest.hexdigest() == known["sha256"]:
                if not handle.read(1):
                    handle.close()
                    return None
                handle.seek(known["size"])
                return handle, rel, stat, queries_archive.chunk_hashes(conn, known["id"]), known["size"], digest
            digest = hashlib.sha256()
        handle.seek(0)
        return handle, rel, stat, [], 0, digest
    except BaseException:
        handle.close()
        raise


def _pieces(handle, limit: int = CHUNK_BYTES):
    """split_at_lines over the rest of an open file, read READ_BYTES at a time: the same pieces, without the
    whole file in memory (all but the last piece of a buffer are final; the last waits for more bytes)."""
    carry = b""
    while True:
        block = handle.read(READ_BYTES)
        data = carry + block if carry else block
        if not block:
            yield from split_at_lines(data, limit)
            return
        pieces = split_at_lines(data, limit)
        yield from pieces[:-1]
        carry = pieces[-1]


def _stage_pieces(conn: sqlite3.Connection, handle, start: int, digest, batch: _Batch, seen: set[str],
                  codec: str) -> tuple[list[str], int, str]:
    """Hash the new bytes of `handle` (from `start`) chunk by chunk, put the chunks the archive lacks in
    `batch` (written every WRITE_BYTES); returns (their hashes, the file's size, its sha256)."""
    hashes: list[str] = []
    size = start
    first = None  # a file of one chunk: its sha256 is the chunk's, computed once
    for piece in _pieces(handle):
        chunk_hash = hashlib.sha256(piece).hexdigest()
        if start == 0 and not hashes:
            first = piece
        else:
            if first is not None:
                digest.update(first)
                first = None
            digest.update(piece)
        hashes.append(chunk_hash)
        size += len(piece)
        if chunk_hash not in seen and not queries_archive.stored_chunks(conn, [chunk_hash]):
            seen.add(chunk_hash)
            batch.pending.append((chunk_hash, piece))
            batch.counts["new_chunks"] += 1
            if batch.pending_bytes() >= WRITE_BYTES:
                _write_pending(batch, codec)
    file_sha256 = hashes[0] if first is not None else digest.hexdigest()
    return hashes, size, file_sha256
