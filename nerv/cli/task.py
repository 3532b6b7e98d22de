"""`nerv task ...`: tasks, their state machine, dependencies, the ready queue and claims."""

from __future__ import annotations

from typing import List, Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._layout import moment
from nerv.cli._options import agent_option, project_option

app = typer.Typer(help="Kanban tasks: add, move through the state machine, dep, claim (docs/tasks.md).",
                  no_args_is_help=True)
dep_app = typer.Typer(help="Dependencies between tasks ('A depends on B': A waits on B).", no_args_is_help=True)
app.add_typer(dep_app, name="dep")

TASK_REF_HELP = "Task number (12 or #12, in the project), full id, or unambiguous id prefix."
ProjectOpt = project_option()
AgentOpt = agent_option()
LeaseOpt = typer.Option(None, "--lease", help="Lease length: 90s, 30m, 2h, 1d (default: tasks.default_lease).")
ReasonOpt = typer.Option(None, "--reason", help="Why (kept on the task and in the audit log).")
LIST_COLUMNS = ["ref", "title", "status", "priority", "type", "assignee"]
SHOWN = 100  # tasks a person's `task list` shows unless --limit says otherwise


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="task")


def status_cell(row: dict) -> str:
    """A task's status as a person should read it: a container's progress, an expired lease said so."""
    text = row["status"]
    if row.get("lease_expired"):
        text += " (lease expired)"
    progress = row.get("progress")
    if progress:
        text += f" · {progress['done']}/{progress['total']} done"
    return text


def holder_cell(row: dict) -> str | None:
    if row.get("assignee") and row.get("lease_expired"):
        return f"{row['assignee']} (expired)"
    return row.get("assignee")


def _shown(row: dict) -> dict:
    return {**row, "ref": f"#{row['number']}", "status": status_cell(row), "assignee": holder_cell(row)}


def _show_task_line(data: dict, verb: str) -> None:
    holder = f" ({data['assignee']})" if data.get("assignee") else ""
    out.message(f"#{data['number']} {verb}: {data['title']} [{data['status']}]{holder}")


@app.command("add")
def add(
    title: str = typer.Argument(..., help="One-line title (1-500 characters)."),
    description: Optional[str] = typer.Option(None, "--description", "-d", help="Longer text."),
    type_: str = typer.Option("task", "--type", help="task, feature, bug, chore, spike, docs or epic."),
    priority: int = typer.Option(2, "--priority", "-p", help="0 (most urgent) to 4."),
    parent: Optional[str] = typer.Option(None, "--parent", help="Parent task (makes this a subtask)."),
    depends_on: Optional[List[str]] = typer.Option(None, "--depends-on", help="A task this one waits on (repeatable)."),
    cycle: Optional[int] = typer.Option(None, "--cycle", help="Cycle number to put it in."),
    project: Optional[str] = ProjectOpt,
) -> None:
    """Create a task; it gets the project's next number."""
    from nerv.services import tasks

    data = tasks.add_task(_ctx.store(), title, description=description, type_=type_, priority=priority,
                          parent=parent, depends_on=depends_on or [], cycle=cycle, project=project)
    out.emit(data, lambda d: _show_task_line(d, "added"))


@app.command("list")
def list_cmd(
    status: Optional[str] = typer.Option(None, "--status", help="Only this status."),
    cycle: Optional[int] = typer.Option(None, "--cycle", help="Only tasks of this cycle number."),
    ready: bool = typer.Option(False, "--ready", help="Only ready tasks, in claim order."),
    mine: bool = typer.Option(False, "--mine", help="Only tasks held by the agent (--agent or NERV_AGENT)."),
    agent: Optional[str] = AgentOpt,
    limit: Optional[int] = typer.Option(None, "--limit", help=f"At most this many (default: all with --json, "
                                                                     f"the first {SHOWN} on screen)."),
    project: Optional[str] = ProjectOpt,
) -> None:
    """List the project's tasks (by number; with --ready, by priority then age)."""
    from nerv.services import tasks

    if limit is None and not out.mode.json:
        limit = SHOWN
    rows, total = tasks.task_page(_ctx.store(), limit, status=status, cycle=cycle, ready=ready, mine=mine,
                                  agent=agent, project=project)
    out.emit(rows, lambda rs: out.table([_shown(r) for r in rs], LIST_COLUMNS, empty="no tasks match",
                                        total=total, drop=["type", "priority", "assignee"]))


