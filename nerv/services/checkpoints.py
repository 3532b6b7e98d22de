"""Checkpoints: snapshots of one project's tasks, dependencies, cycles, decisions, settings and repo commits.

`restore` brings the project's rows back to a snapshot row by row (one audit row per changed row), after
taking a safety checkpoint in the same transaction. It never touches git working trees: the commit each
repo was at is recorded and shown beside today's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


from nerv.errors import not_found, usage
from nerv.services import validate
from nerv.services.projects import current_project
from nerv.services.refs import by_id_or_prefix
from nerv.store.clock import new_id
from nerv.store.db import Store
from nerv.store.models import Checkpoint, ProjectRepo
from nerv.store.queries_checkpoints import KINDS

SNAPSHOT_VERSION = 1


def _git_head(path: str) -> str | None:
    """The commit checked out in `path`, or None when it is not a git repository (or git is missing)."""
    if not Path(path).is_dir():
        return None
    try:
        done = subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _repos(project_id: str) -> list[dict]:
    repos = ProjectRepo.select().where(ProjectRepo.project == project_id).order_by(ProjectRepo.name)
    return [{"name": r.name, "path": r.path, "head": _git_head(r.path)} for r in repos]


def _snapshot(store: Store, project_id: str, repos: list[dict]) -> dict:
    return {"version": SNAPSHOT_VERSION, "schema_version": store.admin.schema_version(),
            "tables": store.checkpoints.project_tables(project_id), "repos": repos}


def _insert_checkpoint(tx, project_id: str, snapshot: dict, *, name: str | None, reason: str | None, kind: str) -> dict:
    number = tx.next_number("checkpoint", project_id)
    row = {"id": new_id(), "project": project_id, "number": number, "name": name, "reason": reason, "kind": kind,
           "snapshot": json.dumps(snapshot, ensure_ascii=False, separators=(",", ":")), "created_by": tx.actor,
           "created_at": tx.now}
    Checkpoint.insert(row).execute()
    summary = _summary(row, snapshot)
    tx.audit("checkpoint.create", "checkpoint", row["id"], project_id=project_id,
             after={k: summary[k] for k in ("number", "name", "reason", "kind", "counts")})
    return summary


def _summary(row: dict, snapshot: dict) -> dict:
    return {"id": row["id"], "project_id": row.get("project") or row.get("project_id"), "number": row["number"],
            "name": row["name"], "reason": row["reason"], "kind": row["kind"], "created_by": row["created_by"],
            "created_at": row["created_at"],
            "counts": {k: len(v) for k, v in snapshot["tables"].items()}, "repos": snapshot["repos"]}


def create(store: Store, *, name: str | None = None, reason: str | None = None, project: str | None = None) -> dict:
    """Snapshot the project's state; returns the checkpoint's summary (number, counts, repo heads)."""
    name = validate.one_line(name, "checkpoint name", max_len=validate.NAME_MAX, required=False)
    reason = validate.text(reason, "reason")
    target = current_project(store, project)
    repos = _repos(target.id)  # git runs before the write lock is taken
    return store.write(lambda tx: _insert_checkpoint(tx, target.id, _snapshot(store, target.id, repos),
                                                     name=name, reason=reason, kind="manual"))


def _find(project_id: str, ref: str) -> Checkpoint:
    ref = validate.one_line(str(ref).strip(), "checkpoint reference", max_len=validate.NAME_MAX, required=False) or ""
    if ref.isdigit():
        number = validate.row_id(int(ref), "checkpoint number")
        found = Checkpoint.get_or_none((Checkpoint.project == project_id) & (Checkpoint.number == number))
    else:
        in_project = Checkpoint.select().where(Checkpoint.project == project_id)
        found = in_project.where(Checkpoint.name == ref).first() if ref else None
        if found is None and ref:
            return by_id_or_prefix(in_project, Checkpoint.id, ref, "checkpoint",
                                   "list them with `nerv checkpoint list`", lambda c: f"#{c.number} {c.name or ''}")
    if found is None:
        raise not_found("checkpoint", repr(ref), "list them with `nerv checkpoint list`")
    return found


def _load(checkpoint: Checkpoint) -> dict:
    return json.loads(checkpoint.snapshot)


def list_checkpoints(store: Store, project: str | None = None) -> list[dict]:
    target = current_project(store, project)
    rows = Checkpoint.select().where(Checkpoint.project == target.id).order_by(Checkpoint.number.desc())
    return [_summary({**c.to_dict(), "project": target.id}, _load(c)) for c in rows]


def show(store: Store, ref: str, project: str | None = None) -> dict:
    """One checkpoint: its summary and the tasks it holds (number, title, status)."""
    target = current_project(store, project)
    checkpoint = _find(target.id, ref)
    snapshot = _load(checkpoint)
    data = _summary({**checkpoint.to_dict(), "project": target.id}, snapshot)
    data["tasks"] = [{k: t.get(k) for k in ("number", "title", "status", "priority")}
                     for t in sorted(snapshot["tables"].get("tasks", []), key=lambda t: t.get("number") or 0)]
    return data


def _identity(name: str, row: dict) -> str:
    return "/".join(str(row.get(c)) for c in KINDS[name].identity)


def diff_states(old: dict, new: dict) -> dict:
    """Per kind: rows added, removed and changed (with each changed field's old and new value)."""
    result = {}
    for name in KINDS:
        before = {_identity(name, r): r for r in old["tables"].get(name, [])}
        after = {_identity(name, r): r for r in new["tables"].get(name, [])}
        changed = []
        for key in sorted(before.keys() & after.keys()):
            fields = {f: [before[key].get(f), after[key].get(f)] for f in sorted(set(before[key]) | set(after[key]))
                      if f not in KINDS[name].generated and before[key].get(f) != after[key].get(f)}
            if fields:
                changed.append({"key": key, "label": _label(after[key]), "fields": fields})
        result[name] = {"added": [{"key": k, "label": _label(after[k])} for k in sorted(after.keys() - before.keys())],
                        "removed": [{"key": k, "label": _label(before[k])} for k in sorted(before.keys() - after.keys())],
                        "changed": changed}
    old_heads = {r["name"]: r["head"] for r in old.get("repos", [])}
    new_heads = {r["name"]: r["head"] for r in new.get("repos", [])}
    result["repos"] = {n: {"from": old_heads.get(n), "to": new_heads.get(n)}
                       for n in sorted(old_heads.keys() | new_heads.keys()) if old_heads.get(n) != new_heads.get(n)}
    return result


def _label(row: dict) -> str:
    for field in ("title", "goal", "key"):
        if row.get(field):
            prefix = f"#{row['number']} " if row.get("number") else ""
            return prefix + str(row[field])[:80]
    return "/".join(str(v) for v in list(row.values())[:2])


def diff(store: Store, ref: str, ref2: str | None = None, project: str | None = None) -> dict:
    """What changed from checkpoint `ref` to `ref2` (default: the project's current state)."""
    target = current_project(store, project)
    old = _find(target.id, ref)
    if ref2:
        new_checkpoint = _find(target.id, ref2)
        new, to = _load(new_checkpoint), f"checkpoint {new_checkpoint.number}"
    else:
        new, to = _snapshot(store, target.id, _repos(target.id)), "now"
    changes = diff_states(_load(old), new)
    total = sum(len(c["added"]) + len(c["removed"]) + len(c["changed"]) for n, c in changes.items() if n != "repos")
    return {"from": f"checkpoint {old.number}", "to": to, "changes": changes, "total": total}


def restore(store: Store, ref: str, *, yes: bool = False, project: str | None = None) -> dict:
    """Bring the project's rows back to checkpoint `ref`, after a safety checkpoint, one audit row per row changed."""
    if not yes:
        raise usage("restore rewrites the project's tasks, cycles, decisions and settings; add --yes to confirm",
                    "see what would change with `nerv checkpoint diff ID`")
    target = current_project(store, project)
    checkpoint = _find(target.id, ref)
    wanted = _load(checkpoint)
    repos = _repos(target.id)

    def body(tx):
        current = _snapshot(store, target.id, repos)
        safety = _insert_checkpoint(tx, target.id, current, name=None, kind="safety",
                                    reason=f"automatic, before restoring checkpoint {checkpoint.number}")
        changes = diff_states(current, wanted)
        store.checkpoints.defer_foreign_keys(tx)
        counts = _apply(tx, target.id, current, wanted)
        tx.audit("checkpoint.restore", "checkpoint", checkpoint.id, project_id=target.id,
                 after={"number": checkpoint.number, "safety_checkpoint": safety["number"], "changes": counts})
        return {"restored": checkpoint.number, "safety_checkpoint": safety["number"], "changes": counts,
                "repos": [{"name": r["name"], "checkpoint_head": r["head"],
                           "current_head": next((c["head"] for c in repos if c["name"] == r["name"]), None)}
                          for r in wanted.get("repos", [])],
                "diff": changes}

    return store.write(body)


def _apply(tx, project_id: str, current: dict, wanted: dict) -> dict:
    counts = {}
    names = [n for n in KINDS if n in current["tables"]]
    plans = {}
    for name in names:
        have = {_identity(name, r): r for r in current["tables"][name]}
        want = {_identity(name, r): r for r in wanted["tables"].get(name, [])}
        plans[name] = (have, want)
        counts[name] = {"added": 0, "removed": 0, "changed": 0}
    for name in reversed(names):  # children first, so nothing is deleted from under a row we keep
        kind = KINDS[name]
        have, want = plans[name]
        for key in sorted(have.keys() - want.keys()):
            row = have[key]
            tx.store.checkpoints.delete_row(tx, kind, project_id, {c: row[c] for c in kind.identity})
            tx.audit("checkpoint.restore.remove", name, key, project_id=project_id, before=row)
            counts[name]["removed"] += 1
    for name in names:
        kind = KINDS[name]
        have, want = plans[name]
        columns = tx.store.checkpoints.table_columns(kind.table)
        for key in _parents_first(kind, want):
            row = {c: v for c, v in want[key].items() if c in columns}
            if kind.table == "settings" or "project_id" in row:
                row["project_id"] = project_id if "project_id" in columns else row.get("project_id")
            if key not in have:
                tx.store.checkpoints.insert_row(tx, kind, row, columns)
                tx.audit("checkpoint.restore.add", name, key, project_id=project_id, after=row)
                counts[name]["added"] += 1
                _holder_restored(tx, name, {}, row)
                continue
            changes = {c: v for c, v in row.items()
                       if c not in kind.generated and c not in kind.identity and have[key].get(c) != v}
            if changes:
                tx.store.checkpoints.update_row(tx, kind, project_id, {c: row[c] for c in kind.identity}, changes)
                tx.audit("checkpoint.restore.change", name, key, project_id=project_id,
                         before={c: have[key].get(c) for c in changes}, after=changes)
                counts[name]["changed"] += 1
                _holder_restored(tx, name, have[key], row)
    return counts


def _parents_first(kind, want: dict) -> list:
    """The wanted rows' keys, sorted, except that a row another row points at (a parent task, the decision
    that supersedes another) comes before it: PostgreSQL checks each reference as it is written."""
    if not kind.self_references or len(kind.identity) != 1:
        return sorted(want)
    ordered, placed = [], set()

    def place(key, path: frozenset) -> None:
        if key in placed or key in path:  # a reference loop cannot be ordered: leave it where it falls
            return
        for column in kind.self_references:
            parent = want[key].get(column)
            if parent is not None and parent in want:
                place(parent, path | {key})
        placed.add(key)
        ordered.append(key)

    for key in sorted(want):
        place(key, frozenset())
    return ordered


def _holder_restored(tx, kind: str, before: dict, after: dict) -> None:
    """A restored task may change hands like a claim does: keep the holding history and session links true."""
    if kind == "tasks" and "status" in after and "assignee" in after:
        from nerv.services.tasks import note_holder_change

        note_holder_change(tx, {"status": before.get("status"), "assignee": before.get("assignee")}, after)

