"""The SQL behind `nerv export` and `nerv import`: scoped streaming reads, a staging database, bulk apply. Stdlib only.

Import never writes a row of the live database before the whole file has been loaded into a staging
database that carries the live schema (so SQLite itself checks NOT NULL, CHECK, UNIQUE and primary keys),
type-checked, and its audit chain verified. Applying is then `INSERT … SELECT` from the attached staging
file inside one write transaction with foreign keys deferred to a check just before COMMIT.

On PostgreSQL the staging database is still an SQLite file, made with SQLite's migrations at the same
schema version (the server's catalogs describe the same tables, columns and keys); its rows are loaded
into temporary tables on the server, which then play the attached file's part. The server checks
foreign keys at the end of each statement, so a table's self references land within one INSERT.
`nerv db copy` stages a live ledger the same way and applies it as a replace into an empty target.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from nerv.errors import NervError, conflict, invalid
from nerv.store import audit as audit_log
from nerv.store import dialect, search_index
from nerv.store.schema_info import Table, fts_external_content_tables, quote, state_tables, unique_indexes_sql

AUDIT_TABLE = "audit_log"
PROJECTS_TABLE = "projects"
FETCH_BATCH = 2000
LOAD_BATCH = 5000

# typeof() results each affinity accepts once SQLite's own conversions have run.
ALLOWED_TYPES = {
    "integer": ("integer", "null"),
    "real": ("real", "integer", "null"),
    "text": ("text", "null"),
}


# ---- export ----------------------------------------------------------------------------------------

@dataclass
class ExportSection:
    table: Table
    where: str | None  # None: the whole table
    count: int = 0


def scope_filter(tables: dict[str, Table], name: str, seen: frozenset = frozenset()) -> str | None:
    """SQL condition selecting `name`'s rows that belong to project :project, or None (a global table).

    A row belongs to a project when it has a project_id, or references (through its foreign keys) a row
    that belongs to it; the projects table is filtered on its own id.
    """
    table = tables[name]
    if name == PROJECTS_TABLE:
        return "id = :project"
    if table.column("project_id"):
        return "project_id = :project"
    for fk in table.foreign_keys:
        if fk.parent in seen or fk.parent == name or fk.parent not in tables or len(fk.columns) != 1:
            continue
        parent_filter = scope_filter(tables, fk.parent, seen | {name})
        if parent_filter:
            return (f"{quote(fk.columns[0])} IN (SELECT {quote(fk.parent_columns[0])} FROM {quote(fk.parent)} "
                    f"WHERE {parent_filter})")
    return None


def export_sections(conn: sqlite3.Connection, project_id: str | None) -> list[ExportSection]:
    """Which tables and rows an export holds, with row counts (call inside the export's read transaction)."""
    tables = state_tables(conn)
    by_name = {t.name: t for t in tables}
    sections = []
    for table in tables:
        where = None
        if project_id is not None:
            where = scope_filter(by_name, table.name)
            if where is None:
                continue
        section = ExportSection(table, where)
        sql = f"SELECT count(*) FROM {quote(table.name)}" + (f" WHERE {where}" if where else "")
        section.count = conn.execute(sql, {"project": project_id}).fetchone()[0]
        sections.append(section)
    return sections


def iter_rows(conn: sqlite3.Connection, section: ExportSection, project_id: str | None) -> Iterator[list[tuple]]:
    """Rows of one section in primary-key order (stable documents), in batches so memory stays flat."""
    table = section.table
    order = ", ".join(quote(c) for c in table.primary_key) or "rowid"
    sql = (f"SELECT {', '.join(quote(c) for c in table.column_names)} FROM {quote(table.name)}"
           + (f" WHERE {section.where}" if section.where else "") + f" ORDER BY {order}")
    cursor = conn.execute(sql, {"project": project_id})
    blobs = [i for i, c in enumerate(table.columns) if c.affinity == "blob"] if dialect.name(conn) != dialect.SQLITE else []
    while True:
        batch = cursor.fetchmany(FETCH_BATCH)
        if not batch:
            return
        if blobs:  # the driver gives bytea as memoryview; rows carry bytes on both backends
            batch = [tuple(bytes(v) if i in blobs and v is not None else v for i, v in enumerate(row)) for row in batch]
        yield batch


# ---- import: staging --------------------------------------------------------------------------------

@dataclass
class LoadedTable:
    table: Table
    columns: list[str]  # the columns the file supplied that the current schema has
    rows: int = 0
    dropped_columns: list[str] = field(default_factory=list)


class Staging:
    """A scratch database with the live schema's state tables, filled from the file before anything is applied."""

    def __init__(self, live: sqlite3.Connection, path: Path):
        self.path = path
        self.tables = {t.name: t for t in state_tables(live)}
        self.order = list(self.tables)
        self.conn = sqlite3.connect(str(path), isolation_level=None)
        # A scratch file: durability would only cost time; it is deleted after the import. The journal
        # stays (in memory) because a failed batch is rolled back to a savepoint to find the bad row.
        self.conn.execute("PRAGMA journal_mode = MEMORY")
        self.conn.execute("PRAGMA synchronous = OFF")
        for table in self.tables.values():
            self.conn.execute(table.create_sql)
            for index_sql in unique_indexes_sql(live, table.name):
                self.conn.execute(index_sql)
        self.loaded: dict[str, LoadedTable] = {}
        self.conn.execute("BEGIN")

    @classmethod
    def for_live(cls, live, path: Path) -> "Staging":
        """A staging database for `live`: on PostgreSQL its schema comes from SQLite's migrations at the same
        version (a template file beside `path`), since the server has no SQLite CREATE statements to copy."""
        if dialect.name(live) == dialect.SQLITE:
            return cls(live, path)
        from nerv.store import migrate
        from nerv.store.admin import schema_version
        from nerv.store.sqlite import open_connection

        version = schema_version(live)
        template = open_connection(path.with_name(path.stem + "-schema.db"))
        try:
            migrate.apply_pending(template, [m for m in migrate.load_plan() if m.version <= version])
            return cls(template, path)
        finally:
            template.close()

    def rows(self, name: str) -> Iterator[list[tuple]]:
        """The staged rows of `name` (the columns the file supplied), in batches, read after loading ended."""
        loaded = self.loaded[name]
        conn = sqlite3.connect(str(self.path), isolation_level=None)
        try:
            cursor = conn.execute(f"SELECT {', '.join(quote(c) for c in loaded.columns)} FROM {quote(name)}")
            while batch := cursor.fetchmany(FETCH_BATCH):
                yield batch
        finally:
            conn.close()

    def close(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")
        self.conn.close()

    def finish_loading(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    def start_table(self, name: str, file_columns: list[str]) -> LoadedTable | None:
        """Prepare to load `name`; None when the current schema has no such table (the caller reports it)."""
        table = self.tables.get(name)
        if table is None:
            return None
        known = set(table.column_names)
        loaded = LoadedTable(table, [c for c in file_columns if c in known],
                             dropped_columns=[c for c in file_columns if c not in known])
        self.loaded[name] = loaded
        return loaded

    def load(self, loaded: LoadedTable, file_columns: list[str], batch: list, first_index: int, locate) -> None:
        """Insert one batch; on failure find the first bad row and raise an error naming it.

        `locate(index)` describes where row number `index` (1-based within the table) sits in the file.
        """
        rows = batch
        if loaded.columns != file_columns:
            keep = [file_columns.index(c) for c in loaded.columns]
            width = len(file_columns)
            rows = []
            for offset, row in enumerate(batch):
                if not isinstance(row, list) or len(row) != width:
                    raise invalid(f"{locate(first_index + offset)}: {loaded.table.name} row has "
                                  f"{len(row) if isinstance(row, list) else 'no'} values, the header lists {width}")
                rows.append([row[i] for i in keep])
        sql = (f"INSERT INTO {quote(loaded.table.name)} ({', '.join(quote(c) for c in loaded.columns)}) "
               f"VALUES ({', '.join('?' for _ in loaded.columns)})")
        self.conn.execute("SAVEPOINT batch")
        try:
            self.conn.executemany(sql, rows)
        except (sqlite3.Error, ValueError, TypeError, OverflowError):
            self.conn.execute("ROLLBACK TO batch")
            self.conn.execute("RELEASE batch")
            self._raise_for_first_bad_row(loaded, sql, rows, first_index, locate)
            raise
        self.conn.execute("RELEASE batch")
        loaded.rows += len(rows)

    def _raise_for_first_bad_row(self, loaded: LoadedTable, sql: str, rows: list, first_index: int, locate) -> None:
        self.conn.execute("SAVEPOINT probe")
        try:
            for offset, row in enumerate(rows):
                try:
                    if not isinstance(row, (list, tuple)):
                        raise TypeError("not a list")
                    self.conn.execute(sql, row)
                except (sqlite3.Error, ValueError, TypeError, OverflowError) as exc:
                    raise invalid(f"{locate(first_index + offset)}: {loaded.table.name} row "
                                  f"{_describe_row(loaded, row)}: {_explain(exc, loaded.table.name)}",
                                  "fix or remove that row; nothing was imported") from None
        finally:
            self.conn.execute("ROLLBACK TO probe")
            self.conn.execute("RELEASE probe")

    def check_types(self) -> None:
        """Refuse a value whose type the column cannot hold (e.g. text in an INTEGER column)."""
        for loaded in self.loaded.values():
            table = loaded.table
            checks = [(c, ALLOWED_TYPES[c.affinity]) for c in table.columns
                      if c.name in loaded.columns and c.affinity in ALLOWED_TYPES]
            if not checks or not loaded.rows:
                continue
            condition = " OR ".join(f"typeof({quote(c.name)}) NOT IN ({', '.join(repr(t) for t in allowed)})"
                                    for c, allowed in checks)
            names = ", ".join(quote(c) for c in table.column_names)
            bad = self.conn.execute(f"SELECT {names} FROM {quote(table.name)} WHERE {condition} LIMIT 1").fetchone()
            if bad:
                values = dict(zip(table.column_names, bad))
                column, allowed = next((c, a) for c, a in checks if _sqlite_type(values[c.name]) not in a)
                key = {k: values[k] for k in table.primary_key if k in values}
                raise invalid(f"{table.name} row {key}: column {column.name} holds "
                              f"{_sqlite_type(values[column.name])} {values[column.name]!r}, "
                              f"expected {column.declared_type or 'any'}",
                              "fix or remove that row; nothing was imported")

    def verify_audit_chain(self) -> dict:
        return audit_log.verify_chain(self.conn)

    def has_state_rows(self) -> bool:
        return any(l.rows for name, l in self.loaded.items() if name != AUDIT_TABLE)


def _sqlite_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "real"
    if isinstance(value, bytes):
        return "blob"
    return "text"


def _describe_row(loaded: LoadedTable, row) -> str:
    if not isinstance(row, (list, tuple)):
        return repr(row)[:80]
    values = dict(zip(loaded.columns, row))
    key = {k: values[k] for k in loaded.table.primary_key if k in values}
    return str(key) if key else repr(list(row))[:120]


def _explain(exc: BaseException, table: str) -> str:
    text = str(exc)
    if "UNIQUE constraint failed" in text:
        return f"duplicate id: {text.split(':', 1)[1].strip()} repeats a value another row in the file already has"
    if "NOT NULL constraint failed" in text:
        return f"missing value for {text.split(':', 1)[1].strip()}"
    if "CHECK constraint failed" in text:
        return f"a value breaks a constraint of the table ({text})"
    if "datatype mismatch" in text:
        return "the primary key must be an integer"
    if "bindings" in text or "not a list" in text:
        return "the row does not have one value per column of the table header"
    if isinstance(exc, (sqlite3.ProgrammingError, sqlite3.InterfaceError, TypeError, ValueError, OverflowError)):
        return f"a value cannot be stored in a column ({text})"
    return text


# ---- import: apply ----------------------------------------------------------------------------------

@dataclass
class ApplyReport:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    conflicts: list[dict] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)
    audit: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Sides:
    """How one backend's SQL names a live table and its staged copy (the attached file, or a temporary table)."""
    live_schema: str
    staged_schema: str
    staged_prefix: str
    same: str  # null-safe equality

    def live(self, name: str) -> str:
        return f"{self.live_schema}.{quote(name)}"

    def staged(self, name: str) -> str:
        return f"{self.staged_schema}.{quote(self.staged_prefix + name)}"


def sides(conn) -> Sides:
    if dialect.name(conn) == dialect.POSTGRESQL:
        # Temporary tables sit first on the search path: a prefix keeps triggers' unqualified names on the live ones.
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        return Sides(quote(schema), "pg_temp", "nerv_staging_", "IS NOT DISTINCT FROM")
    return Sides("main", "staging", "", "IS")


def attach(conn, staging: Staging) -> None:
    """Make the staged rows readable on the live connection: ATTACH on SQLite, temporary tables on PostgreSQL."""
    if dialect.name(conn) == dialect.SQLITE:
        conn.execute("ATTACH DATABASE ? AS staging", (str(staging.path),))
        return
    side = sides(conn)
    for name, loaded in staging.loaded.items():
        cols = ", ".join(quote(c) for c in loaded.columns)
        conn.execute(f"CREATE TEMPORARY TABLE {side.staged(name)} AS SELECT {cols} FROM {side.live(name)} WITH NO DATA")
        insert = f"INSERT INTO {side.staged(name)} ({cols}) VALUES ({', '.join('?' for _ in loaded.columns)})"
        for batch in staging.rows(name):
            conn.execute_batch(insert, batch)


def detach(conn, staging: Staging) -> None:
    if dialect.name(conn) == dialect.SQLITE:
        try:
            conn.execute("DETACH DATABASE staging")
        except sqlite3.Error:
            pass
        return
    if conn.in_transaction:  # a failed statement left it aborted
        conn.execute("ROLLBACK")
    side = sides(conn)
    for name in staging.loaded:
        conn.execute(f"DROP TABLE IF EXISTS {side.staged(name)}")


def _defer_foreign_keys(conn) -> None:
    # SQLite checks at COMMIT (PRAGMA foreign_key_check in _finish); PostgreSQL at the end of each statement.
    if dialect.name(conn) == dialect.SQLITE:
        conn.execute("PRAGMA defer_foreign_keys = ON")


def _is_integrity_error(exc: BaseException) -> bool:
    from nerv.store.postgres import sqlstate

    return isinstance(exc, sqlite3.IntegrityError) or (sqlstate(exc) or "").startswith("23")


FOREIGN_KEY_VIOLATION = "23503"
DANGLING_HINT = "the row refers to something that is neither in the file nor in this database; nothing was imported"


def _dangling_reference(name: str, exc: BaseException) -> NervError | None:
    """The server's refusal of a row whose reference is missing (it checks each statement, SQLite at the end in
    _finish), said as _finish says it; None for any other error."""
    from nerv.store.postgres import sqlstate

    if sqlstate(exc) != FOREIGN_KEY_VIOLATION:
        return None
    detail = " ".join(line.strip() for line in str(exc).strip().splitlines()[1:])
    return invalid(f"a {name} row refers to a row that does not exist (dangling reference): {detail}", DANGLING_HINT)


def _insert_staged(conn, side: Sides, name: str, cols: str, tail: str = "", params=()) -> int:
    """INSERT INTO the live table SELECT from its staged copy; a row the server refuses is reported as the file's."""
    try:
        return conn.execute(f"INSERT INTO {side.live(name)} ({cols}) SELECT {cols} FROM {side.staged(name)}{tail}",
                            params).rowcount
    except Exception as exc:
        if dialect.name(conn) == dialect.SQLITE or not _is_integrity_error(exc):
            raise
        dangling = _dangling_reference(name, exc)
        if dangling:
            raise dangling from None
        raise invalid(f"{name}: {str(exc).strip().splitlines()[0]}",
                      "a row refers to something missing or repeats a unique value; nothing was written") from None


def apply_replace(conn: sqlite3.Connection, staging: Staging) -> ApplyReport:
    """Replace every state table's rows (audit log included) with the staged ones. Call inside the write tx."""
    report = ApplyReport()
    side = sides(conn)
    _defer_foreign_keys(conn)
    for name in reversed(staging.order):
        report.deleted[name] = conn.execute(f"SELECT count(*) FROM {side.live(name)}").fetchone()[0]
        conn.execute(f"DELETE FROM {side.live(name)}")
    for name in staging.order:
        loaded = staging.loaded.get(name)
        if loaded and loaded.rows:
            _insert_staged(conn, side, name, ", ".join(quote(c) for c in loaded.columns))
        report.inserted[name] = loaded.rows if loaded else 0
    report.audit = {"mode": "replaced", "rows": report.inserted.get(AUDIT_TABLE, 0)}
    search_index.renew_instance(conn)
    _finish(conn, staging)
    return report


def apply_merge(conn: sqlite3.Connection, staging: Staging, *, audit_is_full_chain: bool,
                conflict_sample: int = 20) -> ApplyReport:
    """Upsert staged rows by primary key (the file wins) and report rows that differed. Call inside the write tx."""
    report = ApplyReport()
    side = sides(conn)
    _defer_foreign_keys(conn)
    target_has_state = has_state_rows(conn, staging.order)
    for name in staging.order:
        loaded = staging.loaded.get(name)
        if not loaded or not loaded.rows:
            continue
        if name == AUDIT_TABLE:
            report.audit = _merge_audit(conn, side, loaded, full_chain=audit_is_full_chain,
                                        target_has_state=target_has_state)
            continue
        _upsert_table(conn, side, loaded, report, conflict_sample)
    _finish(conn, staging)
    return report


def has_state_rows(conn, names: list[str]) -> bool:
    """Whether any of these live tables but the audit log holds a row (a freshly migrated ledger holds none)."""
    side = sides(conn)
    return any(conn.execute(f"SELECT 1 FROM {side.live(n)} LIMIT 1").fetchone() for n in names if n != AUDIT_TABLE)


def _upsert_table(conn, side: Sides, loaded: LoadedTable, report: ApplyReport, sample: int) -> None:
    name = loaded.table.name
    cols = loaded.columns
    col_list = ", ".join(quote(c) for c in cols)
    key = [c for c in loaded.table.primary_key if c in cols]
    if not key:
        inserted = _insert_staged(conn, side, name, col_list, f" EXCEPT SELECT {col_list} FROM {side.live(name)}")
        report.inserted[name] = max(inserted, 0)
        return
    join = " AND ".join(f"s.{quote(k)} = m.{quote(k)}" for k in key)
    others = [c for c in cols if c not in key]
    same = " AND ".join(f"s.{quote(c)} {side.same} m.{quote(c)}" for c in others) or "1 = 1"
    matched = conn.execute(f"SELECT count(*) FROM {side.staged(name)} s JOIN {side.live(name)} m ON {join}").fetchone()[0]
    differing_sql = (f"FROM {side.staged(name)} s JOIN {side.live(name)} m ON {join} WHERE NOT ({same})")
    differing = conn.execute(f"SELECT count(*) {differing_sql}").fetchone()[0]
    if differing:
        key_cols = ", ".join(f"s.{quote(k)}" for k in key)
        for row in conn.execute(f"SELECT {key_cols} {differing_sql} LIMIT {int(sample)}"):
            if len(report.conflicts) < sample:
                report.conflicts.append({"table": name, "key": dict(zip(key, row))})
    update = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in others)
    action = f"DO UPDATE SET {update}" if update else "DO NOTHING"
    try:
        conn.execute(f"INSERT INTO {side.live(name)} ({col_list}) SELECT {col_list} FROM {side.staged(name)} WHERE true"
                     f" ON CONFLICT ({', '.join(quote(k) for k in key)}) {action}")
    except Exception as exc:
        if not _is_integrity_error(exc):
            raise
        dangling = _dangling_reference(name, exc)
        if dangling:
            raise dangling from None
        raise conflict(f"{name}: a row of the file collides with a different existing row ({exc})",
                       "the same name/number belongs to another id here; import with --mode replace "
                       "or remove that row; nothing was imported") from None
    report.inserted[name] = loaded.rows - matched
    report.updated[name] = differing
    report.unchanged[name] = matched - differing


def _merge_audit(conn, side: Sides, loaded: LoadedTable, *, full_chain: bool, target_has_state: bool) -> dict:
    """Audit rows are copied as they are, so hashes stay valid; what cannot be chained is left out and reported."""
    if not full_chain:
        return {"mode": "skipped", "rows": loaded.rows,
                "reason": "a project export carries only that project's audit rows, which do not form a chain"}
    staged, live = side.staged(AUDIT_TABLE), side.live(AUDIT_TABLE)
    diverged = conn.execute(f"SELECT min(s.id) FROM {staged} s JOIN {live} m USING (id)"
                            " WHERE s.hash <> m.hash").fetchone()[0]
    cols = ", ".join(quote(c) for c in loaded.columns)
    if diverged is None:
        last = conn.execute(f"SELECT coalesce(max(id), 0) FROM {live}").fetchone()[0]
        added = _insert_staged(conn, side, AUDIT_TABLE, cols, " WHERE id > ? ORDER BY id", (last,))
        return {"mode": "extended" if added else "already present", "rows": max(added, 0)}
    if not target_has_state:
        # A fresh home's log holds only its own migration records: adopt the file's history instead.
        conn.execute(f"DELETE FROM {live}")
        _insert_staged(conn, side, AUDIT_TABLE, cols, " ORDER BY id")
        return {"mode": "adopted", "rows": loaded.rows}
    return {"mode": "skipped", "rows": loaded.rows, "diverges_at": diverged,
            "reason": "the file's audit history diverges from this database's; it was not merged "
                      "(`nerv import --mode replace` adopts it)"}


def _finish(conn, staging: Staging) -> None:
    if dialect.name(conn) == dialect.POSTGRESQL:
        from nerv.store.postgres import advance_identities

        advance_identities(conn, list(staging.loaded))  # ids were given explicitly: the next default follows them
        return
    for name in fts_external_content_tables(conn):
        conn.execute(f"INSERT INTO {quote(name)}({quote(name)}) VALUES ('rebuild')")
    violation = conn.execute("PRAGMA main.foreign_key_check").fetchone()
    if violation:
        table, rowid, parent, fk_id = violation
        raise invalid(f"{describe_violation(conn, table, rowid, parent, fk_id)}", DANGLING_HINT)


def describe_violation(conn: sqlite3.Connection, table: str, rowid, parent: str, fk_id: int) -> str:
    fk_rows = [r for r in conn.execute(f"PRAGMA main.foreign_key_list({quote(table)})") if r[0] == fk_id]
    columns = [r[3] for r in sorted(fk_rows, key=lambda r: r[1])]
    from nerv.store.schema_info import describe_primary_key

    key_cols = describe_primary_key(conn, table)
    if rowid is None:
        return f"a {table} row refers to a missing {parent} row through {', '.join(columns)}"
    selected = ", ".join(quote(c) for c in key_cols + columns)
    values = conn.execute(f"SELECT {selected} FROM main.{quote(table)} WHERE rowid = ?", (rowid,)).fetchone()
    key = dict(zip(key_cols, values[:len(key_cols)]))
    refs = dict(zip(columns, values[len(key_cols):]))
    return f"{table} row {key}: {refs} refers to a {parent} row that does not exist (dangling reference)"


# ---- db copy ---------------------------------------------------------------------------------------

def copy_snapshot(conn) -> dict:
    """What a copy must reproduce, read from the source inside the read transaction it is copied in."""
    from nerv.store.admin import state_digest, table_counts
    from nerv.store.schema_info import state_table_names

    return {"counts": table_counts(conn, state_table_names(conn)), "audit_head": audit_log.chain_head(conn),
            "digest": state_digest(conn)}


def check_copy(conn, expected: dict) -> dict:
    """Compare the target, inside its write transaction, with the source's snapshot; raise 'integrity' on any
    difference (the caller rolls back, so the target is left as it was)."""
    found = copy_snapshot(conn)
    chain = audit_log.verify_chain(conn)
    problems = []
    if found["counts"] != expected["counts"]:
        differing = sorted(n for n in set(found["counts"]) | set(expected["counts"])
                           if found["counts"].get(n) != expected["counts"].get(n))
        problems.append(f"row counts differ in {', '.join(differing)}")
    if not chain["ok"]:
        problems.append(f"the copy's audit chain breaks at row {chain['first_broken']['id']}")
    elif chain["head"] != expected["audit_head"]:
        problems.append("the copy's audit head is not the source's")
    if found["digest"] != expected["digest"]:
        problems.append("the rows' content differs")
    if problems:
        raise NervError("integrity", f"the copy failed verification: {'; '.join(problems)}",
                        "nothing was written to the target; run `nerv audit verify` on the source")
    return {**found, "audit_chain_ok": True}


def replace_all(conn, staging: Staging, expected: dict, *, force: bool) -> dict:
    """The copy's one transaction on the target (staging attached): refuse a target that holds state unless
    `force`, replace every state table with the staged rows, verify against `expected`, commit.

    Not audited: the target's audit log becomes the source's, head included, which is what proves the copy.
    """
    from nerv.store.search_generation import settle

    functions = dialect.functions(conn)

    def attempt() -> dict:
        functions.begin_write(conn)
        try:
            if dialect.name(conn) == dialect.POSTGRESQL:  # no audit row may be appended meanwhile
                functions.lock_for_transaction(conn, functions.AUDIT_CHAIN_LOCK)
            if not force and has_state_rows(conn, staging.order):
                raise conflict("the target already holds a ledger (tasks, projects or other state)",
                               "copy into an empty or new database, or add --force to replace its content")
            report = apply_replace(conn, staging)
            settle(conn)
            checked = check_copy(conn, expected)
            conn.execute("COMMIT")
            return {"replaced_rows": sum(report.deleted.values()), **checked}
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    return functions.retry_on_lock(attempt)
