"""Prices in force, cost recomputation and cost reports (tokens and US$ by day, project, model, task...)."""

from __future__ import annotations

import math

from nerv import pricing
from nerv.domain import vocabulary
from nerv.errors import invalid
from nerv.services import validate
from nerv.services.periods import parse_when
from nerv.store.db import Store

GROUPINGS = vocabulary.COST_GROUPINGS
PRICE_FIELDS = pricing.PRICE_FIELDS
COST_MODES = vocabulary.COST_MODES
BREAKDOWNS = vocabulary.COST_BREAKDOWNS
PRICE_MAX = 100_000.0


def _check_price(value: float | None, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or \
            not 0 <= value <= PRICE_MAX:
        raise invalid(f"--{field.replace('_', '-')} must be a price from 0 to {PRICE_MAX:,.0f} US$ per million tokens,"
                      f" got {value!r}")
    return float(value)


def list_prices(store: Store) -> list[dict]:
    """Every price and where it came from: the packaged table (one row per family and effective date, with its
    modifiers), your overrides, and every model seen in usage with the price it gets now (or none)."""
    from nerv.store.models import ModelPrice, Usage

    found = pricing.tables()
    page = found.sources["prices"]
    rows = []
    for family, rates in found.builtin.items():
        for start, price in rates.periods:
            rows.append({"model": family, "source": f"built-in ({page}, checked {found.checked})",
                         "from": start or None, **price._asdict(), "modifiers": _modifiers(rates)})
    overrides = store.usage.price_overrides()
    set_at = dict(ModelPrice.select(ModelPrice.model, ModelPrice.updated_at).tuples())
    rows += [{"model": model, "source": "override", "from": None, **price._asdict(),
              "modifiers": _modifiers(pricing.rates_for(model, overrides)), "set_at": set_at.get(model)}
             for model, price in sorted(overrides.items())]
    seen = [m for (m,) in Usage.select(Usage.model).where(Usage.model.is_null(False)).distinct().tuples()]
    for model in sorted(m for m in seen if m.lower() not in overrides):
        rates = pricing.rates_for(model, overrides)
        if rates is None:
            source = "seen: NO PRICE"
        else:
            source = f"seen: {rates.source} {rates.family or model}"
        rows.append({"model": model, "source": source, "from": None,
                     **(rates.periods[-1][1]._asdict() if rates else {f: None for f in PRICE_FIELDS}),
                     "modifiers": _modifiers(rates) if rates else ""})
    return rows


def _modifiers(rates: pricing.Rates | None) -> str:
    if rates is None:
        return ""
    parts = [f"fast x{rates.fast:g}"] if rates.fast else []
    if rates.long_context:
        threshold, price = rates.long_context
        parts.append(f"prompt > {threshold:,}: {price.input:g}/{price.output:g}")
    return ", ".join(parts)


def unpriced_models(store: Store) -> dict[str, int]:
    """{model: API calls} stored whose model has no price (`nerv pricing set` it): for `status` and `doctor`."""
    return store.read(lambda s: s.usage.unpriced_models())


def set_price(store: Store, model: str, *, input: float, output: float, cache_write_5m: float | None = None,
              cache_write_1h: float | None = None, cache_read: float | None = None) -> dict:
    """Override or add a model's prices (US$ per million tokens). Cache prices default to Anthropic's multipliers.

    `model` is a full id, an id without its date, or a family (`sonnet-4.5`). Costs already stored are
    unchanged until `nerv cost --recompute`.
    """
    from nerv.store.models import ModelPrice

    model = validate.one_line(model, "model", max_len=200).lower()
    values = {"input": _check_price(input, "input"), "output": _check_price(output, "output")}
    defaults = pricing.default_cache_prices(values["input"])
    for field, value in (("cache_write_5m", cache_write_5m), ("cache_write_1h", cache_write_1h),
                         ("cache_read", cache_read)):
        checked = _check_price(value, field)
        values[field] = defaults[field] if checked is None else checked

    def body(tx):
        existing = ModelPrice.get_or_none(ModelPrice.model == model)
        before = existing.to_dict() if existing else None
        row = {"model": model, **values, "updated_at": tx.now}
        ModelPrice.insert(row).on_conflict(conflict_target=[ModelPrice.model],
                                           preserve=[getattr(ModelPrice, key) for key in row if key != "model"]).execute()
        tx.audit("pricing.set", "model_price", model, before=before, after=row)
        return row

    return store.write(body)


def recompute(store: Store) -> dict:
    """Re-price every stored API call with the prices in force and refresh session totals."""
    return store.write(_audited_recompute)


def _audited_recompute(tx) -> dict:
    result = tx.store.usage.recompute(tx)
    tx.audit("cost.recompute", "usage", None, after=result)
    return result


def _percentile(ordered: list[float], share: float) -> float:
    """numpy.percentile's default (linear) rule, without numpy's ~80 ms import in a 300 ms report."""
    rank = share * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"count": 0, "p50": None, "p90": None, "p99": None}
    ordered = sorted(values)
    p50, p90, p99 = (_percentile(ordered, share) for share in (0.5, 0.9, 0.99))
    return {"count": len(values), "p50": round(p50, 6), "p90": round(p90, 6), "p99": round(p99, 6)}


