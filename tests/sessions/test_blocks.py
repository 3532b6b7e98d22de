"""`nerv cost --blocks`: ccusage's 5-hour blocks, burn rate and projection (nerv.domain.blocks)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nerv.domain import blocks
from tests.sessions.test_usage_rollup import MODELS, assistant_line, ok

T0 = datetime(2026, 3, 10, 9, 40, tzinfo=timezone.utc)


def call(minutes: float, tokens: int = 100, cost: float = 0.5) -> blocks.Call:
    return blocks.Call(T0 + timedelta(minutes=minutes), tokens, tokens, 0, 0, cost, "m")


def test_a_block_starts_at_the_hour_of_its_first_call_and_lasts_five_hours():
    found = blocks.blocks_of([call(0), call(60), call(4 * 60 + 19)])
    assert len(found) == 1 and found[0].start == datetime(2026, 3, 10, 9, tzinfo=timezone.utc)
    assert found[0].end == datetime(2026, 3, 10, 14, tzinfo=timezone.utc) and found[0].api_calls == 3


def test_a_call_past_five_hours_from_the_start_or_after_a_five_hour_gap_starts_a_new_block():
    past_start = blocks.blocks_of([call(0), call(120), call(5 * 60 + 21)])  # 14:01 > 09:00 + 5 h
    assert [b.api_calls for b in past_start] == [2, 1]
    assert past_start[1].start == datetime(2026, 3, 10, 15, tzinfo=timezone.utc)
    after_gap = blocks.blocks_of([call(0), call(6 * 60)])
    assert [b.api_calls for b in after_gap] == [1, 1]


def test_burn_rate_projection_and_activity():
    block = blocks.blocks_of([call(0, 600, 1.0), call(60, 600, 1.0)])[0]
    rate = blocks.burn_rate(block)
    assert rate == {"tokens_per_minute": pytest.approx(2400 / 60), "usd_per_hour": pytest.approx(2.0)}
    now = T0 + timedelta(minutes=80)  # 11:00, the block ends at 14:00
    projected = blocks.projection(block, now)
    assert projected["remaining_minutes"] == 180
    assert projected["cost_usd"] == pytest.approx(2.0 + 2.0 * 3)
    assert blocks.is_active(block, now) and not blocks.is_active(block, T0 + timedelta(hours=5))
    assert blocks.projection(block, T0 + timedelta(hours=5)) is None
    assert blocks.burn_rate(blocks.blocks_of([call(0)])[0]) is None


def test_cost_blocks_in_the_cli_with_now_and_timezone(nerv_home, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    ok("project", "add", "alpha", "--path", repo)
    stamps = ["2026-03-10T09:40:00Z", "2026-03-10T10:40:00Z", "2026-03-10T18:00:00Z", "2026-03-10T18:30:00Z"]
    lines = [assistant_line("s-one", repo, f"m{i}", ts, MODELS[0], 100, None) for i, ts in enumerate(stamps)]
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    ok("session", "import", tmp_path / "t.jsonl")
    data = ok("cost", "--blocks", "--since", "2026-03-09", "--now", "2026-03-10T19:00:00Z",
              "--timezone", "Europe/Paris")
    assert [b["api_calls"] for b in data["blocks"]] == [2, 2]
    first, second = data["blocks"]
    assert first["start"] == "2026-03-10T10:00:00+01:00" and not first["active"]
    assert second["start"] == "2026-03-10T19:00:00+01:00" and second["active"] and data["active"] == second
    assert second["projection"]["remaining_minutes"] == 240
    assert second["burn_rate"]["usd_per_hour"] == pytest.approx(second["cost_usd"] * 2)
    # Only the range is read: a later --since leaves the first block out.
    later = ok("cost", "--blocks", "--since", "2026-03-10T12:00:00Z", "--now", "2026-03-10T19:00:00Z")
    assert [b["api_calls"] for b in later["blocks"]] == [2]


@pytest.mark.parametrize("args, code", [
    (["--blocks", "--timezone", "Mars/Olympus"], "invalid"),
    (["--blocks", "--now", "yesterday-ish"], "invalid"),
    (["--blocks", "--by", "day"], "usage"),
    (["--timezone", "UTC"], "usage"),
])
def test_bad_block_options_are_clear_errors(cli, args, code):
    from tests.conftest import run_cli

    result = run_cli("cost", *args, "--json")
    assert result.code != 0 and result.error["code"] == code
