"""The stdlib core: line parsing never raises or half-accepts a line; model ids map to the right prices."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from nerv import pricing
from nerv.transcripts import parse_bytes
from tests.conftest import examples

pytestmark = pytest.mark.no_database  # pure functions: no test here reaches nerv's database

USAGE = {"input_tokens": 3, "output_tokens": 4}


def line(**fields) -> bytes:
    base = {"type": "assistant", "timestamp": "2026-11-01T00:00:00Z", "sessionId": "s",
            "message": {"id": "m", "model": "claude-haiku-4-5", "usage": dict(USAGE)}, "requestId": "r"}
    base.update(fields)
    return json.dumps(base).encode() + b"\n"


@settings(max_examples=examples(200), deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise_and_never_overrun(data):
    chunk = parse_bytes(data, start_offset=0, start_line=0, fallback_session="f")
    assert 0 <= chunk.consumed <= len(data)
    assert chunk.skipped <= chunk.lines
    assert data[:chunk.consumed].count(b"\n") <= chunk.lines


@settings(max_examples=examples(100), deadline=None)
@given(st.sampled_from(["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"]),
       st.one_of(st.text(max_size=5), st.none(), st.floats(), st.booleans(), st.integers(max_value=-1),
                 st.integers(min_value=10**12 + 1), st.lists(st.integers(), max_size=2)))
def test_a_wrong_typed_token_count_skips_the_whole_line(field, value):
    usage = {**USAGE, field: value}
    data = line(message={"id": "m", "model": "claude-haiku-4-5", "usage": usage})
    chunk = parse_bytes(data, start_offset=0, start_line=0, fallback_session="f")
    assert chunk.calls == [] and chunk.skipped == 1 and chunk.consumed == len(data)


def test_a_call_is_read_with_its_offset_and_the_5m_1h_split():
    usage = {**USAGE, "cache_creation_input_tokens": 30, "cache_creation": {"ephemeral_5m_input_tokens": 10,
                                                                            "ephemeral_1h_input_tokens": 20}}
    data = b'{"type":"user"}\n' + line(message={"id": "m", "model": "x", "usage": usage})
    chunk = parse_bytes(data, start_offset=100, start_line=7, fallback_session="f")
    (call,) = chunk.calls
    assert (call.cache_write_5m_tokens, call.cache_write_1h_tokens) == (10, 20)
    assert call.line_offset == 100 + len(b'{"type":"user"}\n') and chunk.lines == 2


def test_an_unfinished_last_line_is_left_for_later_but_a_complete_one_is_taken():
    whole = line()
    chunk = parse_bytes(whole + whole[:-10], start_offset=0, start_line=0, fallback_session="f")
    assert len(chunk.calls) == 1 and chunk.partial_tail and chunk.consumed == len(whole)
    chunk = parse_bytes(whole[:-1], start_offset=0, start_line=0, fallback_session="f")  # no newline, valid JSON
    assert len(chunk.calls) == 1 and not chunk.partial_tail


@pytest.mark.parametrize("model,family,input_price", [
    ("claude-sonnet-4-5-20250929", "sonnet-4.5", 3), ("claude-sonnet-4-20250514", "sonnet-4", 3),
    ("claude-opus-4-1-20250805", "opus-4.1", 15), ("claude-opus-4-20250514", "opus-4", 15),
    ("claude-opus-4-5-20251101", "opus-4.5", 5), ("claude-opus-4-6", "opus-4.6", 5),
    ("claude-haiku-4-5-20251001", "haiku-4.5", 1), ("claude-3-5-haiku-20241022", "haiku-3.5", 0.8),
    ("anthropic/claude-sonnet-4.5", "sonnet-4.5", 3), ("claude-sonnet-4-5@20250929", "sonnet-4.5", 3),
])
def test_dated_model_ids_match_their_family(model, family, input_price):
    assert pricing.family_of(model) == family
    assert pricing.price_for(model).input == input_price


def test_unknown_and_synthetic_models_have_no_price_and_overrides_win():
    assert pricing.price_for("gpt-mystery") is None and pricing.price_for("<synthetic>") is None
    custom = pricing.Price(1, 2, 3, 4, 5)
    assert pricing.price_for("claude-sonnet-4-5-20250929", {"claude-sonnet-4-5": custom}) == custom
    assert pricing.price_for("claude-sonnet-4-5-20250929", {"sonnet-4.5": custom}) == custom
    assert pricing.price_for("gpt-mystery-20250101", {"gpt-mystery": custom}) == custom


def test_the_importer_core_imports_only_the_standard_library():
    import subprocess
    import sys

    code = ("import sys; import nerv.store.ingest, nerv.hook.plugins.budget, nerv.hook.plugins.transcripts; "
            "bad = [m for m in ('peewee', 'typer', 'rich', 'numpy') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
