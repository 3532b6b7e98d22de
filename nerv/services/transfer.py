"""`nerv export` / `nerv import`: the whole state (or one project's) as a portable, verifiable document."""

from __future__ import annotations

import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO

from nerv import __version__, atomic_file
from nerv.errors import NervError, invalid, usage
from nerv.services import export_format as fmt
from nerv.store import leftovers, migrate
from nerv.store.sqlite_backup import scratch_folder
from nerv.store.tables_io import AUDIT_TABLE, LOAD_BATCH, Staging
from nerv.store.clock import now_iso
from nerv.store.db import Store

IMPORT_MODES = ("merge", "replace")
COPY_PREFIX = ".copy-"


# ---- export ----------------------------------------------------------------------------------------

def export_state(store: Store, *, file_format: str = "json", project_ref: str | None = None,
                 output: Path | None = None, stream: IO[str] | None = None, progress=None) -> dict:
    """Write every state table (or one project's rows) to `output` (mode 0600, atomic) or `stream`.

    Rows are written as they are read inside one read transaction, so the document is one consistent
    snapshot and memory stays flat. `progress(total, description)` is a context manager yielding advance(n).
    Returns a summary: path, format, tables, rows.
    """
    if file_format not in fmt.FORMATS:
        raise invalid(f"unknown export format {file_format!r}", "use --format json or --format jsonl")
    project = _project(store, project_ref) if project_ref else None
    if output is not None:
        output = Path(output)
        if output.is_dir():
            raise NervError("io", f"{output} is a directory", "give a file name, e.g. --output backup.json")
    with _open_output(output, stream) as handle:
        summary = store.read(lambda s: _write_document(s, handle, file_format, project, progress))
    summary.update({"path": str(output) if output else None, "format": file_format})
    return summary


def _project(store: Store, ref: str) -> dict:
    from nerv.services.projects import find_project

    found = find_project(ref)
    return {"id": found.id, "name": found.name}


def _write_document(store: Store, handle, file_format: str, project: dict | None, progress) -> dict:
    project_id = project["id"] if project else None
    sections = store.transfer.export_sections(project_id)
    header = {
        "format": fmt.FORMAT_NAME,
        "format_version": fmt.FORMAT_VERSION,
        "schema_version": store.admin.schema_version(),
        "nerv_version": __version__,
        "exported_at": now_iso(),
        "project": project,
        "tables": {s.table.name: s.count for s in sections},
        # The chain head of this snapshot: the export is an anchor (`nerv audit verify --against FILE`).
        "audit_head": None if project else store.audit.chain_head(),
    }
    writer = fmt.Writer(handle, file_format)
    total = sum(s.count for s in sections)
    with (progress(total, "exporting") if progress else nullcontext(lambda n=1: None)) as advance:
        writer.header(header)
        for section in sections:
            writer.start_table(section.table.name, section.table.column_names, section.count)
            for batch in store.transfer.iter_rows(section, project_id):
                writer.rows_batch(batch)
                advance(len(batch))
            writer.end_table()
        writer.end()
    return {"tables": {s.table.name: s.count for s in sections}, "rows": writer.rows,
            "schema_version": header["schema_version"], "project": project}


@contextmanager
def _open_output(output: Path | None, stream: IO[str] | None):
    if output is None:
        yield stream or sys.stdout
        return
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.is_dir():
        raise NervError("io", f"folder {parent} does not exist", "create it first or choose another --output")
    leftovers.sweep(parent)  # of an export that was killed or ran out of space
    try:
        replacement = atomic_file.Replacement(output, mode=0o600, encoding="utf-8", newline="\n", buffering=1 << 20)
    except OSError as exc:
        raise NervError("io", f"cannot write {output}: {exc.strerror or exc}", "check the folder's permissions") from exc
    with replacement as handle:
        yield handle


# ---- import ----------------------------------------------------------------------------------------

class _DryRun(Exception):
    def __init__(self, result: dict):
        super().__init__("dry run")
        self.result = result


