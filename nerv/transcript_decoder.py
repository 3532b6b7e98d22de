"""The fast decoder of transcript lines for `nerv session import`: msgspec, typed, reading only the fields that
carry usage (docs/architecture.md says why msgspec). Not on the hook path: the SessionEnd hook keeps the
standard library's decoder (nerv.transcripts.stdlib_line_call).

Exactness: a line the typed decoder accepts gives the same ApiCall as the standard library's path (both end in
nerv.transcripts._api_call); any line it refuses (wrong types, out-of-range counts, JSON msgspec does not read
such as NaN) is handed to the standard library's path, which gives the reason or the call.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from nerv.pricing import SYNTHETIC_MODEL
from nerv.transcripts import MAX_TOKENS, ApiCall, _api_call, _check_timestamp, stdlib_line_call

Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_TOKENS)]


class _Split(msgspec.Struct):
    ephemeral_5m_input_tokens: Count = 0
    ephemeral_1h_input_tokens: Count = 0


class _Tools(msgspec.Struct):
    web_search_requests: Count = 0


class _Usage(msgspec.Struct):
    input_tokens: Count
    output_tokens: Count
    cache_read_input_tokens: Count = 0
    cache_creation_input_tokens: Count = 0
    cache_creation: _Split | None = None
    server_tool_use: _Tools | None = None
    speed: str | None = None
    inference_geo: str | None = None


class _Message(msgspec.Struct):
    usage: _Usage | None = None
    model: str | None = None
    id: str | None = None


class _Line(msgspec.Struct, rename={"session_id": "sessionId", "request_id": "requestId", "agent_id": "agentId",
                                   "is_sidechain": "isSidechain", "cost_usd": "costUSD"}):
    message: _Message | None = None
    timestamp: str | None = None
    session_id: str | None = None
    request_id: str | None = None
    cwd: str | None = None
    agent_id: str | None = None
    is_sidechain: Any = None  # anything but `true` is a main-chain line, as in the standard library's path
    cost_usd: Any = None  # a `costUSD` that is not a number is ignored there too


_decode = msgspec.json.Decoder(_Line).decode
_REFUSED = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError)


def line_call(raw: bytes, offset: int, fallback_session: str) -> ApiCall | None:
    """nerv.transcripts.stdlib_line_call's result for the same line, faster."""
    try:
        if not raw.isascii():
            raw.decode("utf-8")  # msgspec does not check the bytes of the fields it skips; the reference refuses
        line = _decode(raw)
    except _REFUSED:
        return stdlib_line_call(raw, offset, fallback_session)
    message = line.message
    if message is None:
        return None
    usage = message.usage
    if usage is None or message.model == SYNTHETIC_MODEL:
        return None
    split, tools = usage.cache_creation, usage.server_tool_use
    _check_timestamp(line.timestamp)
    return _api_call(line.session_id or fallback_session, message.id, line.request_id, message.model, line.timestamp,
                     line.cwd, line.is_sidechain, usage.input_tokens, usage.output_tokens,
                     usage.cache_read_input_tokens, usage.cache_creation_input_tokens,
                     None if split is None else split.ephemeral_5m_input_tokens,
                     None if split is None else split.ephemeral_1h_input_tokens,
                     line.cost_usd, offset, line.agent_id, usage.speed, usage.inference_geo,
                     0 if tools is None else tools.web_search_requests)