@app.command("show")
def show(ref: str = typer.Argument(..., help=TASK_REF_HELP), project: Optional[str] = ProjectOpt) -> None:
    """Show a task with its subtasks and dependencies."""
    from nerv.services import tasks

    data = tasks.show_task(_ctx.store(), ref, project)

    def human(d: dict) -> None:
        parent = d["parent"]
        out.kv({"id": d["id"], "status": status_cell(d), "priority": d["priority"], "type": d["type"],
                "assignee": holder_cell(d), "lease until": d["lease_expires_at"], "reason": d["status_reason"],
                "parent": f"{parent['ref']} {parent['title']}" if parent else None, "cycle": d["cycle_number"],
                "ready": d["ready"], "created": d["created_at"], "description": d["description"]},
               title=f"#{d['number']} {d['title']}")
        for key, heading in (("children", "subtasks"), ("depends_on", "waits on"), ("dependents", "needed by")):
            if d[key]:
                out.table(d[key], [c for c in ("ref", "title", "status", "dep_type", "assignee") if c in d[key][0]],
                          title=heading)

    out.emit(data, human)


@app.command("edit")
def edit(
    ref: str = typer.Argument(..., help=TASK_REF_HELP),
    title: Optional[str] = typer.Option(None, "--title", help="New title."),
    description: Optional[str] = typer.Option(None, "--description", "-d", help="New description."),
    type_: Optional[str] = typer.Option(None, "--type", help="New type."),
    priority: Optional[int] = typer.Option(None, "--priority", "-p", help="New priority, 0 (most urgent) to 4."),
    parent: Optional[str] = typer.Option(None, "--parent", help="New parent task."),
    no_parent: bool = typer.Option(False, "--no-parent", help="Make it a top-level task."),
    cycle: Optional[int] = typer.Option(None, "--cycle", help="Move to this cycle number."),
    no_cycle: bool = typer.Option(False, "--no-cycle", help="Take it out of its cycle."),
    project: Optional[str] = ProjectOpt,
) -> None:
    """Change a task's title, description, type, priority, parent or cycle."""
    from nerv.services import tasks

    data = tasks.edit_task(_ctx.store(), ref, title=title, description=description, type_=type_, priority=priority,
                           parent=parent, clear_parent=no_parent, cycle=cycle, clear_cycle=no_cycle, project=project)
    out.emit(data, lambda d: _show_task_line(d, "updated"))


def _transition_command(verb: str, summary: str, past: str):
    def command(ref: str = typer.Argument(..., help=TASK_REF_HELP), reason: Optional[str] = ReasonOpt,
                agent: Optional[str] = typer.Option(None, "--agent", envvar="NERV_AGENT",
                                                    help="Who acts (default: $NERV_AGENT; recorded as the actor; "
                                                         "`start` also makes it the holder)."),
                force: bool = typer.Option(False, "--force", help="review/done: finish a task another agent "
                                                                  "holds (audited as forced)."),
                project: Optional[str] = ProjectOpt) -> None:
        from nerv.services import tasks

        data = tasks.change_status(_ctx.store(), ref, verb, reason=reason, agent=agent, project=project,
                                   force=force)
        out.emit(data, lambda d: _show_task_line(d, past))

    command.__doc__ = summary
    app.command(verb)(command)


_transition_command("start", "Move to in_progress (from todo, blocked or review).", "started")
_transition_command("review", "Move to review (from in_progress).", "in review")
_transition_command("done", "Move to done (refused while a subtask is open).", "done")
_transition_command("block", "Move to blocked (from todo, in_progress or review); say why with --reason.", "blocked")
_transition_command("reopen", "Move back to todo (from done, cancelled or blocked); clears the holder.", "reopened")
_transition_command("cancel", "Move to cancelled (from any open status).", "cancelled")


@app.command("rm")
def rm(ref: str = typer.Argument(..., help=TASK_REF_HELP),
       yes: bool = typer.Option(False, "--yes", help="Really delete (without it, only explains what would go)."),
       project: Optional[str] = ProjectOpt) -> None:
    """Delete a task and its dependency links (subtasks are kept, without parent)."""
    from nerv.services import tasks

    data = tasks.remove_task(_ctx.store(), ref, yes=yes, project=project)
    out.emit(data, lambda d: out.message(f"#{d['removed']['number']} removed: {d['removed']['title']}"))