def import_state(store: Store, path: Path, *, mode: str = "merge", dry_run: bool = False, yes: bool = False) -> dict:
    """Validate the whole export file, then apply it in one transaction (or roll back when `dry_run`).

    merge: upsert by primary key, the file wins, differing rows reported as conflicts. replace: the
    database's state becomes the file's (needs `yes`; a safety backup is taken first). A single bad row
    raises NervError('invalid') naming it, and nothing is imported; so do approval rules that do not parse
    (all listed). Rules' derived columns come from their text, not the file (`rules_recomputed` lists fixes).
    """
    if mode not in IMPORT_MODES:
        raise usage(f"unknown import mode {mode!r}", "use --mode merge or --mode replace")
    if mode == "replace" and not yes and not dry_run:
        raise usage("--mode replace deletes the current state first; add --yes to confirm",
                    "or try it with --dry-run")
    path = Path(path)
    if not path.exists():
        raise NervError("not_found", f"{path} does not exist")
    if path.is_dir():
        raise NervError("io", f"{path} is a directory, not an export file")
    with scratch_folder(store.path, ".import-") as scratch:
        staging = store.transfer.staging(scratch / "staging.db")
        try:
            header, skipped_tables = _load_into_staging(staging, path)
            recomputed = _validate_staged(store, staging, path, header, mode)
        finally:
            staging.close()
        return _apply(store, path, staging, header, skipped_tables, mode, dry_run, recomputed)


def _check_header(header, path: Path) -> dict:
    if not isinstance(header, dict) or header.get("format") != fmt.FORMAT_NAME:
        raise invalid(f"{path} is not a nerv export (its header does not say format {fmt.FORMAT_NAME!r})")
    version = header.get("format_version")
    if version != fmt.FORMAT_VERSION:
        raise invalid(f"{path} has export format version {version!r}; this nerv reads version {fmt.FORMAT_VERSION}",
                      "export it again with this nerv's version, or upgrade nerv")
    schema = header.get("schema_version")
    latest = len(migrate.load_plan())
    if not isinstance(schema, int) or schema < 0:
        raise invalid(f"{path}: header schema_version must be a number, got {schema!r}")
    if schema > latest:
        raise NervError("schema_newer", f"{path} was exported at schema version {schema}, newer than this nerv ({latest})",
                        "upgrade nerv to import it; nothing was imported")
    return header


def _load_into_staging(staging: Staging, path: Path) -> tuple[dict, list[str]]:
    header: dict | None = None
    loaded = None
    section = None
    skipped: list[str] = []
    blob_columns: list[int] = []
    sections: dict[str, int] = {}
    for event in fmt.read_events(path, LOAD_BATCH):
        kind = event[0]
        if kind == "header":
            header = _check_header(event[1], path)
        elif header is None:
            raise invalid(f"{path} does not start with a nerv_export header")
        elif kind == "section":
            section = event[1]
            if section.name in sections:
                raise invalid(f"{path}: table {section.name} appears twice")
            sections[section.name] = section.count
            loaded = staging.start_table(section.name, section.columns)
            if loaded is None:
                skipped.append(section.name)
                continue
            blob_columns = [i for i, c in enumerate(section.columns)
                            if (col := loaded.table.column(c)) is not None and col.affinity in ("blob", "numeric")]
        elif kind == "rows":
            if loaded is None or loaded.table.name != section.name:
                continue
            rows = event[1]
            if blob_columns:
                rows = [[fmt.decode_blob(v) if i in blob_columns else v for i, v in enumerate(r)]
                        if isinstance(r, list) else r for r in rows]
            staging.load(loaded, section.columns, rows, event[2], section.locate)
        elif kind == "end":
            _check_totals(path, header, event[1], sections)
    staging.finish_loading()
    return header, skipped


