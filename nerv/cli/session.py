"""`nerv session ...`: Claude sessions, transcript import and assignment to projects and tasks (the archive's
commands are in nerv/cli/session_archive.py)."""

from __future__ import annotations

from typing import List, Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._layout import count, short_id
from nerv.cli._options import ALL, agent_option, project_option

app = typer.Typer(help="Claude sessions: start/end, import transcripts, assign to projects and tasks (docs/costs.md).",
                  no_args_is_help=True)

SESSION_HELP = "Session id or unambiguous prefix (4+ characters)."
TaskOpt = typer.Option(None, "--task", help="Task number (in the project), id or id prefix.")
LIST_COLUMNS = ["id", "project", "status", "started", "model", "input", "output", "cache_write", "cache_read",
                "cost_usd"]
LIST_HEADERS = {"cost_usd": "US$"}
LIST_DROP = ["cache_write", "project", "status", "cache_read", "input", "output", "model"]


def register(root: typer.Typer) -> None:
    from nerv.cli import session_archive

    session_archive.register(app)
    root.add_typer(app, name="session")


@app.command("start")
def start(
    session_id: Optional[str] = typer.Option(None, "--id", help="Claude Code's session id (default: a new id)."),
    task: Optional[str] = TaskOpt,
    model: Optional[str] = typer.Option(None, "--model", help="Model id the session runs on."),
    agent: Optional[str] = agent_option("Agent name; without --task the task it holds is linked"),
    project: Optional[str] = project_option("the task's project, else the registered repo holding the "
                                            "working directory"),
) -> None:
    """Record a session as started (linked to a task so its cost rolls up)."""
    from nerv.services import sessions

    data = sessions.start_session(_ctx.store(), session_id, task=task, model=model, agent=agent, project=project)
    out.emit(data, lambda d: out.message(f"session {short_id(d['id'])} started" + (" (task linked)" if d["task"] else "")))


@app.command("end")
def end(
    session_id: str = typer.Argument(..., help=SESSION_HELP),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why it ended (e.g. logout, clear)."),
) -> None:
    """Mark a session ended."""
    from nerv.services import sessions

    data = sessions.end_session(_ctx.store(), session_id, reason)
    out.emit(data, lambda d: out.message(f"session {short_id(d['id'])} ended"))


@app.command("list")
def list_cmd(
    project: Optional[str] = project_option(ALL, "Only this project's sessions"),
    since: Optional[str] = typer.Option(None, "--since", help="Started on or after: YYYY-MM-DD, ISO time, or 7d."),
    task: Optional[str] = TaskOpt,
    unassigned: bool = typer.Option(False, "--unassigned", help="Only sessions with no project."),
    limit: int = typer.Option(100, "--limit", help="At most this many rows."),
) -> None:
    """List sessions, newest first, with tokens and cost."""
    from nerv.services import sessions

    rows = sessions.list_sessions(_ctx.store(), project=project, since=since, task=task, unassigned=unassigned,
                                  limit=limit)
    out.emit(rows, lambda rs: out.table([_list_row(r) for r in rs], LIST_COLUMNS, headers=LIST_HEADERS,
                                        drop=LIST_DROP, limit=limit, empty="no sessions: `nerv session import`"))


def _list_row(row: dict) -> dict:
    return {"id": row["id"], "project": row["project"], "status": row["status"], "started": row["started_at"],
            "model": (row["model"] or "").removeprefix("claude-"), "input": row["input_tokens"],
            "output": row["output_tokens"],
            "cache_write": row["cache_write_tokens"],
            "cache_read": row["cache_read_tokens"], "cost_usd": row["cost_usd"]}


@app.command("show")
def show(
    session_id: str = typer.Argument(..., help=SESSION_HELP),
    transcript: bool = typer.Option(False, "--transcript", help="Print the archived conversation: turns, tool "
                                                                "calls and the cost of each turn."),
) -> None:
    """Show one session: tokens by kind, cost, API calls, models, duration, task, cycle, project."""
    if transcript:
        from nerv.cli.session_archive import show_transcript

        show_transcript(session_id)
        return
    from nerv.services import sessions

    data = sessions.show_session(_ctx.store(), session_id)
    out.emit(data, _show)


