"""Claude's 5-hour usage windows ("blocks"), their burn rate and a projection to their end. Stdlib only:
`nerv cost --blocks` and `nerv statusline` share it.

The definition is ccusage's: a block starts at its first call's time floored to the UTC hour and lasts
5 hours; a call more than 5 hours after the block's start, or more than 5 hours after the previous call,
starts the next block. A block is active while `now` is before its end and within 5 hours of its last call.
Burn rate is measured between the block's first and last call (input + output tokens per minute, US$ per
hour) and projected linearly to the block's end.
"""

from __future__ import annotations

from datetime import datetime, timedelta

BLOCK = timedelta(hours=5)


class Call:
    """One API call (ts: aware UTC datetime); a plain class like Block, for the statusline's import budget."""

    __slots__ = ("ts", "input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens", "cost_usd", "model")

    def __init__(self, ts: datetime, input_tokens: int, output_tokens: int, cache_write_tokens: int,
                 cache_read_tokens: int, cost_usd: float, model: str | None) -> None:
        self.ts, self.input_tokens, self.output_tokens = ts, input_tokens, output_tokens
        self.cache_write_tokens, self.cache_read_tokens = cache_write_tokens, cache_read_tokens
        self.cost_usd, self.model = cost_usd, model


class Block:
    """Not a dataclass: `nerv statusline` imports this module, and dataclasses pulls in re and inspect."""

    __slots__ = ("start", "first_call", "last_call", "api_calls", "input_tokens", "output_tokens",
                 "cache_write_tokens", "cache_read_tokens", "cost_usd", "models")

    def __init__(self, start: datetime, first_call: datetime) -> None:
        self.start, self.first_call, self.last_call = start, first_call, first_call
        self.api_calls = self.input_tokens = self.output_tokens = 0
        self.cache_write_tokens = self.cache_read_tokens = 0
        self.cost_usd = 0.0
        self.models: list[str] = []

    @property
    def end(self) -> datetime:
        return self.start + BLOCK

    def add(self, call: Call) -> None:
        self.last_call = call.ts
        self.api_calls += 1
        self.input_tokens += call.input_tokens
        self.output_tokens += call.output_tokens
        self.cache_write_tokens += call.cache_write_tokens
        self.cache_read_tokens += call.cache_read_tokens
        self.cost_usd += call.cost_usd
        if call.model and call.model not in self.models:
            self.models.append(call.model)


def blocks_of(calls: list[Call]) -> list[Block]:
    """The blocks of `calls` (sorted by time), oldest first."""
    blocks: list[Block] = []
    current: Block | None = None
    for call in calls:
        if current is None or call.ts - current.start > BLOCK or call.ts - current.last_call > BLOCK:
            start = call.ts.replace(minute=0, second=0, microsecond=0)
            current = Block(start, call.ts)
            blocks.append(current)
        current.add(call)
    return blocks


def is_active(block: Block, now: datetime) -> bool:
    return now < block.end and now - block.last_call < BLOCK


def burn_rate(block: Block) -> dict | None:
    """{tokens_per_minute, usd_per_hour} between the first and last call; None for a block of one instant."""
    minutes = (block.last_call - block.first_call).total_seconds() / 60
    if minutes <= 0:
        return None
    tokens = block.input_tokens + block.output_tokens
    return {"tokens_per_minute": tokens / minutes, "usd_per_hour": block.cost_usd / minutes * 60}


def projection(block: Block, now: datetime) -> dict | None:
    """Tokens and US$ at the block's end if the burn rate holds; None unless the block is active and has a rate."""
    rate = burn_rate(block)
    if rate is None or not is_active(block, now):
        return None
    remaining = max(0.0, (block.end - now).total_seconds() / 60)
    return {"remaining_minutes": round(remaining),
            "tokens": round(block.input_tokens + block.output_tokens + rate["tokens_per_minute"] * remaining),
            "cost_usd": block.cost_usd + rate["usd_per_hour"] / 60 * remaining}


def summary(block: Block, now: datetime) -> dict:
    """A block as plain data (times as aware datetimes; the caller formats them)."""
    return {"start": block.start, "end": block.end, "first_call": block.first_call, "last_call": block.last_call,
            "active": is_active(block, now), "api_calls": block.api_calls, "input_tokens": block.input_tokens,
            "output_tokens": block.output_tokens, "cache_write_tokens": block.cache_write_tokens,
            "cache_read_tokens": block.cache_read_tokens, "cost_usd": block.cost_usd, "models": block.models,
            "burn_rate": burn_rate(block), "projection": projection(block, now)}