def _check_totals(path: Path, header: dict, end, sections: dict[str, int]) -> None:
    """The trailer and the header must describe the sections the file actually holds (a removed section shows)."""
    if not isinstance(end, dict) or end.get("rows") != sum(sections.values()) or end.get("tables") != len(sections):
        raise invalid(f"{path}: the end marker does not match the file ({len(sections)} tables, "
                      f"{sum(sections.values())} rows); it was truncated or edited", "nothing was imported")
    announced = header.get("tables")
    if isinstance(announced, dict) and announced != sections:
        missing = sorted(set(announced) ^ set(sections)) or sorted(n for n in sections if announced.get(n) != sections[n])
        raise invalid(f"{path}: the header and the table sections disagree about {', '.join(missing[:5])}",
                      "the file was edited; nothing was imported")


def _validate_staged(store: Store, staging: Staging, path: Path, header: dict, mode: str) -> list[dict]:
    """Refuse what must not land; returns the approval rules whose derived columns were recomputed."""
    staging.check_types()
    full_export = header.get("project") is None
    audit_rows = staging.loaded.get(AUDIT_TABLE)
    if full_export and audit_rows and audit_rows.rows:
        chain = staging.verify_audit_chain()
        if not chain["ok"]:
            broken = chain["first_broken"]
            raise NervError("integrity", f"{path}: the audit log in the file is broken at row {broken['id']}: "
                                         f"{broken['problem']}",
                            "the export was edited after it was written; nothing was imported")
    if mode == "replace" and not full_export:
        raise usage("--mode replace needs a full export; this file holds one project",
                    "import a project export with --mode merge")
    from nerv.rules.rows import reconcile

    return reconcile(store.transfer.staged_rules(staging), str(path), "imported")


def _apply(store: Store, path: Path, staging: Staging, header: dict, skipped_tables: list[str],
           mode: str, dry_run: bool, rules_recomputed: list[dict]) -> dict:
    full_export = header.get("project") is None
    result = {
        "file": str(path), "mode": mode, "dry_run": dry_run,
        "source": {k: header.get(k) for k in ("schema_version", "nerv_version", "exported_at", "project")},
        "skipped_tables": skipped_tables,
        "dropped_columns": {n: l.dropped_columns for n, l in staging.loaded.items() if l.dropped_columns},
        "safety_backup": None,
        "rules_recomputed": rules_recomputed,
    }
    if mode == "replace" and not dry_run:
        from nerv.services.backups import safety_backup

        result["safety_backup"] = str(safety_backup(store, "pre-import")[0])

    def body(tx):
        if mode == "replace":
            report = store.transfer.apply_replace(tx, staging)
        else:
            report = store.transfer.apply_merge(tx, staging, audit_is_full_chain=full_export)
        result.update({
            "tables": {name: {"rows": l.rows, "inserted": report.inserted.get(name, 0),
                              "updated": report.updated.get(name, 0), "unchanged": report.unchanged.get(name, 0)}
                       for name, l in staging.loaded.items()},
            "deleted": report.deleted,
            "conflicts": report.conflicts,
            "conflict_count": sum(report.updated.values()),
            "audit": report.audit,
            "rows": sum(l.rows for l in staging.loaded.values()),
        })
        tx.audit("import", "database", None, after={
            "file": path.name, "mode": mode, "rows": result["rows"], "conflicts": result["conflict_count"],
            "audit_rows": report.audit.get("mode"), "source_exported_at": header.get("exported_at"),
            "source_schema_version": header.get("schema_version")})
        if dry_run:
            raise _DryRun(result)
        return result

    with store.transfer.attached(staging):
        try:
            return store.write(body)
        except _DryRun as done:
            return done.result


# ---- db copy ---------------------------------------------------------------------------------------