def _card(task: dict, status: str) -> tuple[str, str | None]:
    """A task's line on the board and its style: `*` on a task that waits on a dependency (dimmed), a
    container's progress, an expired lease, the holder of work under way (what a person looks for there)."""
    # Markers before the title: a narrow column cuts the end of a card, never these.
    marks = [f"[{task['progress']['done']}/{task['progress']['total']}]"] if task["progress"] else []
    if task["lease_expired"]:
        marks.append("(expired)")
    if task["assignee"] and status in ("in_progress", "review"):
        marks.append(f"{task['assignee']}:")
    text = " ".join([task["ref"] + ("*" if task["waits"] else ""), *marks, task["title"]])
    return text, "dim" if task["waits"] else None


@app.command("board")
def board(cycle: Optional[int] = typer.Option(None, "--cycle", help="Only tasks of this cycle number."),
          limit: int = typer.Option(12, "--limit", help="Tasks shown per column (the counts are always full)."),
          project: Optional[str] = ProjectOpt) -> None:
    """Kanban view: one column per status with counts (cancelled only counted); --json gives every column."""
    from nerv.services import tasks

    data = tasks.board(_ctx.store(), project, cycle=cycle)

    def human(d: dict) -> None:
        shown = [c for c in d["columns"] if c["status"] != "cancelled"]
        cells = []
        for col in shown:
            lines = [_card(t, col["status"]) for t in col["tasks"][:max(limit, 0)]]
            if col["count"] > len(lines):
                lines.append((f"... {col['count'] - len(lines)} more, use --limit", "dim"))
            cells.append(lines)
        # Count on its own line: "in_progress (12)" would not fit a fifth of 80 columns.
        out.columns([f"{c['status']}\n({c['count']})" for c in shown], cells)
        cancelled = next(c["count"] for c in d["columns"] if c["status"] == "cancelled")
        out.message(f"project {d['project']}; cancelled: {cancelled}; * waits on an unfinished dependency",
                    style="dim")

    out.emit(data, human)


@app.command("ready")
def ready(limit: int = typer.Option(-1, "--limit", help="At most this many (default: all)."),
          project: Optional[str] = ProjectOpt) -> None:
    """Ready tasks: todo, all `blocks` dependencies done, held by nobody; by priority, then age."""
    from nerv.services import queue

    rows = queue.ready_tasks(_ctx.store(), project, limit)
    out.emit(rows, lambda rs: out.table([{**r, "ref": f"#{r['number']}"} for r in rs],
                                        ["ref", "title", "priority", "type", "created_at"],
                                        empty="nothing is ready"))


@app.command("blocked")
def blocked_cmd(project: Optional[str] = ProjectOpt) -> None:
    """What waits and on what: unfinished dependencies, blocked status (with its reason), open subtasks,
    pending approvals recorded for the task."""
    from nerv.services import waiting

    rows = waiting.waiting_tasks(_ctx.store(), project)
    out.emit(rows, lambda rs: out.table([{**r, "waits on": "; ".join(_wait_text(w) for w in r["waits_on"])}
                                         for r in rs], ["ref", "title", "status", "waits on"],
                                        empty="nothing waits"))


def _wait_text(wait: dict) -> str:
    if wait["kind"] == "dependency":
        return f"{wait['ref']} {wait['title']} ({wait['status']})"
    if wait["kind"] == "blocked":
        return f"blocked: {wait['reason']}" if wait["reason"] else "blocked (no reason given)"
    if wait["kind"] == "subtasks":
        return f"{wait['open']} open subtask(s), {wait['done']}/{wait['total']} done"
    return f"approval {wait['id']} ({wait['tool']}: {wait['summary']})"


@app.command("next")
def next_cmd(project: Optional[str] = ProjectOpt) -> None:
    """The first ready task (exit 1 when nothing is ready)."""
    from nerv.services import queue

    data = queue.next_task(_ctx.store(), project)
    out.emit(data, lambda d: out.message(f"#{d['number']} {d['title']} (priority {d['priority']})"))


