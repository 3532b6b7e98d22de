"""Task dependencies: adding (refusing self-dependencies and cycles, showing the cycle), removing, the tree.

Only `blocks` edges order work, so only they are checked for cycles; `related` links are informational
and may point anywhere in the project.
"""

from __future__ import annotations

from collections import defaultdict, deque

from nerv.errors import conflict, invalid, not_found
from nerv.services import validate
from nerv.services.tasks import DEP_TYPES, current_row, find_task, label
from nerv.store.db import Store
from nerv.store.models import Task, TaskDep

TREE_DEPTH_MAX = 50


def find_path(edges, start: str, goal: str) -> list[str] | None:
    """A shortest path start -> ... -> goal following (from, to) edges, or None (breadth-first)."""
    successors = defaultdict(list)
    for source, target in edges:
        successors[source].append(target)
    previous = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = previous[node]
            return path[::-1]
        for nxt in successors[node]:
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return None


def add_dependency(store: Store, ref: str, dep_ref: str, dep_type: str = "blocks", project=None) -> dict:
    """Make task `ref` depend on `dep_ref`. Raises conflict (with the cycle) if it would close one."""
    validate.choice(dep_type, "dependency type", DEP_TYPES)
    task = find_task(store, ref, project)
    dep = find_task(store, dep_ref, project)
    if task.id == dep.id:
        raise conflict(f"{label(task)} cannot depend on itself (cycle: #{task.number} -> #{task.number})")
    if task.project_id != dep.project_id:
        raise invalid(f"{label(dep)} belongs to another project; dependencies stay within one project")

    def body(tx):
        current_row(task), current_row(dep)
        existing = TaskDep.get_or_none((TaskDep.task == task.id) & (TaskDep.depends_on == dep.id))
        if existing:
            raise conflict(f"#{task.number} already depends on #{dep.number} ({existing.type})",
                           "remove it first with `nerv task dep rm` to change its type")
        if dep_type == "blocks":
            # The new edge task -> dep closes a cycle iff dep already reaches task.
            path = find_path(store.tasks.blocks_edges(task.project_id), dep.id, task.id)
            if path:
                numbers = {t.id: t.number for t in Task.select(Task.id, Task.number).where(Task.id.in_(path))}
                cycle = [task.number] + [numbers[node] for node in path]
                shown = " -> ".join(f"#{n}" for n in cycle)
                raise conflict(f"#{task.number} depending on #{dep.number} would close a cycle: {shown}",
                               "'A -> B' reads 'A waits on B'; remove one of these dependencies first",
                               details={"cycle": cycle})
        row = {"task_id": task.id, "depends_on_id": dep.id, "type": dep_type, "created_at": tx.now}
        TaskDep.insert(row).execute()
        tx.audit("task.dep.add", "task_dep", f"{task.id}>{dep.id}", project_id=task.project_id, after=row)
        return {**row, "task": f"#{task.number}", "depends_on": f"#{dep.number}"}

    return store.write(body)


def remove_dependency(store: Store, ref: str, dep_ref: str, project=None) -> dict:
    task = find_task(store, ref, project)
    dep = find_task(store, dep_ref, project)

    def body(tx):
        existing = TaskDep.get_or_none((TaskDep.task == task.id) & (TaskDep.depends_on == dep.id))
        if existing is None:
            raise not_found("dependency", f"#{task.number} -> #{dep.number}", f"see `nerv task dep tree {task.number}`")
        before = {"task_id": task.id, "depends_on_id": dep.id, "type": existing.type,
                  "created_at": existing.created_at}
        TaskDep.delete().where((TaskDep.task == task.id) & (TaskDep.depends_on == dep.id)).execute()
        tx.audit("task.dep.rm", "task_dep", f"{task.id}>{dep.id}", project_id=task.project_id, before=before)
        return {**before, "task": f"#{task.number}", "depends_on": f"#{dep.number}", "removed": True}

    return store.write(body)


def dependency_tree(store: Store, ref: str, project=None) -> dict:
    """What a task waits on, recursively: {task..., dep_type, children: [...]}; repeats are marked, not expanded."""
    root = find_task(store, ref, project)
    edges = defaultdict(list)
    for dep in (TaskDep.select().join(Task, on=(TaskDep.task == Task.id)).where(Task.project == root.project_id)):
        edges[dep.task_id].append((dep.depends_on_id, dep.type))
    tasks = {t.id: t for t in Task.select().where(Task.project == root.project_id)}
    seen: set[str] = set()

    def node(task_id: str, dep_type: str | None, depth: int) -> dict:
        task = tasks[task_id]
        item = {"id": task.id, "number": task.number, "ref": f"#{task.number}", "title": task.title,
                "status": task.status, "dep_type": dep_type, "children": []}
        if task_id in seen or depth >= TREE_DEPTH_MAX:
            item["repeated"] = True
            return item
        seen.add(task_id)
        item["children"] = [node(child, kind, depth + 1)
                            for child, kind in sorted(edges[task_id], key=lambda e: tasks[e[0]].number)]
        return item

    return node(root.id, None, 0)
