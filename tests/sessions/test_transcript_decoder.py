"""The msgspec decoder of `session import` gives, line for line, what the standard library's decoder gives
(the same ApiCall, or the same skip reason), on well-formed and on damaged lines."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from nerv.transcript_decoder import line_call
from nerv.transcripts import BadLine, stdlib_line_call

ANY = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**13), st.floats(allow_nan=True), st.text(max_size=5),
                st.just([]), st.just({}))
COUNT = st.one_of(st.integers(0, 5000), st.integers(10**12 - 1, 10**12 + 1), ANY)
TEXT = st.one_of(st.text(max_size=8), st.none(), ANY)
TS = st.one_of(st.just("2026-10-01T10:00:00.000Z"), st.just("2026-10-01"), TEXT)


def _maybe(strategy, keys):
    return st.fixed_dictionaries({}, optional={key: strategy for key in keys})


USAGE = st.one_of(
    st.fixed_dictionaries({"input_tokens": COUNT, "output_tokens": COUNT}, optional={
        "cache_read_input_tokens": COUNT, "cache_creation_input_tokens": COUNT,
        "cache_creation": st.one_of(_maybe(COUNT, ["ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"]), ANY),
        "server_tool_use": st.one_of(_maybe(COUNT, ["web_search_requests"]), ANY),
        "speed": TEXT, "inference_geo": TEXT}),
    ANY)
MESSAGE = st.one_of(st.fixed_dictionaries({"usage": USAGE}, optional={
    "model": st.one_of(st.sampled_from(["claude-sonnet-4-5", "<synthetic>"]), TEXT),
    "id": st.one_of(st.just("msg_1"), st.just(""), TEXT), "content": st.text(max_size=20)}), ANY)
LINE = st.fixed_dictionaries({"message": MESSAGE}, optional={
    "timestamp": TS, "sessionId": TEXT, "requestId": TEXT, "cwd": TEXT, "agentId": TEXT, "isSidechain": ANY,
    "costUSD": ANY, "type": st.just("assistant")})


def outcome(decode, raw: bytes):
    try:
        return "call", decode(raw, 42, "fallback")
    except (ValueError, RecursionError) as exc:
        return "skipped", str(exc) if isinstance(exc, BadLine) else "not valid JSON"


def same(raw: bytes) -> None:
    expected, got = outcome(stdlib_line_call, raw), outcome(line_call, raw)
    assert got[0] == expected[0] and repr(got[1]) == repr(expected[1]), raw  # repr: a NaN cost compares by text


@given(LINE)
def test_every_generated_line_decodes_as_the_standard_library_does(line):
    same(json.dumps(line).encode())


@given(LINE, st.integers(1, 40))
def test_a_cut_line_is_refused_as_the_standard_library_refuses_it(line, cut):
    raw = json.dumps(line).encode()
    same(raw[:-cut])


def test_bytes_and_syntax_msgspec_reads_differently_fall_back_to_the_reference():
    base = b'{"message":{"usage":{"input_tokens":1,"output_tokens":2}},"timestamp":"2026-01-01T00:00:00Z","q":%s}'
    for inner in (b'"\xff"', b'"\xc3\xa9"', b"NaN", b"1e999", b'"\\ud800"', b"[" * 5000 + b"]" * 5000, b"[1,]"):
        same(base % inner)
    same(b'[{"usage": 1}]')
    same(b'{"message": {"usage": null}, "timestamp": 1}')
