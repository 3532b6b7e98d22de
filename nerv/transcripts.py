"""Reading Claude Code transcripts (JSON lines) into API-call records. Stdlib only: the SessionEnd hook uses it.

Shape (shared/reference/claude-code.md section 3): one JSON object per line; assistant lines carry
`message.{id, model, usage}` and `requestId`. Only lines with a `message.usage` object are API calls
(`<synthetic>` ones are not). Every line is either accepted whole or skipped with a reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import NamedTuple

from nerv.pricing import SYNTHETIC_MODEL

FIRST_LINE_HASH_BYTES = 64 * 1024
MAX_TOKENS = 10**12  # far above any real call; keeps a corrupt number from overflowing SQLite's integers
MAX_REPORTED_SKIPS = 20
_DECODER = json.JSONDecoder()  # decoding str directly skips json.loads' per-call encoding detection
_ISO_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def better_copy(total_tokens: int, is_sidechain: int, than_total: int, than_sidechain: int) -> bool:
    """Whether a copy of an API call should replace the one kept: Claude Code writes one call in several lines
    (streamed, a subagent's copy, a `/btw` side question's replay). As in ccusage, a main-chain copy beats a
    sidechain one, then the copy with more tokens wins; remaining ties keep the one held."""
    return (not is_sidechain, total_tokens) > (not than_sidechain, than_total)


def same_call(message_id: str, request_id: str, is_sidechain: int, held_request_id: str, held_sidechain: int) -> bool:
    """Whether a copy and a kept call with the same `message.id` are one API call: the same `requestId`, or
    either is a sidechain copy (side-question files replay parent messages under a new `requestId`)."""
    return request_id == held_request_id or bool(is_sidechain or held_sidechain)


def default_roots() -> list[Path]:
    """Claude Code's transcript folders: $CLAUDE_CONFIG_DIR/projects, ~/.claude/projects, ~/.config/claude/projects."""
    from nerv.env import claude_config_dirs

    roots = [Path(folder) / "projects" for folder in claude_config_dirs()]
    home = Path.home()
    roots += [home / ".claude" / "projects", home / ".config" / "claude" / "projects"]
    unique = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def find_transcripts(root: Path) -> list[Path]:
    """Every *.jsonl under `root`, recursively (subagent files in <session>/subagents/ included), sorted."""
    found = []
    for folder, _dirs, files in os.walk(root):
        found.extend(os.path.join(folder, name) for name in files if name.endswith(".jsonl"))
    return [Path(p) for p in sorted(found)]


class ApiCall(NamedTuple):
    session_id: str
    message_id: str | None
    request_id: str | None
    model: str | None
    ts: str
    cwd: str | None
    is_sidechain: int
    input_tokens: int
    output_tokens: int
    cache_write_5m_tokens: int
    cache_write_1h_tokens: int
    cache_read_tokens: int
    line_cost_usd: float | None  # the `costUSD` some old builds wrote (cost modes, docs/costs.md)
    line_offset: int
    agent_id: str | None = None  # `agentId`: the subagent that made the call (lines of subagents/agent-<id>.jsonl)
    speed: str | None = None  # `usage.speed`: "fast" for fast mode
    inference_geo: str | None = None  # `usage.inference_geo`: "us" for US-only inference
    web_search_requests: int = 0  # `usage.server_tool_use.web_search_requests`

    @property
    def total_tokens(self) -> int:
        return (self.input_tokens + self.output_tokens + self.cache_write_5m_tokens + self.cache_write_1h_tokens
                + self.cache_read_tokens)


class ParsedChunk:
    """What one read of a file produced. (A plain class: dataclasses costs ~20 ms to import on the hook path.)"""

    __slots__ = ("calls", "lines", "skipped", "skip_reasons", "consumed", "partial_tail")

    def __init__(self, calls=None, lines=0, skipped=0, skip_reasons=None, consumed=0, partial_tail=False):
        self.calls: list[ApiCall] = calls if calls is not None else []
        self.lines = lines
        self.skipped = skipped
        self.skip_reasons: list[tuple[int, str]] = skip_reasons if skip_reasons is not None else []  # the first few
        self.consumed = consumed  # bytes read up to the end of the last complete line
        self.partial_tail = partial_tail  # an unterminated, unparsable last line left for the next import


class BadLine(ValueError):
    pass


def first_line_hash(path: Path) -> str | None:
    with open(path, "rb") as handle:
        head = handle.readline(FIRST_LINE_HASH_BYTES)
    return hashlib.sha256(head).hexdigest() if head else None


