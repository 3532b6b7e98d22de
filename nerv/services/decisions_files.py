"""`nerv decision export|import --dir`: decisions as one ADR Markdown file each (nerv.services.adr_markdown).

Export writes only files whose bytes would change and removes a decision's old file when its title (so
its slug) changed. Import validates every file before writing anything, then applies all of them in one
transaction: a file whose nerv id (or, for hand-written files, number) matches a decision updates it when
something differs; any other file adds a decision. Links to tasks, cycles or decisions that do not exist
in this database are dropped and reported, never invented.
"""

from __future__ import annotations

from pathlib import Path

from nerv import atomic_file
from nerv.errors import NervError, conflict, invalid
from nerv.services import adr_markdown, validate
from nerv.services.decisions import SECTION_FIELDS, STATUSES, decision_row
from nerv.services.knowledge_links import project_for
from nerv.store.clock import new_id
from nerv.store.db import Store
from nerv.store.models import Cycle, Decision, Task

MAX_FILE_BYTES = 1_000_000
EDITABLE_FIELDS = ("number", "title", "status", *SECTION_FIELDS, "superseded_by_id", "task_id", "cycle_id")


def _write_text(path: Path, content: str) -> None:
    try:
        atomic_file.write_bytes(path, content.encode("utf-8"))
    except OSError as exc:
        raise NervError("io", f"cannot write {path}: {exc.strerror or exc}", "check the folder's permissions") from exc


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise NervError("io", f"cannot read {path}: {exc}") from exc


def export_decisions(store: Store, directory: str, *, project: str | None = None) -> dict:
    """Write `NNNN-slug.md` for every decision of the project into `directory` (created if missing)."""
    proj = project_for(store, project)
    folder = validate.user_path(directory, "folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NervError("io", f"cannot create {folder}: {exc.strerror}") from exc
    decisions = list(Decision.select().where(Decision.project == proj.id).order_by(Decision.number))
    by_id = {d.id: d for d in decisions}
    existing = {}
    for path in folder.iterdir():
        match = adr_markdown.FILE_NAME.match(path.name)
        if match and path.is_file():
            existing.setdefault(int(match.group(1)), []).append(path)
    written, unchanged, removed = [], 0, []
    for item in decisions:
        replacement = by_id.get(item.superseded_by_id)
        content = adr_markdown.render(decision_row(item),
                                      (replacement.number, replacement.title) if replacement else None)
        name = adr_markdown.file_name(item.number, item.title)
        target = folder / name
        if _read_text(target) == content:
            unchanged += 1
        else:
            _write_text(target, content)
            written.append(name)
        for stale in existing.get(item.number, []):
            if stale.name != name:
                stale.unlink()
                removed.append(stale.name)
    return {"dir": str(folder), "decisions": len(decisions), "written": written, "unchanged": unchanged,
            "removed": removed}


def _parse_folder(folder: Path) -> list[tuple[str, dict]]:
    if not folder.is_dir():
        raise NervError("io", f"{folder} is not a folder", "pass the folder `nerv decision export` wrote")
    parsed, numbers = [], {}
    for path in sorted(folder.iterdir()):
        if not adr_markdown.FILE_NAME.match(path.name) or not path.is_file():
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            raise invalid(f"{path.name} is larger than {MAX_FILE_BYTES:,} bytes", "is it really an ADR?")
        try:
            data = adr_markdown.parse(_read_text(path) or "")
            data = _validated(data)
        except (adr_markdown.AdrFormatError, NervError) as exc:
            message = exc.message if isinstance(exc, NervError) else str(exc)
            raise invalid(f"{path.name}: {message}", "fix the file or export again") from None
        if data["number"] in numbers:
            raise conflict(f"{path.name} and {numbers[data['number']]} both hold decision {data['number']}")
        numbers[data["number"]] = path.name
        parsed.append((path.name, data))
    return parsed


def _validated(data: dict) -> dict:
    data["title"] = validate.one_line(data["title"], "title")
    validate.int_in_range(data["number"], "decision number", 1, 10**9)
    data["status"] = validate.choice(data["status"] or "proposed", "status", STATUSES)
    for field in SECTION_FIELDS:
        data[field] = validate.text(data[field], field)
    for key in ("id", "superseded_by_id", "task_id", "cycle_id", "created_at", "updated_at"):
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 64 or validate.has_control(value)):
            raise invalid(f"{key} in the nerv comment must be a short string")
    return data


