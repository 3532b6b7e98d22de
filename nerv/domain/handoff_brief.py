"""The resume brief as plain text, for `nerv handoff show` and the SessionStart hook. Stdlib only."""

from __future__ import annotations

EXCERPT_CHARS = 300


def _short(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _file_ref(item: dict) -> str:
    return f"{item['path']}:{item['line']}" if item.get("line") else item["path"]


def format_brief(data: dict, project_name: str | None = None) -> str:
    """A compact, plain-text resume brief for a person or an agent's context window."""
    lines = [f"nerv resume brief{f' (project {project_name})' if project_name else ''}"]
    task = data.get("task")
    if task:
        holder = f", held by {task['assignee']}" if task.get("assignee") else ""
        lines.append(f"Task #{task['number']}: {task['title']} [{task['status']}{holder}]")
        if task.get("description"):
            lines.append(f"  {_short(task['description'])}")
        if data["dependencies"]:
            deps = "; ".join(f"#{d['number']} {_short(d['title'], 60)} [{d['status']}]"
                             + ("" if d["type"] == "blocks" else f" ({d['type']})") for d in data["dependencies"])
            lines.append(f"Depends on: {deps}")
    else:
        lines.append("No task held: showing the project's latest handoff.")
    handoff = data.get("handoff")
    if handoff:
        who = f" by {handoff['agent']}" if handoff.get("agent") else ""
        when = handoff["created_at"][:16].replace("T", " ")
        lines.append(f"Last handoff ({when} UTC{who}): {_short(handoff['text'])}")
        if handoff["files"]:
            lines.append("  Files: " + ", ".join(_file_ref(f) for f in handoff["files"]))
        for index, step in enumerate(handoff["next_steps"], start=1):
            lines.append(f"  Next {index}. {_short(step, 200)}")
    else:
        lines.append("No handoff saved yet.")
    if data.get("decisions"):
        lines.append("Decisions: " + "; ".join(f"#{d['number']} {_short(d['title'], 80)} [{d['status']}]"
                                               for d in data["decisions"]))
    for learning in data.get("learnings") or []:
        lines.append(f"Learning #{learning['number']}: {_short(learning['text'], 200)}")
    return "\n".join(lines)
