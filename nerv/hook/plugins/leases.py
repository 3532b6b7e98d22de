"""The PreToolUse path-lease guard. Stdlib only (matching: nerv.domain.leases; rows: nerv.store.queries_leases).

A lease (table path_leases, docs/tasks.md "Path leases") gives one agent gitignore-style patterns, written
against an absolute `anchor` folder. `lease_guard` denies Edit/Write/MultiEdit/NotebookEdit calls, and the
write redirections and write operands of Bash/Monitor commands, whose file falls inside a live lease of
another agent. The caller's agent is NERV_AGENT (else a subagent's agent_type/agent_id): a call without
any identity counts as another agent, and the holder is never blocked by its own leases.

The guard runs before every tool call: a tool that cannot write returns before any query, and a write tool
costs one probe of the partial index ix_path_leases_live; the path and shell modules load only when some
lease is live.
"""

from __future__ import annotations

import os
import sqlite3

FILE_TOOLS = {"Edit": "file_path", "Write": "file_path", "MultiEdit": "file_path", "NotebookEdit": "notebook_path"}
SHELL_TOOLS = ("Bash", "Monitor")  # Monitor's command is judged by Bash's rules


def _file_targets(tool: str, tool_input: dict, cwd: str, home: str) -> list[str]:
    """Absolute paths (lexical and resolved) the call writes, as far as they are known before it runs."""
    from nerv.rules import paths

    if tool in FILE_TOOLS:
        value = tool_input.get(FILE_TOOLS[tool])
        return paths.candidates(value, cwd, home) if isinstance(value, str) and value else []
    command = tool_input.get("command")
    if not isinstance(command, str) or not command.strip():
        return []
    from nerv.rules.decision import Context
    from nerv.rules.shell_eval import bash_dialect, bash_file_targets, split_bash, working_dirs

    parts = split_bash(command)
    cwds, cwd_unknown = working_dirs(parts, Context(cwd, cwd, home), bash_dialect())
    found: list[str] = []
    for part in parts:
        for word, writes in bash_file_targets(part):
            if not writes or word.expands or word.globbed:
                continue  # a read, or a file only known at run time: not a lease hit
            text = word.value
            if not text:
                continue
            relative = not (text.startswith("/") or text == "~" or text.startswith("~/"))
            if relative and cwd_unknown:
                continue
            for base in (cwds if relative else cwds[:1]):
                found.extend(p for p in paths.candidates(text, base, home) if p not in found)
    return found


def _describe(lease: dict) -> str:
    task = f" for #{lease['task_number']} {lease['task_title']}" if lease.get("task_number") is not None else ""
    return f"{lease['agent']}{task}"


def lease_guard(conn: sqlite3.Connection, event: dict) -> tuple[str, str] | None:
    """("deny", reason) when the call writes inside another agent's live lease; else None (no opinion)."""
    tool = event.get("tool_name")
    if tool not in FILE_TOOLS and tool not in SHELL_TOOLS:
        return None
    tool_input = event.get("tool_input")
    if not isinstance(tool_input, dict):
        return None
    from nerv.store.queries_leases import live_leases

    leases = live_leases(conn)
    if not leases:
        return None
    from nerv.domain.leases import covers
    from nerv.hook.common import caller_agent

    me = caller_agent(event)
    others = [lease for lease in leases if lease["agent"] != me]
    if not others:
        return None
    cwd = event.get("cwd") if isinstance(event.get("cwd"), str) and event.get("cwd") else os.getcwd()
    home = os.path.expanduser("~")
    for path in _file_targets(tool, tool_input, os.path.abspath(cwd), home):
        for lease in others:
            if covers(lease["pattern"], lease["anchor"], path, home):
                who = _describe(lease)
                return ("deny", f"{path} is inside path lease #{lease['id']} ({lease['pattern']}) held by {who} "
                                f"until {lease['expires_at'][:19].replace('T', ' ')} UTC; you are "
                                f"{me or 'an agent without NERV_AGENT'}. Work on other files, wait for the lease "
                                f"to end or be released (`nerv lease list`), or ask {lease['agent']} to release "
                                f"it (`nerv lease release {lease['id']}`).")
    return None