def import_decisions(store: Store, directory: str, *, project: str | None = None) -> dict:
    """Read every `NNNN-slug.md` of `directory` into the project's decisions (see the module docstring)."""
    proj = project_for(store, project)
    parsed = _parse_folder(validate.user_path(directory, "folder"))

    def body(tx):
        added, updated, dropped = [], set(), []
        id_of_file = {}
        for name, data in parsed:
            current = _match(proj.id, data)
            links = _existing_links(proj.id, data, name, dropped)
            fields = {key: data[key] for key in ("number", "title", "status", *SECTION_FIELDS)} | links
            if current is None:
                clash = Decision.get_or_none((Decision.project == proj.id) & (Decision.number == data["number"]))
                if clash is not None:
                    raise conflict(f"{name}: decision {data['number']} already exists with another id",
                                   "renumber the file, or remove its nerv comment to update the existing decision")
                row = {"id": data.get("id") or new_id(), "project_id": proj.id, **fields,
                       "superseded_by_id": None, "created_at": data.get("created_at") or tx.now,
                       "updated_at": data.get("updated_at") or tx.now}
                Decision.insert(row).execute()
                tx.audit("decision.import", "decision", row["id"], project_id=proj.id, after=row)
                added.append(data["number"])
                id_of_file[name] = row["id"]
                continue
            id_of_file[name] = current.id
            before = decision_row(current)
            changes = {k: v for k, v in fields.items() if before[k] != v}
            if changes:
                Decision.update(**changes, updated_at=tx.now).where(Decision.id == current.id).execute()
                tx.audit("decision.import", "decision", current.id, project_id=proj.id, before=before,
                         after=decision_row(Decision.get_by_id(current.id)))
                updated.add(data["number"])
        # Second pass: a supersede link may point at a decision added later in this same import.
        updated |= _apply_supersede_links(tx, proj.id, parsed, id_of_file, dropped) - set(added)
        return {"dir": str(directory), "files": len(parsed), "added": added, "updated": sorted(updated),
                "unchanged": len(parsed) - len(added) - len(updated), "dropped_links": dropped}

    return store.write(body)


def _match(project_id: str, data: dict) -> Decision | None:
    if data.get("id"):
        found = Decision.get_or_none(Decision.id == data["id"])
        if found is not None and found.project_id != project_id:
            raise conflict(f"decision {data['id'][:8]} belongs to another project")
        return found
    return Decision.get_or_none((Decision.project == project_id) & (Decision.number == data["number"]))


def _existing_links(project_id: str, data: dict, name: str, dropped: list) -> dict:
    links = {}
    for key, model in (("task_id", Task), ("cycle_id", Cycle)):
        value = data.get(key)
        if value and model.get_or_none((model.id == value) & (model.project == project_id)) is None:
            dropped.append({"file": name, "link": key, "id": value})
            value = None
        links[key] = value
    return links


def _apply_supersede_links(tx, project_id: str, parsed: list, id_of_file: dict, dropped: list) -> set:
    relinked = set()
    for name, data in parsed:
        target = data.get("superseded_by_id")
        if target and Decision.get_or_none((Decision.id == target) & (Decision.project == project_id)) is None:
            dropped.append({"file": name, "link": "superseded_by_id", "id": target})
            target = None
        current = Decision.get_by_id(id_of_file[name])
        if current.superseded_by_id != target:
            before = decision_row(current)
            Decision.update(superseded_by=target).where(Decision.id == current.id).execute()
            tx.audit("decision.import", "decision", current.id, project_id=project_id, before=before,
                     after=decision_row(Decision.get_by_id(current.id)))
            relinked.add(data["number"])
    return relinked
