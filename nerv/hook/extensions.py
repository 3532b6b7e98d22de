"""Extension points other features plug into the hook. Stdlib only; entries are dotted paths loaded lazily.

Each entry is "package.module:function" (or "package.module.function"). An entry that fails to import
or raises is reported on stderr and skipped: an extension never breaks the agent's flow, and never
turns a PreToolUse into an allow by failing.
"""

from __future__ import annotations

# fn(conn, event_name, payload) -> str | None: text added as additionalContext on SessionStart and
# UserPromptSubmit (e.g. the current task, open decisions).
CONTEXT_PROVIDERS: list[str] = [
    "nerv.hook.plugins.handoff:context_for_session",  # the resume brief of the task the agent holds
    "nerv.hook.plugins.budget:budget_context",  # a warning once a budget is 80 % spent
]

# fn(conn, payload) -> (decision, reason) | None: consulted on PreToolUse before any rule (e.g. a budget
# guard answering ("deny", "budget exceeded")). The first non-None answer decides.
PRE_TOOL_GUARDS: list[str] = [
    "nerv.hook.plugins.budget:budget_guard",  # deny once a hard budget is exceeded, when budget.enforce is true
    "nerv.hook.plugins.leases:lease_guard",  # deny writes inside another agent's live path lease
]

# fn(conn, payload) -> None: run on SessionEnd after the session is recorded (e.g. importing the transcript).
SESSION_END_TASKS: list[str] = [
    "nerv.hook.plugins.transcripts:import_session_transcript",  # the session's own transcript and its subagents' files
]
