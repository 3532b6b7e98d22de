"""`nerv session archive|restore` and `session show --transcript`: the transcript archive (docs/data-safety.md)."""

from __future__ import annotations

from typing import List, Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._layout import usd

STATS_KEYS = ["files", "sessions", "chunks", "raw_bytes", "unique_bytes", "stored_bytes", "ratio", "folder"]


def register(app: typer.Typer) -> None:
    app.command("archive")(archive_cmd)
    app.command("restore")(restore_cmd)


def archive_cmd(
    paths: Optional[List[str]] = typer.Argument(None, help="Transcript files or folders (default: Claude Code's "
                                                           "folders, as `session import`)."),
    stats_only: bool = typer.Option(False, "--stats", help="Only report the archive's size."),
) -> None:
    """Archive transcripts now (even with sessions.archive off), or report the archive's size with --stats."""
    from nerv.services import archive

    if stats_only:
        out.emit(archive.stats(_ctx.store()), _stats)
        return
    data = archive.archive_paths(_ctx.store(), paths or [])

    def human(d: dict) -> None:
        from nerv.cli.session import archive_summary

        archive_summary(d)
        _stats(d["stats"])

    out.emit(data, human)


def _stats(data: dict) -> None:
    ratio = None if data["ratio"] is None else f"{data['ratio']:.1%} of raw"
    out.kv({**data, "ratio": ratio}, title="transcript archive", keys=STATS_KEYS)


def restore_cmd(
    session_id: str = typer.Argument(..., help="Archived session id or unambiguous prefix (4+ characters)."),
    to: Optional[str] = typer.Option(None, "--to", help="Folder to restore under instead of Claude Code's "
                                                        "projects folder ($CLAUDE_CONFIG_DIR or ~/.claude)."),
) -> None:
    """Write an archived session's transcript and subagent files back, byte-identical (so `claude --resume ID`
    finds them); refuses to overwrite a different file."""
    from nerv.services import archive

    data = archive.restore(_ctx.store(), session_id, to)

    def human(d: dict) -> None:
        for item in d["files"]:
            out.message(f"{item['state']:9} {item['path']} ({item['size']:,} bytes)")
        out.message(f"session {d['session']} restored under {d['root']}")

    out.emit(data, human)


def show_transcript(session_id: str) -> None:
    from nerv.services import archive

    out.emit(archive.session_transcript(_ctx.store(), session_id), _conversation)


def _conversation(data: dict) -> None:
    for turn in data["turns"]:
        out.message(f"── turn {turn['number']}  {(turn['ts'] or '')[:19].replace('T', ' ')}  "
                    f"{turn['api_calls']} calls, {turn['tokens']:,} tokens, {usd(turn['cost_usd'])}", style="bold")
        if turn["prompt"]:
            out.message("user: " + turn["prompt"], wrap=False)
        for item in turn["items"]:
            if item["kind"] == "text":
                out.message("assistant: " + item["text"], wrap=False)
            elif item["kind"] == "tool":
                out.message(f"  tool {item['name']}: {item['input']}", style="dim", wrap=False)
            elif item["error"]:
                out.message("  tool result: error", style="dim")
    for agent in data["subagents"]:
        out.message(f"subagent {agent['agent']}: {agent['api_calls']} calls, {usd(agent['cost_usd'])}")
    out.message(f"total: {data['api_calls']} calls, {data['tokens']:,} tokens, {usd(data['cost_usd'])}",
                style="bold")
