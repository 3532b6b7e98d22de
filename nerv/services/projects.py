"""Projects, their repos, and which project a command is about."""

from __future__ import annotations

from pathlib import Path

from peewee import fn

from nerv.errors import NervError, conflict, invalid, not_found
from nerv.services import validate
from nerv.store import lookups
from nerv.store.clock import new_id
from nerv.store.db import Store
from nerv.store.models import Cycle, Project, ProjectRepo, Setting, Task

CURRENT_PROJECT_KEY = lookups.CURRENT_PROJECT_KEY


def find_project(ref: str) -> Project:
    """A project by name, id, or unambiguous id prefix. Raises not_found / ambiguous."""
    from nerv.store.orm import bound_store

    return Project.get_by_id(bound_store().projects.find(ref)["id"])


def scope_id(project_ref: str | None) -> str | None:
    """The project id a `--project` option names, or None (global scope) when it names none."""
    return find_project(project_ref).id if project_ref else None


def current_project(store: Store, explicit: str | None = None, cwd: str | None = None) -> Project:
    """The project a command is about; the order is defined in nerv.store.lookups.current_project."""
    return Project.get_by_id(store.projects.current(explicit, cwd)["id"])


def optional_current_project(store: Store, explicit: str | None = None) -> Project | None:
    try:
        return current_project(store, explicit)
    except NervError as err:
        if err.code == "not_found" and not explicit:
            return None
        raise


def add_project(store: Store, name: str, goal: str | None = None, path: str | None = None) -> dict:
    """Create a project (and register `path` as its first repo). Returns the project row."""
    name = validate.one_line(name, "project name", max_len=validate.NAME_MAX)
    goal = validate.text(goal, "goal")
    repo_path = _normalise_repo_path(path) if path else None

    def body(tx):
        if Project.get_or_none(Project.name == name):
            raise conflict(f"a project named {name!r} already exists")
        row = {"id": new_id(), "name": name, "goal": goal, "created_at": tx.now, "updated_at": tx.now}
        Project.insert(row).execute()
        tx.audit("project.add", "project", row["id"], project_id=row["id"], after=row)
        if repo_path:
            _insert_repo(tx, row["id"], repo_path, Path(repo_path).name)
        return row

    return store.write(body)


def list_projects(store: Store) -> list[dict]:
    current = optional_current_project(store)
    rows = []
    for project in Project.select().order_by(Project.name):
        row = project.to_dict()
        row["tasks"] = Task.select().where(Task.project == project.id).count()
        row["open_tasks"] = Task.select().where((Task.project == project.id) &
                                                Task.status.not_in(["done", "cancelled"])).count()
        row["repos"] = ProjectRepo.select().where(ProjectRepo.project == project.id).count()
        row["current"] = bool(current and current.id == project.id)
        rows.append(row)
    return rows


def show_project(store: Store, ref: str | None = None) -> dict:
    project = current_project(store, ref)
    data = project.to_dict()
    data["repos"] = [r.to_dict() for r in ProjectRepo.select().where(ProjectRepo.project == project.id)
                     .order_by(ProjectRepo.name)]
    data["tasks_by_status"] = {s: c for s, c in Task.select(Task.status, fn.COUNT(Task.id))
                               .where(Task.project == project.id).group_by(Task.status).tuples()}
    active = Cycle.get_or_none((Cycle.project == project.id) & (Cycle.status == "active"))
    data["active_cycle"] = active.number if active else None
    return data


def use_project(store: Store, ref: str) -> dict:
    project = find_project(ref)
    from nerv.services import settings

    settings.set_setting(store, CURRENT_PROJECT_KEY, project.id, project_ref=None)
    return project.to_dict()


def deletion_plan(store: Store, project: Project) -> dict:
    """What `project rm` removes (ON DELETE CASCADE) and what it only unlinks (SET NULL), per table."""

    refs = store.projects.references(project.id)
    return {"deleted": refs["deleted"], "unlinked": refs["unlinked"],
            "kept": "the audit log keeps every row about this project"}


