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
    return [Path(p) for p in transcript_paths(root)]


def transcript_paths(root: Path | str) -> list[str]:
    """find_transcripts' files as text (a Path per file costs a warm re-import more than its stat)."""
    found = []
    for folder, _dirs, files in os.walk(root):
        found.extend(os.path.join(folder, name) for name in files if name.endswith(".jsonl"))
    return sorted(found)


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
    split_5m = split_1h = None
    if split is not None:
        if split.__class__ is not dict:
            raise BadLine("usage.cache_creation is not an object")
        split_1h = _count(split, "ephemeral_1h_input_tokens", False)
        split_5m = _count(split, "ephemeral_5m_input_tokens", False)
    web_searches = 0
    tools = usage.get("server_tool_use")
    if tools is not None:
        if tools.__class__ is not dict:
            raise BadLine("usage.server_tool_use is not an object")
        web_searches = _count(tools, "web_search_requests", False)
    ts = line.get("timestamp")
    if ts.__class__ is not str:
        ts = None
    _check_timestamp(ts)
    message_id = message.get("id")
    if message_id is not None and message_id.__class__ is not str:
        raise BadLine("message.id is not text")
    return _api_call(_optional_text(line, "sessionId") or fallback_session, message_id,
                     _optional_text(line, "requestId"), model, ts, _optional_text(line, "cwd"),
                     line.get("isSidechain"), input_tokens, output_tokens, cache_read, cache_write, split_5m, split_1h,
                     line.get("costUSD"), offset, _optional_text(line, "agentId"), _optional_text(usage, "speed"),
                     _optional_text(usage, "inference_geo"), web_searches)


def _check_timestamp(ts: str | None) -> None:
    if ts is None or not _ISO_PREFIX.match(ts):
        raise BadLine("timestamp is missing or not ISO-8601")


def _api_call(session_id: str, message_id: str | None, request_id: str | None, model: str | None, ts: str,
              cwd: str | None, sidechain, input_tokens: int, output_tokens: int, cache_read: int, cache_write: int,
              split_5m: int | None, split_1h: int | None, cost, offset: int, agent_id: str | None, speed: str | None,
              inference_geo: str | None, web_searches: int) -> ApiCall:
    """The ApiCall of a line's checked fields (both decoders end here: the rules below are stated once).
    `split_5m`/`split_1h` are usage.cache_creation's counts, None when the line has no such object."""
    write_1h = 0
    if split_1h is not None:
        write_1h = split_1h
        split_total = split_5m + split_1h
        # Older builds wrote the split with cache_creation_input_tokens 0: the larger account is the true one.
        if split_total > cache_write:
            cache_write = split_total
        elif write_1h > cache_write:
            write_1h = cache_write
    if message_id:
        request_id = request_id or ""
    else:
        message_id = None
    line_cost = float(cost) if cost.__class__ in (int, float) and 0 <= cost < 1e9 else None
    return ApiCall(session_id, message_id, request_id, model, ts, cwd, 1 if sidechain is True else 0,
                   input_tokens, output_tokens, cache_write - write_1h, write_1h, cache_read, line_cost, offset,
                   agent_id, speed, inference_geo, web_searches)


def stdlib_line_call(raw: bytes, offset: int, fallback_session: str) -> ApiCall | None:
    """The API call on one line holding `"usage"`, decoded by the standard library (the hook's decoder, and the
    reference the faster nerv.transcript_decoder falls back to)."""
    line = _DECODER.decode(raw.decode("utf-8"))
    if line.__class__ is not dict:
        raise BadLine("not a JSON object")
    return parse_api_call(line, offset, fallback_session)


def parse_bytes(data: bytes, *, start_offset: int, start_line: int, fallback_session: str, final: bool = True,
                line_call=stdlib_line_call) -> ParsedChunk:
    """Parse the complete lines of `data` (read from byte `start_offset` of a file).

    Lines without `"usage"` are not decoded (most of a transcript: prompts, tool results, images); they
    only have to look like one JSON object. A last line without a newline that does not parse is left
    unconsumed: the session may still be writing it. With `final` False (more of the file follows), an
    unterminated last piece is left unconsumed whatever it holds. `line_call(raw, offset, fallback_session)`
    decodes a line holding `"usage"`.
    """
    chunk = ParsedChunk()
    append = chunk.calls.append
    find = data.find
    size = len(data) if final else data.rfind(b"\n") + 1
    position = lines = 0
    while position < size:
        end = find(b"\n", position, size)
        terminated = end >= 0
        if not terminated:
            end = size
        reason = None
        if find(b'"usage"', position, end) >= 0:
            try:
                call = line_call(data[position:end], start_offset + position, fallback_session)
                if call is not None:
                    append(call)
            except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
                reason = str(exc) if isinstance(exc, BadLine) else "not valid JSON"
        elif not (data[position] == 0x7B and data[end - 1] == 0x7D):  # the common case: exactly {...}
            stripped = data[position:end].strip()
            if stripped and not (stripped[:1] == b"{" and stripped[-1:] == b"}"):
                reason = "not a JSON object"
        if reason:
            if not terminated:
                chunk.partial_tail = True
                break
            chunk.skipped += 1
            if len(chunk.skip_reasons) < MAX_REPORTED_SKIPS:
                chunk.skip_reasons.append((start_line + lines + 1, reason))
        lines += 1
        position = end + 1 if terminated else end
    chunk.lines = lines
    chunk.consumed = position
    return chunk
