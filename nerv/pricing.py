"""Built-in model prices and cost arithmetic. Stdlib only: the transcript importer runs in the SessionEnd hook.

Prices are US$ per million tokens, by model family, matched from dated model ids
(`claude-sonnet-4-5-20250929` -> sonnet 4.5). Overrides stored in `model_prices` win over this table;
they are looked up by the exact model id first, then by the id without its date suffix.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Price(NamedTuple):
    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float


# (family, versions) -> price. Source: platform.claude.com pricing, summarised in shared/reference/claude-code.md.
_OPUS_NEW = Price(5, 25, 6.25, 10, 0.50)
_OPUS_OLD = Price(15, 75, 18.75, 30, 1.50)
_SONNET = Price(3, 15, 3.75, 6, 0.30)
_HAIKU_45 = Price(1, 5, 1.25, 2, 0.10)
_HAIKU_35 = Price(0.80, 4, 1.00, 1.60, 0.08)

BUILTIN: dict[str, Price] = {
    "opus-4.8": _OPUS_NEW, "opus-4.7": _OPUS_NEW, "opus-4.6": _OPUS_NEW, "opus-4.5": _OPUS_NEW,
    "opus-4.1": _OPUS_OLD, "opus-4": _OPUS_OLD,
    "sonnet-4.6": _SONNET, "sonnet-4.5": _SONNET, "sonnet-4": _SONNET,
    "sonnet-3.7": _SONNET, "sonnet-3.5": _SONNET,
    "haiku-4.5": _HAIKU_45,
    "haiku-3.5": _HAIKU_35,
}

SYNTHETIC_MODEL = "<synthetic>"

# claude-opus-4-1-20250805, claude-sonnet-4-20250514, claude-3-5-haiku-20241022, anthropic/claude-haiku-4.5.
# A minor version is one digit not followed by another, so the date after `-4-` is never read as a minor.
_NEW_STYLE = re.compile(r"(opus|sonnet|haiku)-(\d)(?:[-.](\d)(?!\d))?")
_OLD_STYLE = re.compile(r"claude-(\d)(?:[-.](\d)(?!\d))?-(opus|sonnet|haiku)")
_DATE_SUFFIX = re.compile(r"(-\d{8}|@\d{8}|-v\d+(:\d+)?|\[[^\]]*\])+$")


def family_of(model: str | None) -> str | None:
    """`claude-sonnet-4-5-20250929` -> `sonnet-4.5`; None when the id names no known family shape."""
    if not model:
        return None
    text = model.lower()
    match = _OLD_STYLE.search(text)
    if match:
        major, minor, name = match.groups()
        return f"{name}-{major}.{minor}" if minor else f"{name}-{major}"
    match = _NEW_STYLE.search(text)
    if match:
        name, major, minor = match.groups()
        return f"{name}-{major}.{minor}" if minor else f"{name}-{major}"
    return None


def undated(model: str) -> str:
    """The model id without a date or version suffix (`claude-opus-4-1-20250805` -> `claude-opus-4-1`)."""
    return _DATE_SUFFIX.sub("", model.strip().lower())


def price_for(model: str | None, overrides: dict[str, Price] | None = None) -> Price | None:
    """The price in force for `model`: override (exact, then undated), then the built-in family; else None."""
    if not model or model == SYNTHETIC_MODEL:
        return None
    overrides = overrides or {}
    key = model.strip().lower()
    for candidate in (key, undated(key)):
        if candidate in overrides:
            return overrides[candidate]
    family = family_of(key)
    if family in overrides:
        return overrides[family]
    return BUILTIN.get(family) if family else None


def cost_usd(price: Price, input_tokens: int, output_tokens: int, cache_write_5m: int, cache_write_1h: int,
             cache_read: int) -> float:
    return (input_tokens * price.input + output_tokens * price.output + cache_write_5m * price.cache_write_5m
            + cache_write_1h * price.cache_write_1h + cache_read * price.cache_read) / 1_000_000


def default_cache_prices(input_price: float) -> dict:
    """Anthropic's standard multipliers: 5-minute write 1.25x, 1-hour write 2x, read 0.1x the input price."""
    return {"cache_write_5m": input_price * 1.25, "cache_write_1h": input_price * 2, "cache_read": input_price * 0.1}


def call_cost(call, price: Price | None) -> tuple[float, int]:
    """(US$, known) of one API call (nerv.transcripts.ApiCall): priced from its tokens when the model has a
    price, else the cost its transcript line states, else (0, unknown)."""
    if price is not None:
        return cost_usd(price, call.input_tokens, call.output_tokens, call.cache_write_5m_tokens,
                        call.cache_write_1h_tokens, call.cache_read_tokens), 1
    if call.line_cost_usd is not None:
        return call.line_cost_usd, 1
    return 0.0, 0