def copy_ledger(store: Store, to: str, *, force: bool = False, progress=None) -> dict:
    """Copy the whole ledger to `to` (a postgresql:// URL or an SQLite file path), verified, in one transaction.

    The target is created or migrated first; it must hold no state (a freshly migrated ledger's own
    migration audit rows are replaced) unless `force` (then a safety backup of it is taken first). The
    source is read in one snapshot into a staging file (the same checks as `nerv import`), then written to
    the target in one transaction that compares the per-table row counts, the audit chain and its head,
    and a content digest with the source's before it commits: a failure leaves the target as it was.
    Returns counts, heads and the digest.
    """
    target = _open_copy_target(store, to, force)
    try:
        safety = None
        if force and target.transfer.has_state():
            from nerv.services.backups import safety_backup

            safety = str(safety_backup(target, "pre-copy")[0])
        with scratch_folder(store.path, COPY_PREFIX) as scratch:
            staging = target.transfer.staging(scratch / "copy.db")
            try:
                expected = store.read(lambda s: _stage_source(s, staging, progress))
                staging.check_types()
                _check_source_chain(staging)
            finally:
                staging.close()
            with target.transfer.attached(staging):
                done = target.transfer.replace_all(staging, expected, force=force)
        return {"source": _describe_store(store), "target": _describe_store(target), "forced": force,
                "safety_backup": safety,
                "tables": done["counts"], "rows": sum(done["counts"].values()),
                "replaced_rows": done["replaced_rows"], "audit_head": done["audit_head"],
                "source_audit_head": expected["audit_head"], "audit_chain_ok": done["audit_chain_ok"],
                "digest": done["digest"]}
    finally:
        target.close()


def _open_copy_target(store: Store, to: str, force: bool) -> Store:
    from nerv.services import validate
    from nerv.store import postgres
    from nerv.store.db import open_store, open_team_store

    if postgres.is_url(to):
        if store.url is not None and to == store.url:
            raise usage("the target is the ledger this command runs on", "name another database")
        target = open_team_store(to, auto_migrate=False)
    else:
        path = validate.user_path(to, "copy target")
        if path.is_dir():
            raise NervError("io", f"{path} is a directory", "name the SQLite file to create, e.g. DIR/state.db")
        if store.url is None and path.exists() and path.resolve() == Path(store.path).resolve():
            raise usage("the target is the ledger this command runs on", "name another file")
        target = open_store(path, auto_migrate=False)
    try:
        if target.readonly:
            raise NervError("read_only", f"{path} is read-only here (the file or its folder is not writable)",
                            "choose a target you can write to; nothing was copied")
        pending = target.admin.pending_migrations()
        if pending:
            if target.admin.applied_migrations() and not force:
                raise NervError("conflict", f"the target {_describe_store(target)} holds an older nerv ledger",
                                "copy into an empty or new database, or add --force to replace its content")
            target.admin.apply_migrations(pending)
        return target
    except BaseException:
        target.close()
        raise


def _describe_store(store: Store) -> str:
    from nerv.store import postgres

    return postgres.describe(store.url) if store.url else str(store.path)


def _stage_source(store: Store, staging: Staging, progress) -> dict:
    sections = store.transfer.export_sections(None)
    total = sum(s.count for s in sections)
    with (progress(total, "copying") if progress else nullcontext(lambda n=1: None)) as advance:
        for section in sections:
            loaded = staging.start_table(section.table.name, section.table.column_names)
            if loaded is None:
                raise NervError("migration", f"the target has no table {section.table.name}",
                                "both ledgers must be at this nerv's schema version")
            index = 1
            for batch in store.transfer.iter_rows(section, None):
                staging.load(loaded, section.table.column_names, batch, index,
                             lambda i, name=section.table.name: f"source {name} row {i}")
                index += len(batch)
                advance(len(batch))
    staging.finish_loading()
    return store.transfer.copy_snapshot()


def _check_source_chain(staging: Staging) -> None:
    chain = staging.verify_audit_chain() if staging.loaded.get(AUDIT_TABLE) else {"ok": True}
    if not chain["ok"]:
        broken = chain["first_broken"]
        raise NervError("integrity", f"the source's audit log is broken at row {broken['id']}: {broken['problem']}",
                        "run `nerv audit verify`; nothing was copied")
