"""`nerv pricing ...`: the model prices costs are computed with."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out

app = typer.Typer(help="Model prices in US$ per million tokens: built-in by family (nerv/data/prices.json), "
                       "overridable (docs/costs.md).",
                  no_args_is_help=True)

COLUMNS = ["model", "source", "from", "input", "output", "cache_write_5m", "cache_write_1h", "cache_read",
           "modifiers"]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="pricing")


@app.command("list")
def list_cmd() -> None:
    """Built-in prices (with their page and effective date), your overrides, and each model seen in usage."""
    from nerv.services import costs

    rows = costs.list_prices(_ctx.store())
    headers = {"cache_write_5m": "write 5m", "cache_write_1h": "write 1h", "cache_read": "read"}
    out.emit(rows, lambda rs: out.table(rs, COLUMNS, headers=headers))


@app.command("set")
def set_cmd(
    model: str = typer.Argument(..., help="Model id (dated or not) or family such as sonnet-4.5."),
    input_price: float = typer.Option(..., "--input", help="US$ per million input tokens."),
    output_price: float = typer.Option(..., "--output", help="US$ per million output tokens."),
    cache_write_5m: Optional[float] = typer.Option(None, "--cache-write-5m",
                                                   help="5-minute cache write (default 1.25x input)."),
    cache_write_1h: Optional[float] = typer.Option(None, "--cache-write-1h",
                                                   help="1-hour cache write (default 2x input)."),
    cache_read: Optional[float] = typer.Option(None, "--cache-read", help="Cache read (default 0.1x input)."),
) -> None:
    """Override or add a model's prices; run `nerv cost --recompute` to re-price stored usage."""
    from nerv.services import costs

    data = costs.set_price(_ctx.store(), model, input=input_price, output=output_price, cache_write_5m=cache_write_5m,
                           cache_write_1h=cache_write_1h, cache_read=cache_read)
    out.emit(data, lambda d: out.message(f"price of {d['model']} set; `nerv cost --recompute` re-prices stored usage"))