def report(store: Store, *, by: str | None = None, since: str | None = None, until: str | None = None,
           project: str | None = None, recompute_first: bool = False, cost_mode: str = "auto",
           breakdown: str | None = None, everywhere: bool = False) -> dict:
    """Tokens and cost in a date range for the command's scope (services/scope.py: one project, or global = every
    project), grouped by `by`, with p50/p90/p99 per session and task.
    `breakdown="model"` nests `models: [{model, ...sums}]` in each group (in the totals without `by`).

    Raises invalid for an unknown grouping or a bad date, before anything is written: `recompute_first`
    re-prices stored usage (`recompute`) only once every option is known good (result: `recomputed`).
    """
    from nerv.services.scope import command_scope, scope_fields

    if by is not None:
        validate.choice(by, "--by", GROUPINGS)
    validate.choice(cost_mode, "--cost-mode", COST_MODES)
    if breakdown is not None:
        validate.choice(breakdown, "--breakdown", BREAKDOWNS)
    since_iso = parse_when(since, "--since", store=store)
    until_iso = parse_when(until, "--until", store=store)
    if since_iso and until_iso and since_iso >= until_iso:
        raise invalid("--since must be before --until")
    scope = command_scope(store, project, everywhere)
    project_id = scope["id"] if scope else None
    recomputed = recompute(store) if recompute_first else None
    raw = store.read(lambda s: s.usage.cost_groups(by, since=since_iso, until=until_iso, project_id=project_id,
                                                   cost_mode=cost_mode, breakdown=breakdown))
    for row in [raw["totals"], *raw["groups"]]:
        row["cost_usd"] = round(row["cost_usd"], 6)
        for model in row.get("models", []):
            model["cost_usd"] = round(model["cost_usd"], 6)
    return {"by": by, "breakdown": breakdown, "cost_mode": cost_mode, "since": since_iso, "until": until_iso,
            "project": scope["name"] if scope else None, **scope_fields(scope), "totals": raw["totals"],
            "groups": raw["groups"], "per_session": _percentiles(raw["per_session"]),
            "per_task": _percentiles(raw["per_task"]), "unpriced_models": raw["unpriced_models"],
            **({"recomputed": recomputed} if recompute_first else {})}


def spend_today_and_month(store: Store, project_id: str | None = None) -> dict:
    """US$ spent today and this month (UTC), from the rollup: cheap enough for a dashboard refresh."""
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    return store.read(lambda s: {"today_usd": s.usage.spend_by_day(now.strftime("%Y-%m-%d"), project_id),
                                 "month_usd": s.usage.spend_by_day(now.strftime("%Y-%m-01"), project_id)})


BLOCKS_DEFAULT_DAYS = 7


def _zone(name: str | None):
    from datetime import timezone
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name is None or name.upper() == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(validate.one_line(name, "--timezone", max_len=100))
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f"--timezone {name[:60]!r} is not a known time zone",
                      "use an IANA name such as Europe/Paris or America/New_York, or UTC") from None


def blocks(store: Store, *, since: str | None = None, until: str | None = None, project: str | None = None,
           now: str | None = None, timezone_name: str | None = None) -> dict:
    """Claude's 5-hour usage blocks in a range (default: the last 7 days), the active one with its burn rate
    and projection (nerv.domain.blocks); times shown in `timezone_name` (default UTC)."""
    from datetime import timedelta

    from nerv.domain import blocks as windows
    from nerv.store.clock import parse_iso, to_iso

    zone = _zone(timezone_name)
    now_dt = parse_iso(parse_when(now, "--now") if now else store.now())
    since_iso = parse_when(since, "--since", now=now_dt) or to_iso(now_dt - timedelta(days=BLOCKS_DEFAULT_DAYS))
    until_iso = parse_when(until, "--until", now=now_dt)
    if until_iso and since_iso >= until_iso:
        raise invalid("--since must be before --until")
    project_id = store.projects.find(project)["id"] if project else None
    rows = store.read(lambda s: s.usage.calls_between(since_iso, until_iso, project_id))
    calls = [windows.Call(parse_iso(ts), *rest) for ts, *rest in rows]
    found = [windows.summary(b, now_dt) for b in windows.blocks_of([c for c in calls if c.ts <= now_dt])]
    for block in found:
        for key in ("start", "end", "first_call", "last_call"):
            block[key] = block[key].astimezone(zone).isoformat(timespec="seconds")
    active = next((b for b in found if b["active"]), None)
    return {"since": since_iso, "until": until_iso, "project": project, "now": now_dt.astimezone(zone).isoformat(
        timespec="seconds"), "timezone": timezone_name or "UTC", "blocks": found, "active": active}
