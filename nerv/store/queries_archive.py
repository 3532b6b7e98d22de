"""The SQL of the transcript archive: manifests (archive_files + archive_file_chunks) and chunk rows. Stdlib only
(the SessionEnd hook archives)."""

from __future__ import annotations

import sqlite3

FILE_COLUMNS = ("id", "session_id", "rel_path", "source_path", "size", "sha256", "mtime_ns", "archived_at")
_FILE_SELECT = f"SELECT {', '.join(FILE_COLUMNS)} FROM archive_files"


def file_manifests(conn: sqlite3.Connection) -> dict[str, dict]:
    """rel_path -> manifest of every archived file (one query: an import with nothing new stats and compares)."""
    return {row[2]: dict(zip(FILE_COLUMNS, row)) for row in conn.execute(_FILE_SELECT)}


def chunk_hashes(conn: sqlite3.Connection, file_id: int) -> list[str]:
    return [r[0] for r in conn.execute("SELECT chunk_hash FROM archive_file_chunks WHERE file_id = ? ORDER BY seq",
                                       (file_id,))]


def chunks_of_file(conn: sqlite3.Connection, file_id: int) -> list[tuple[str, int, str]]:
    """(hash, uncompressed size, codec) of each chunk of a file, in order."""
    return conn.execute("SELECT c.hash, c.size, c.codec FROM archive_file_chunks f JOIN archive_chunks c"
                        " ON c.hash = f.chunk_hash WHERE f.file_id = ? ORDER BY f.seq", (file_id,)).fetchall()


def stored_chunks(conn: sqlite3.Connection, hashes: list[str]) -> set[str]:
    """The subset of `hashes` already in the archive."""
    found: set[str] = set()
    for start in range(0, len(hashes), 500):
        part = hashes[start:start + 500]
        found.update(r[0] for r in conn.execute(
            f"SELECT hash FROM archive_chunks WHERE hash IN ({', '.join('?' * len(part))})", part))
    return found


def insert_chunks(conn: sqlite3.Connection, rows: list[tuple[str, int, int, str, str]]) -> None:
    """(hash, size, stored_size, codec, created_at); a chunk another writer stored meanwhile is kept."""
    conn.executemany("INSERT INTO archive_chunks (hash, size, stored_size, codec, created_at) VALUES (?, ?, ?, ?, ?)"
                     " ON CONFLICT (hash) DO NOTHING", rows)


def save_file(conn: sqlite3.Connection, manifest: dict, hashes: list[str], first_new_seq: int) -> int:
    """Upsert a file's manifest; its chunk list from `first_new_seq` on becomes hashes[first_new_seq:]."""
    values = tuple(manifest[c] for c in FILE_COLUMNS[1:])
    file_id = conn.execute(
        "INSERT INTO archive_files (session_id, rel_path, source_path, size, sha256, mtime_ns, archived_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rel_path) DO UPDATE SET session_id = excluded.session_id,"
        " source_path = excluded.source_path, size = excluded.size, sha256 = excluded.sha256,"
        " mtime_ns = excluded.mtime_ns, archived_at = excluded.archived_at RETURNING id", values).fetchone()[0]
    conn.execute("DELETE FROM archive_file_chunks WHERE file_id = ? AND seq >= ?", (file_id, first_new_seq))
    conn.executemany("INSERT INTO archive_file_chunks (file_id, seq, chunk_hash) VALUES (?, ?, ?)",
                     [(file_id, seq, hashes[seq]) for seq in range(first_new_seq, len(hashes))])
    return file_id


def session_ids(conn: sqlite3.Connection, prefix: str) -> list[str]:
    """Archived session ids equal to `prefix` (exactly that one), else starting with it."""
    if conn.execute("SELECT 1 FROM archive_files WHERE session_id = ? LIMIT 1", (prefix,)).fetchone():
        return [prefix]
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return [r[0] for r in conn.execute("SELECT DISTINCT session_id FROM archive_files WHERE session_id LIKE ?"
                                       " ESCAPE '\\' ORDER BY session_id LIMIT 6", (pattern,))]


def files_of_session(conn: sqlite3.Connection, session_id: str) -> list[dict]:
    """The session's archived files, its own transcript first, then its subagents' by path."""
    rows = conn.execute(_FILE_SELECT + " WHERE session_id = ? ORDER BY rel_path LIKE '%/subagents/%', rel_path",
                        (session_id,))
    return [dict(zip(FILE_COLUMNS, row)) for row in rows]


def stats(conn: sqlite3.Connection) -> dict:
    """Sizes: raw (every archived file's length), unique (each distinct chunk once) and stored (compressed)."""
    files, sessions, raw = conn.execute(
        "SELECT COUNT(*), COUNT(DISTINCT session_id), COALESCE(SUM(size), 0) FROM archive_files").fetchone()
    chunks, unique, stored = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(SUM(stored_size), 0) FROM archive_chunks").fetchone()
    return {"files": files, "sessions": sessions, "chunks": chunks, "raw_bytes": raw, "unique_bytes": unique,
            "stored_bytes": stored}


def count_files_older(conn: sqlite3.Connection, cutoff: str) -> int:
    return conn.execute("SELECT COUNT(*) FROM archive_files WHERE archived_at < ?", (cutoff,)).fetchone()[0]


def delete_files_older(conn: sqlite3.Connection, cutoff: str) -> int:
    """Delete the manifests last archived before `cutoff` (their chunk lists cascade)."""
    return conn.execute("DELETE FROM archive_files WHERE archived_at < ?", (cutoff,)).rowcount


def delete_unreferenced_chunks(conn: sqlite3.Connection) -> list[str]:
    """Delete the chunk rows no manifest lists; returns their hashes (their files go after the commit)."""
    return [r[0] for r in conn.execute(
        "DELETE FROM archive_chunks WHERE NOT EXISTS (SELECT 1 FROM archive_file_chunks f"
        " WHERE f.chunk_hash = archive_chunks.hash) RETURNING hash")]
