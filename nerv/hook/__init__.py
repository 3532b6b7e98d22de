"""Claude Code hook events (`nerv hook <event>`). Stdlib only: runs on every agent tool call.

Contract: never crash the agent's flow and never allow by accident. Malformed input, an unusable
database or a bug answer `ask` (or `deny`, setting hook.on_error) on PreToolUse and nothing (Claude Code's
own prompt) on PermissionRequest; every other event reports on stderr and exits 0, and so does an event
this nerv does not know. Exit 2 is never used: a deny is a JSON decision.
"""

from __future__ import annotations

import sys

from nerv import fastjson

# The single list of events nerv handles: `nerv hook <name>` -> Claude Code's event name. `nerv hook install`
# registers exactly these (nerv.services.hook_install reads this dict).
EVENTS = {
    "pre-tool-use": "PreToolUse",
    "permission-request": "PermissionRequest",
    "permission-denied": "PermissionDenied",
    "post-tool-use": "PostToolUse",
    "post-tool-use-failure": "PostToolUseFailure",
    "post-tool-batch": "PostToolBatch",
    "session-start": "SessionStart",
    "session-end": "SessionEnd",
    "stop": "Stop",
    "user-prompt-submit": "UserPromptSubmit",
    "subagent-start": "SubagentStart",
    "subagent-stop": "SubagentStop",
    "pre-compact": "PreCompact",
    "post-compact": "PostCompact",
    "notification": "Notification",
}


class MalformedInput(ValueError):
    """The hook's stdin is not the JSON object Claude Code sends."""


def read_payload(raw: bytes) -> dict:
    try:
        payload = fastjson.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedInput(f"stdin is not JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise MalformedInput(f"stdin is JSON {type(payload).__name__}, not an object")
    for key in NAMING_FIELDS:
        value = payload.get(key)
        if isinstance(value, str) and "\x00" in value:
            # A NUL names no session, call or folder (and PostgreSQL text cannot hold one): refused the same way
            # on both backends, before anything is looked up.
            raise MalformedInput(f"{key} holds a NUL character")
    return payload


# The fields that name something nerv looks up or keys rows by.
NAMING_FIELDS = ("session_id", "tool_use_id", "tool_name", "hook_event_name", "cwd", "transcript_path", "agent_id",
                 "agent_type", "agent_transcript_path")


def tool_name(payload: dict) -> str:
    """The `tool_name` of a tool event (PreToolUse, PermissionRequest, PostToolUse...); MalformedInput without one."""
    tool = payload.get("tool_name")
    if not isinstance(tool, str) or not tool:
        raise MalformedInput("tool_name is missing or not text")
    return tool


def _drain_stdin() -> None:
    """Read what Claude Code sends, so its write never meets a closed pipe (not from a terminal: no wait)."""
    try:
        if not sys.stdin.isatty():
            getattr(sys.stdin, "buffer", sys.stdin).read()
    except Exception:
        pass


def run(args: list[str]) -> int:
    """Entry from nerv/__main__.py: `args` is [event, ...]. Returns the exit code."""
    event = args[0] if args else ""
    if event not in EVENTS:
        # A newer Claude Code (or a hand-written settings entry) may call an event this nerv does not know:
        # no opinion and exit 0, so the agent's flow never shows an error for it.
        sys.stderr.write(f"nerv hook: event {event[:60]!r} is not one nerv handles; ignored\n")
        _drain_stdin()
        return 0
    if "--help" in args[1:] or "-h" in args[1:]:
        sys.stdout.write(f"Usage: nerv hook {event}\n\n  Claude Code {EVENTS[event]} hook: reads the hook JSON on "
                         "stdin (docs/hooks.md).\n  Installed by `nerv hook install`.\n")
        return 0
    try:
        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.read() if stream is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
    except Exception as exc:  # a closed or unreadable stdin is malformed input too
        raw = b""
        sys.stderr.write(f"nerv hook: cannot read stdin: {exc}\n")
    return handle_event(event, raw)


def handle_event(event: str, raw: bytes) -> int:
    """`nerv hook <event>` on its stdin: through the machine's hook daemon in team mode, else (or when the
    daemon did not answer) right here."""
    answered = _ask_daemon(event, raw)
    return answered if answered is not None else dispatch(event, raw)


def _ask_daemon(event: str, raw: bytes) -> int | None:
    """Team mode: the machine's hook daemon runs the event (nerv.hook.daemon_client); None when it did not."""
    from nerv.env import database_url, hook_daemon_mode, is_postgres_url

    url = database_url()
    if not is_postgres_url(url) or hook_daemon_mode() == "off":
        return None
    from nerv.hook.daemon_client import ask

    try:
        return ask(event, raw, url)
    except Exception as exc:  # a bug on this side of the socket: the hook answers by itself
        sys.stderr.write(f"nerv hook: hook daemon: {type(exc).__name__}: {exc}\n")
        return None


def dispatch(event: str, raw: bytes) -> int:
    """Run the handler of `event` (a key of EVENTS) on its stdin, here: what a hook process and the daemon both run."""
    if event == "pre-tool-use":
        from nerv.hook.pretool import handle

        return handle(raw)
    if event == "permission-request":
        from nerv.hook.permission import handle

        return handle(raw)
    from nerv.hook.events import handle

    return handle(EVENTS[event], raw)