def _count(usage: dict, key: str, required: bool) -> int:
    if key not in usage:
        if required:
            raise BadLine(f"usage.{key} is missing")
        return 0
    value = usage[key]
    if type(value) is not int:  # bool, str, float and null are all refused: no half-trusted numbers
        raise BadLine(f"usage.{key} is {type(value).__name__}, not an integer")
    if not 0 <= value <= MAX_TOKENS:
        raise BadLine(f"usage.{key} is out of range ({value})")
    return value


def _optional_text(line: dict, key: str) -> str | None:
    value = line.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadLine(f"{key} is {type(value).__name__}, not text")
    return value


def parse_api_call(line: dict, offset: int, fallback_session: str) -> ApiCall | None:
    """The API call on this line, None when the line is not one; BadLine when it is one but malformed."""
    message = line.get("message")
    if message.__class__ is not dict:
        return None
    usage = message.get("usage")
    if usage is None:
        return None
    if usage.__class__ is not dict:
        raise BadLine("message.usage is not an object")
    model = message.get("model")
    if model is not None and model.__class__ is not str:
        raise BadLine("message.model is not text")
    if model == SYNTHETIC_MODEL:
        return None
    input_tokens, output_tokens, cache_read, cache_write = (
        _count(usage, "input_tokens", True), _count(usage, "output_tokens", True),
        _count(usage, "cache_read_input_tokens", False), _count(usage, "cache_creation_input_tokens", False))
    split = usage.get("cache_creation")
    write_1h = 0
    if split is not None:
        if split.__class__ is not dict:
            raise BadLine("usage.cache_creation is not an object")
        write_1h = _count(split, "ephemeral_1h_input_tokens", False)
        split_total = _count(split, "ephemeral_5m_input_tokens", False) + write_1h
        # Older builds wrote the split with cache_creation_input_tokens 0: the larger account is the true one.
        if split_total > cache_write:
            cache_write = split_total
        elif write_1h > cache_write:
            write_1h = cache_write
    web_searches = 0
    tools = usage.get("server_tool_use")
    if tools is not None:
        if tools.__class__ is not dict:
            raise BadLine("usage.server_tool_use is not an object")
        web_searches = _count(tools, "web_search_requests", False)
    ts = line.get("timestamp")
    if ts.__class__ is not str or not _ISO_PREFIX.match(ts):
        raise BadLine("timestamp is missing or not ISO-8601")
    message_id = message.get("id")
    if message_id is not None and message_id.__class__ is not str:
        raise BadLine("message.id is not text")
    request_id = _optional_text(line, "requestId")
    if message_id:
        request_id = request_id or ""
    else:
        message_id = None
    cost = line.get("costUSD")
    line_cost = float(cost) if cost.__class__ in (int, float) and 0 <= cost < 1e9 else None
    return ApiCall(_optional_text(line, "sessionId") or fallback_session, message_id, request_id, model, ts,
                   _optional_text(line, "cwd"), 1 if line.get("isSidechain") is True else 0,
                   input_tokens, output_tokens, cache_write - write_1h, write_1h, cache_read, line_cost, offset,
                   _optional_text(line, "agentId"), _optional_text(usage, "speed"),
                   _optional_text(usage, "inference_geo"), web_searches)


def parse_bytes(data: bytes, *, start_offset: int, start_line: int, fallback_session: str) -> ParsedChunk:
    """Parse the complete lines of `data` (read from byte `start_offset` of a file).

    Lines without `"usage"` are not decoded (most of a transcript: prompts, tool results, images); they
    only have to look like one JSON object. A last line without a newline that does not parse is left
    unconsumed: the session may still be writing it.
    """
    chunk = ParsedChunk()
    pieces = data.split(b"\n")
    # The piece after the last newline is unterminated: b"" when the data ends with a newline.
    tail = pieces.pop()
    position = 0
    line_no = start_line
    decode = _DECODER.decode
    calls = chunk.calls
    for index, raw in enumerate(pieces + [tail]):
        terminated = index < len(pieces)
        next_position = position + len(raw) + (1 if terminated else 0)
        if not terminated and not raw:
            break
        line_no += 1
        reason = None
        if b'"usage"' in raw:
            try:
                line = decode(raw.decode("utf-8"))
                if line.__class__ is not dict:
                    raise BadLine("not a JSON object")
                call = parse_api_call(line, start_offset + position, fallback_session)
                if call is not None:
                    calls.append(call)
            except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
                reason = str(exc) if isinstance(exc, BadLine) else "not valid JSON"
        else:
            stripped = raw.strip()
            if stripped and not (stripped[:1] == b"{" and stripped[-1:] == b"}"):
                reason = "not a JSON object"
        if reason:
            if not terminated:
                chunk.partial_tail = True
                break
            chunk.skipped += 1
            if len(chunk.skip_reasons) < MAX_REPORTED_SKIPS:
                chunk.skip_reasons.append((line_no, reason))
        chunk.lines += 1
        chunk.consumed = next_position
        position = next_position
    return chunk