def _show(data: dict) -> None:
    d = data
    tokens = (f"input {count(d['input_tokens'])} · output {count(d['output_tokens'])} · cache write "
              f"{count(d['cache_write_5m_tokens'] + d['cache_write_1h_tokens'])} (1 h: {count(d['cache_write_1h_tokens'])})"
              f" · cache read {count(d['cache_read_tokens'])}")
    task = d["task"]
    out.kv({"project": d["project"], "task": task and f"#{task['number']} {task['title']}", "cycle": d["cycle"],
            "status": d["status"],
            "agent": d["agent"], "agent type": d["agent_type"], "waiting for": d["waiting_for"],
            "models": d["models"], "started": d["started_at"], "ended": d["ended_at"],
            "last activity": d["last_activity_at"],
            "duration": None if d["duration_s"] is None else out.span(d["duration_s"]),
            "API calls": d["api_calls"], "tokens": tokens, "cost": d["cost_usd"],
            "unpriced calls": d["unpriced_calls"] or None, "cwd": d["cwd"], "transcript": d["transcript_path"]},
           title=f"session {short_id(d['id'])}")
    if d["subagents"]:
        out.table(d["subagents"], ["agent_id", "agent_type", "status", "api_calls", "cost_usd"],
                  headers={"cost_usd": "US$", "api_calls": "calls"}, title="subagents")


def _import_summary(d: dict) -> None:
    out.message(f"{d['files']} files ({d['files_read']} read, {d['files_unchanged']} unchanged, "
                f"{d['files_reset']} re-read from the start): {d['lines_read']} lines, {d['api_calls']} API calls, "
                f"{d['new_usage_rows']} new, {d['sessions']} sessions updated")
    if not d["files"]:
        out.message("no transcripts found under: " + (", ".join(d["roots"]) or "(no Claude Code folder exists)"))
    if d["skipped_lines"]:
        out.warn(f"{d['skipped_lines']} malformed lines skipped, e.g. " +
                 "; ".join(f"{s['path']}:{s['line']} {s['reason']}" for s in d["skipped"][:3]))
    if d["partial_tails"]:
        out.warn(f"{d['partial_tails']} files end with an unfinished line; it is read by the next import")
    for bad in d["unreadable"]:
        out.warn(f"cannot read {bad['path']}: {bad['reason']}")
    if "archive" in d:
        archive_summary(d["archive"])
    for model, calls in d["unpriced_models"].items():
        out.warn(f"no price for model {model} ({calls} calls): `nerv pricing set {model} --input ... --output ...`"
                 " then `nerv cost --recompute`")
    if d["unassigned_sessions"]:
        out.warn(f"{len(d['unassigned_sessions'])} sessions ran outside registered repos: "
                 "`nerv session list --unassigned`, then `nerv session assign ID --project P`")


@app.command("import")
def import_cmd(
    paths: Optional[List[str]] = typer.Argument(None, help="Transcript files or folders (default: "
                                                           "$CLAUDE_CONFIG_DIR/projects, ~/.claude/projects, "
                                                           "~/.config/claude/projects)."),
) -> None:
    """Import Claude Code transcripts incrementally: one usage row per API call, deduplicated."""
    from nerv.services import transcripts

    data = transcripts.import_transcripts(_ctx.store(), paths or [], progress=out.progress)
    out.emit(data, _import_summary)


def archive_summary(archived: dict) -> None:
    out.message(f"archive: {archived['archived']} files archived, {archived['appended']} appended, "
                f"{archived['unchanged']} unchanged; {archived['new_chunks']} new chunks, "
                f"{archived['new_bytes']:,} new bytes stored in {archived['stored_bytes']:,}")
    if archived["deferred"]:
        out.warn(f"{archived['deferred']} files left for the next run (size bound)")
    for bad in archived["unreadable"]:
        out.warn(f"cannot archive {bad['path']}: {bad['reason']}")


@app.command("assign")
def assign(
    session_id: str = typer.Argument(..., help=SESSION_HELP),
    project: Optional[str] = project_option("the task's project, else unchanged", "Project to move it to"),
    task: Optional[str] = TaskOpt,
) -> None:
    """Move a session (and its usage) to a project, and/or link it to a task."""
    from nerv.services import sessions

    data = sessions.assign_session(_ctx.store(), session_id, project=project, task=task)
    out.emit(data, lambda d: out.message(f"session {short_id(d['id'])} assigned ({d['usage_rows_moved']} API calls moved)"))