@app.command("claim")
def claim(ref: Optional[str] = typer.Argument(None, help="Task to take (default: the first ready one)."),
          agent: Optional[str] = AgentOpt, lease: Optional[str] = LeaseOpt,
          paths: Optional[List[str]] = typer.Option(None, "--paths", help="Also lease these paths (gitignore-style, "
                                                    "repeatable) for the task: other agents' writes there are denied."),
          project: Optional[str] = ProjectOpt) -> None:
    """Atomically take a task for an agent: in_progress, held, with a lease (exit 1 when nothing is ready)."""
    from nerv.services import claims

    data = claims.claim(_ctx.store(), ref, agent=agent, lease=lease, project=project, paths=paths or None)

    def human(d: dict) -> None:
        out.message(f"#{d['number']} claimed by {d['assignee']} until {moment(d['lease_expires_at'])}: {d['title']}")
        if d.get("path_leases"):
            from nerv.cli.lease import _warn_overlaps, show_leases

            show_leases(d["path_leases"], "added")
            _warn_overlaps(d["lease_overlaps"])

    out.emit(data, human)


@app.command("heartbeat")
def heartbeat(ref: str = typer.Argument(..., help=TASK_REF_HELP), agent: Optional[str] = AgentOpt,
              lease: Optional[str] = LeaseOpt, project: Optional[str] = ProjectOpt) -> None:
    """Extend the holder's lease from now."""
    from nerv.services import claims

    data = claims.heartbeat(_ctx.store(), ref, agent=agent, lease=lease, project=project)
    out.emit(data, lambda d: out.message(f"#{d['number']} lease extended until {moment(d['lease_expires_at'])}"))


@app.command("release")
def release(ref: str = typer.Argument(..., help=TASK_REF_HELP),
            agent: Optional[str] = typer.Option(None, "--agent", help="Only if this agent holds it."),
            project: Optional[str] = ProjectOpt) -> None:
    """Give a claimed task back to the queue (todo, no holder)."""
    from nerv.services import claims

    data = claims.release(_ctx.store(), ref, agent=agent, project=project)
    out.emit(data, lambda d: out.message(f"#{d['number']} released: {d['title']}"))


@dep_app.command("add")
def dep_add(ref: str = typer.Argument(..., help="The task that waits. " + TASK_REF_HELP),
            dep: str = typer.Argument(..., help="The task it waits on."),
            type_: str = typer.Option("blocks", "--type", help="blocks (orders work) or related (a link)."),
            project: Optional[str] = ProjectOpt) -> None:
    """Make a task depend on another (refused if it would close a cycle)."""
    from nerv.services import tasks_graph

    data = tasks_graph.add_dependency(_ctx.store(), ref, dep, type_, project)
    out.emit(data, lambda d: out.message(f"{d['task']} now depends on {d['depends_on']} ({d['type']})"))


@dep_app.command("rm")
def dep_rm(ref: str = typer.Argument(..., help="The task that waits. " + TASK_REF_HELP),
           dep: str = typer.Argument(..., help="The task it waits on."),
           project: Optional[str] = ProjectOpt) -> None:
    """Remove a dependency."""
    from nerv.services import tasks_graph

    data = tasks_graph.remove_dependency(_ctx.store(), ref, dep, project)
    out.emit(data, lambda d: out.message(f"{d['task']} no longer depends on {d['depends_on']}"))


def _tree_lines(node: dict, prefix: str = "", last: bool = True, root: bool = True) -> list[str]:
    kind = "" if root or node["dep_type"] == "blocks" else f" ({node['dep_type']})"
    seen = " (see above)" if node.get("repeated") and not root else ""
    text = f"{node['ref']} {node['title']} [{node['status']}]{kind}{seen}"
    lines = [text if root else f"{prefix}{'└─ ' if last else '├─ '}{text}"]
    child_prefix = "" if root else prefix + ("   " if last else "│  ")
    for index, child in enumerate(node["children"]):
        lines += _tree_lines(child, child_prefix, index == len(node["children"]) - 1, False)
    return lines


@dep_app.command("tree")
def dep_tree(ref: str = typer.Argument(..., help=TASK_REF_HELP), project: Optional[str] = ProjectOpt) -> None:
    """What a task waits on, recursively."""
    from nerv.services import tasks_graph

    data = tasks_graph.dependency_tree(_ctx.store(), ref, project)
    out.emit(data, lambda d: [out.message(line) for line in _tree_lines(d)])
