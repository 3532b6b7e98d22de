"""Model prices and the cost of one API call. Stdlib only: the transcript importer runs in the SessionEnd hook.

The built-in prices are data, nerv/data/prices.json (its `about` field describes it), read on first use with
nerv.fastjson so no hook pays for `json`. Prices are US$ per million tokens, by model family, matched from
dated model ids (`claude-sonnet-4-5-20250929` -> sonnet 4.5). Overrides stored in `model_prices` win over the
file; they are looked up by the exact model id first, then by the id without its date suffix, then the family.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

PRICES_FILE = Path(__file__).resolve().parent / "data" / "prices.json"
SYNTHETIC_MODEL = "<synthetic>"
PRICE_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


class Price(NamedTuple):
    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float


class Rates(NamedTuple):
    """Everything that prices one model: dated base prices, and the modifiers the pricing page documents."""

    family: str | None
    periods: tuple[tuple[str, Price], ...]  # (first UTC day, price), oldest first; "" for "since the start"
    fast: float | None  # multiplier of every price for `usage.speed == "fast"`
    long_context: tuple[int, Price] | None  # (prompt tokens above which, the price of the whole call)
    source: str  # "built-in" or "override"

    def price_at(self, ts: str | None) -> Price:
        day = (ts or "")[:10]
        chosen = self.periods[0][1]
        for start, price in self.periods:
            if start <= day:
                chosen = price
        return chosen


class Tables(NamedTuple):
    builtin: dict[str, Rates]
    geo: dict[str, float]
    web_search_per_1000: float
    sources: dict[str, str]
    checked: str


_tables: Tables | None = None


def _price(entry: dict) -> Price:
    return Price(*(float(entry[field]) for field in PRICE_FIELDS))


def parse_tables(data: dict) -> Tables:
    """The price tables held in a prices.json document (the packaged one, or a test's)."""
    builtin = {}
    for family, entry in data["models"].items():
        periods = tuple(sorted((period["from"] or "", _price(period)) for period in entry["prices"]))
        long = entry.get("long_context")
        builtin[family] = Rates(family, periods, entry.get("fast"),
                                (int(long["above_prompt_tokens"]), _price(long)) if long else None, "built-in")
    modifiers = data["modifiers"]
    return Tables(builtin, {k: float(v) for k, v in modifiers["inference_geo"].items()},
                  float(modifiers["web_search_per_1000"]), data["sources"], data["checked"])


def tables() -> Tables:
    """The packaged price tables, read once per process."""
    global _tables
    if _tables is None:
        from nerv import fastjson

        _tables = parse_tables(fastjson.loads(PRICES_FILE.read_bytes()))
    return _tables


# claude-opus-4-1-20250805, claude-sonnet-4-20250514, claude-3-5-haiku-20241022, anthropic/claude-haiku-4.5.
# A minor version is one digit not followed by another, so the date after `-4-` is never read as a minor.
_NAMES = "opus|sonnet|haiku|fable|mythos"
_NEW_STYLE = re.compile(rf"({_NAMES})-(\d)(?:[-.](\d)(?!\d))?")
_OLD_STYLE = re.compile(rf"claude-(\d)(?:[-.](\d)(?!\d))?-({_NAMES})")
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


def rates_for(model: str | None, overrides: dict[str, Price] | None = None) -> Rates | None:
    """What prices `model`: an override (exact id, undated id, family), else the built-in family; else None.

    An override replaces the base price at every date and the long-context tier; the fast-mode multiplier of
    the built-in family still applies to it.
    """
    if not model or model == SYNTHETIC_MODEL:
        return None
    overrides = overrides or {}
    key = model.strip().lower()
    family = family_of(key)
    builtin = tables().builtin.get(family) if family else None
    for candidate in (key, undated(key), family):
        if candidate in overrides:
            return Rates(family, (("", overrides[candidate]),), builtin.fast if builtin else None, None, "override")
    return builtin


def price_for(model: str | None, overrides: dict[str, Price] | None = None, ts: str | None = None) -> Price | None:
    """The base price in force for `model` at `ts` (default: the latest), or None."""
    rates = rates_for(model, overrides)
    if rates is None:
        return None
    return rates.price_at(ts) if ts else rates.periods[-1][1]


def cost_usd(price: Price, input_tokens: int, output_tokens: int, cache_write_5m: int, cache_write_1h: int,
             cache_read: int) -> float:
    return (input_tokens * price.input + output_tokens * price.output + cache_write_5m * price.cache_write_5m
            + cache_write_1h * price.cache_write_1h + cache_read * price.cache_read) / 1_000_000


def default_cache_prices(input_price: float) -> dict:
    """Anthropic's standard multipliers: 5-minute write 1.25x, 1-hour write 2x, read 0.1x the input price."""
    return {"cache_write_5m": input_price * 1.25, "cache_write_1h": input_price * 2, "cache_read": input_price * 0.1}


def token_cost(rates: Rates, ts: str | None, input_tokens: int, output_tokens: int, cache_write_5m: int,
               cache_write_1h: int, cache_read: int, speed: str | None = None, inference_geo: str | None = None,
               web_search_requests: int = 0) -> float:
    """US$ of one call from its tokens, with the page's modifiers (docs/costs.md, "Prices"):
    the price in force on the call's day, or the long-context price when the prompt is over the tier's
    threshold; times the fast-mode multiplier; times the data-residency multiplier; plus web searches."""
    price = rates.price_at(ts)
    if rates.long_context and input_tokens + cache_write_5m + cache_write_1h + cache_read > rates.long_context[0]:
        price = rates.long_context[1]
    cost = cost_usd(price, input_tokens, output_tokens, cache_write_5m, cache_write_1h, cache_read)
    if speed == "fast" and rates.fast:
        cost *= rates.fast
    found = tables()
    cost *= found.geo.get(inference_geo or "", 1.0)
    return cost + web_search_requests * found.web_search_per_1000 / 1000


def call_cost(call, rates: Rates | None) -> tuple[float, int, float | None]:
    """(US$ in the default `auto` cost mode, known, US$ from tokens or None) of one nerv.transcripts.ApiCall.

    `auto` takes the `costUSD` an old build wrote on the line when there is one, else the cost from tokens
    (as ccusage does); unknown when neither exists.
    """
    from_tokens = None if rates is None else token_cost(
        rates, call.ts, call.input_tokens, call.output_tokens, call.cache_write_5m_tokens,
        call.cache_write_1h_tokens, call.cache_read_tokens, call.speed, call.inference_geo,
        call.web_search_requests)
    if call.line_cost_usd is not None:
        return call.line_cost_usd, 1, from_tokens
    if from_tokens is not None:
        return from_tokens, 1, from_tokens
    return 0.0, 0, None
