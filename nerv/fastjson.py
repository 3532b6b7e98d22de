"""`json.loads`/`json.dumps` for the hook path without importing the `json` package.

`import json` imports `re` (for two module-level patterns), and `re` imports enum and the regex compiler:
about 8 ms of a hook process, some 40% of a bare `python -c "import sqlite3"`. The C accelerator `_json`
that `json` itself uses does the real work here, built with the same settings `json` gives it, so the
results are the same (tests/hooks/test_fastjson.py holds them to it). Where `_json` is missing (another
Python implementation) this falls back to `json`.
"""

from __future__ import annotations

_WHITESPACE = " \t\n\r"


class _DecoderSettings:
    """What `_json.make_scanner` reads from a `json.JSONDecoder()`: its defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo = None

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}[name]


def _refuse(value):
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


try:
    import _json

    _scan = _json.make_scanner(_DecoderSettings())
    _ASCII = _json.encode_basestring_ascii
    _UNICODE = _json.encode_basestring
    _json.make_encoder({}, _refuse, _ASCII, None, ": ", ", ", False, False, True)
except (ImportError, AttributeError, TypeError):  # pragma: no cover - CPython always has these
    _scan = None


def loads(text: str | bytes):
    """Like `json.loads` (bytes are UTF-8); ValueError (json.JSONDecodeError or plain) when it is not JSON."""
    if _scan is None:  # pragma: no cover
        import json
        return json.loads(text)
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")
    size = len(text)
    start = 0
    while start < size and text[start] in _WHITESPACE:
        start += 1
    try:
        value, stop = _scan(text, start)
    except StopIteration as exc:
        raise ValueError(f"Expecting value: char {exc.value}") from None
    except SystemError:
        # _json builds its error from json.decoder only when that module is loaded; without it the error
        # is lost. Malformed input is rare: let `json` raise its JSONDecodeError.
        import json
        return json.loads(text)
    while stop < size and text[stop] in _WHITESPACE:
        stop += 1
    if stop != size:
        raise ValueError(f"Extra data: char {stop}")
    return value


def dumps(value, *, ensure_ascii: bool = True, sort_keys: bool = False, separators: tuple[str, str] | None = None,
          default=None) -> str:
    """Like `json.dumps` with the same keyword arguments (only these)."""
    if _scan is None:  # pragma: no cover
        import json
        return json.dumps(value, ensure_ascii=ensure_ascii, sort_keys=sort_keys, separators=separators,
                          default=default)
    item_separator, key_separator = separators or (", ", ": ")
    if isinstance(value, str):
        return (_ASCII if ensure_ascii else _UNICODE)(value)
    encode = _json.make_encoder({}, default or _refuse, _ASCII if ensure_ascii else _UNICODE, None, key_separator,
                                item_separator, sort_keys, False, True)
    return "".join(encode(value, 0))