def remove_project(store: Store, ref: str, *, yes: bool) -> dict:
    project = find_project(ref)
    plan = deletion_plan(store, project)
    if not yes:
        counts = ", ".join(f"{n} {k}" for k, n in plan["deleted"].items() if n) or "no other rows"
        raise NervError("conflict", f"removing project {project.name!r} deletes {counts}",
                        "rerun with --yes to delete it (the audit log keeps its history)", details=plan)
    before = project.to_dict()

    def body(tx):
        Project.delete().where(Project.id == project.id).execute()
        tx.audit("project.rm", "project", project.id, project_id=project.id, before=before,
                 after=None)
        current = store.settings.effective(CURRENT_PROJECT_KEY, None)
        if current == project.id:
            Setting.delete().where(Setting.project.is_null() & (Setting.key == CURRENT_PROJECT_KEY)).execute()
        return {"removed": before, **plan}

    return store.write(body)


# ---- repos -------------------------------------------------------------------------------------------

def _normalise_repo_path(path: str) -> str:
    try:
        resolved = validate.user_path(path, "repo path").resolve()
        is_dir = resolved.is_dir()
    except OSError as exc:  # e.g. a name too long for the file system
        raise invalid(f"repo path {path[:200]!r} cannot be used: {exc.strerror or exc}") from None
    if not is_dir:
        raise invalid(f"{resolved} is not a directory")
    return str(resolved)


def _insert_repo(tx, project_id: str, path: str, name: str) -> dict:
    if ProjectRepo.get_or_none(ProjectRepo.path == path):
        raise conflict(f"{path} is already registered", "see `nerv repo list`")
    if ProjectRepo.get_or_none((ProjectRepo.project == project_id) & (ProjectRepo.name == name)):
        raise conflict(f"this project already has a repo named {name!r}", "pass --name")
    row = {"id": new_id(), "project_id": project_id, "name": name, "path": path, "created_at": tx.now}
    ProjectRepo.insert(row).execute()
    tx.audit("repo.add", "repo", row["id"], project_id=project_id, after=row)
    return row


def add_repo(store: Store, path: str, name: str | None = None, project_ref: str | None = None) -> dict:
    resolved = _normalise_repo_path(path)
    name = validate.one_line(name or Path(resolved).name, "repo name", max_len=validate.NAME_MAX)
    project = find_project(project_ref) if project_ref else current_project(store, None, cwd=resolved)
    return store.write(lambda tx: _insert_repo(tx, project.id, resolved, name))


def list_repos(store: Store, project_ref: str | None = None) -> list[dict]:
    query = ProjectRepo.select(ProjectRepo, Project.name.alias("project_name")).join(Project)
    if project_ref:
        query = query.where(ProjectRepo.project == find_project(project_ref).id)
    rows = []
    for repo in query.order_by(Project.name, ProjectRepo.name).objects():
        row = repo.to_dict()
        row["project"] = repo.project_name
        row["exists"] = Path(repo.path).is_dir()
        rows.append(row)
    return rows


def remove_repo(store: Store, ref: str) -> dict:
    """Unregister a repo by path, name or id (files on disk are never touched)."""
    candidates = [r for r in ProjectRepo.select() if ref in (r.id, r.name, r.path)
                  or r.path == str(Path(ref).expanduser().resolve())]
    if not candidates:
        raise not_found("repo", repr(ref), "see `nerv repo list`")
    if len(candidates) > 1:
        raise NervError("ambiguous", f"{ref!r} names several repos", "use the path or the id")
    repo = candidates[0]
    before = repo.to_dict()

    def body(tx):
        ProjectRepo.delete().where(ProjectRepo.id == repo.id).execute()
        tx.audit("repo.rm", "repo", repo.id, project_id=repo.project_id, before=before)
        return before

    return store.write(body)
