"""Prices in force, cost recomputation and cost reports (tokens and US$ by day, project, model, task...)."""

from __future__ import annotations

import math

from nerv import pricing
from nerv.errors import invalid
from nerv.services import validate
from nerv.services.periods import parse_when
from nerv.store.db import Store
from nerv.store.models import ModelPrice, Usage

GROUPINGS = ("day", "week", "month", "project", "model", "session", "task", "cycle", "agent", "subagent")
PRICE_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
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
    """Built-in family prices, overrides, and every model seen in usage with the price it gets (or none)."""
    from nerv.store.ingest import load_price_overrides

    overrides = load_price_overrides(store.conn)
    rows = [{"model": family, "source": "built-in", **price._asdict()} for family, price in pricing.BUILTIN.items()]
    rows += [{"model": model, "source": "override", **price._asdict()} for model, price in sorted(overrides.items())]
    seen = [m for (m,) in Usage.select(Usage.model).where(Usage.model.is_null(False)).distinct().tuples()]
    for model in sorted(m for m in seen if m.lower() not in overrides):
        price = pricing.price_for(model, overrides)
        family = pricing.family_of(model)
        if price is None:
            source = "seen: NO PRICE"
        elif model.lower() in overrides or pricing.undated(model) in overrides or family in overrides:
            source = "seen: override"
        else:
            source = f"seen: built-in {family}"
        rows.append({"model": model, "source": source,
                     **(price._asdict() if price else {f: None for f in PRICE_FIELDS})})
    return rows


def set_price(store: Store, model: str, *, input: float, output: float, cache_write_5m: float | None = None,
              cache_write_1h: float | None = None, cache_read: float | None = None) -> dict:
    """Override or add a model's prices (US$ per million tokens). Cache prices default to Anthropic's multipliers.

    `model` is a full id, an id without its date, or a family (`sonnet-4.5`). Costs already stored are
    unchanged until `nerv cost --recompute`.
    """
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
        ModelPrice.insert(row).on_conflict_replace().execute()
        tx.audit("pricing.set", "model_price", model, before=before, after=row)
        return row

    return store.write(body)


def recompute(store: Store) -> dict:
    """Re-price every stored API call with the prices in force and refresh session totals."""
    return store.write(_audited_recompute)


def _audited_recompute(tx) -> dict:
    from nerv.store.queries_costs import recompute_costs

    result = recompute_costs(tx.conn, tx.now)
    tx.audit("cost.recompute", "usage", None, after=result)
    return result


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"count": 0, "p50": None, "p90": None, "p99": None}
    import numpy

    p50, p90, p99 = numpy.percentile(numpy.asarray(values, dtype=float), [50, 90, 99])
    return {"count": len(values), "p50": round(float(p50), 6), "p90": round(float(p90), 6),
            "p99": round(float(p99), 6)}


def report(store: Store, *, by: str | None = None, since: str | None = None, until: str | None = None,
           project: str | None = None, recompute_first: bool = False) -> dict:
    """Tokens and cost in a date range (optionally one project), grouped by `by`, with p50/p90/p99 per session and task.

    Raises invalid for an unknown grouping or a bad date, before anything is written: `recompute_first`
    re-prices stored usage (`recompute`) only once every option is known good (result: `recomputed`).
    """
    from nerv.services.projects import find_project
    from nerv.store.queries_costs import cost_groups

    if by is not None:
        validate.choice(by, "--by", GROUPINGS)
    since_iso, until_iso = parse_when(since, "--since"), parse_when(until, "--until")
    if since_iso and until_iso and since_iso >= until_iso:
        raise invalid("--since must be before --until")
    project_id = find_project(project).id if project else None
    recomputed = recompute(store) if recompute_first else None
    raw = store.read(lambda conn: cost_groups(conn, by, since=since_iso, until=until_iso, project_id=project_id))
    for row in [raw["totals"], *raw["groups"]]:
        row["cost_usd"] = round(row["cost_usd"], 6)
    return {"by": by, "since": since_iso, "until": until_iso, "project": project, "totals": raw["totals"],
            "groups": raw["groups"], "per_session": _percentiles(raw["per_session"]),
            "per_task": _percentiles(raw["per_task"]), "unknown_models": raw["unknown_models"],
            **({"recomputed": recomputed} if recompute_first else {})}
