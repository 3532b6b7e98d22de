"""nerv.fastjson gives the answers of `json` (the hook reads and writes JSON without importing it)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings, strategies as st

from nerv import fastjson

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text())
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner), st.dictionaries(st.text(), inner)),
                      max_leaves=25)


@pytest.mark.slow  # fuzz: 300 hypothesis examples
@settings(max_examples=300, deadline=None)
@given(value=values, ascii_only=st.booleans(), sort_keys=st.booleans(),
       separators=st.sampled_from([None, (",", ":")]))
def test_round_trips_like_json(value, ascii_only, sort_keys, separators):
    text = fastjson.dumps(value, ensure_ascii=ascii_only, sort_keys=sort_keys, separators=separators)
    assert text == json.dumps(value, ensure_ascii=ascii_only, sort_keys=sort_keys, separators=separators)
    for spaced in (text, f" \n{text}\t\r "):
        assert fastjson.loads(spaced) == json.loads(spaced)
    assert fastjson.loads(text.encode("utf-8")) == json.loads(text)


@pytest.mark.parametrize("text", ["", " ", "{", '{"a": }', "[1,]", "1 2", '{"a": 1} x', "'x'", "nul", "\ufeff{}"])
def test_refuses_what_json_refuses(text):
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        fastjson.loads(text)


def test_constants_and_default():
    assert math.isnan(fastjson.loads("NaN")) and fastjson.loads("[-Infinity]") == [float("-inf")]
    assert fastjson.dumps({"x": object()}, default=lambda _: "?") == '{"x": "?"}'
    with pytest.raises(TypeError):
        fastjson.dumps({"x": object()})


def test_malformed_input_is_a_value_error_before_json_is_loaded():
    """_json reports a syntax error through json.decoder, which the hook path has not imported."""
    import subprocess
    import sys

    code = ("import sys\nfrom nerv import fastjson\nassert 'json' not in sys.modules\n"
            "for text in ('{oops', '[1,', '{\"a\" 1}', '\"x'):\n"
            "    try:\n        fastjson.loads(text)\n    except ValueError:\n        pass\n"
            "    else:\n        raise SystemExit('accepted ' + text)\nprint('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr
