"""`nerv cost --breakdown model` within every grouping, through the real CLI, over the hand-made transcripts
(tests/fixtures/transcripts/README.md has their figures)."""

from __future__ import annotations

import csv
import io

import pytest

from nerv.services.costs import GROUPINGS
from tests.conftest import assert_not_a_bug

SONNET, HAIKU = "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"
SUMMED = ("api_calls", "input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens")


def test_breakdown_nests_models_in_each_session(cli, own):
    cli("session", "import", own)
    report = cli("cost", "--by", "session", "--breakdown", "model", "--json").data
    assert report["breakdown"] == "model"
    sess_a = next(g for g in report["groups"] if g["key"] == "sess-a")
    models = {m["model"]: m for m in sess_a["models"]}
    assert list(models) == [SONNET, HAIKU]  # the most costly first
    assert models[HAIKU]["api_calls"] == 1 and models[HAIKU]["cost_usd"] == pytest.approx(0.00055)
    assert models[SONNET]["api_calls"] == 4 and models[SONNET]["cost_usd"] == pytest.approx(0.004642 - 0.00055)
    assert "models" not in report["totals"]


@pytest.mark.parametrize("cost_mode", ["auto", "calculate"])
@pytest.mark.parametrize("by", GROUPINGS)
def test_breakdown_sums_to_each_group_in_every_grouping(cli, own, by, cost_mode):
    cli("session", "import", own)
    plain = cli("cost", "--by", by, "--cost-mode", cost_mode, "--json").data
    nested = cli("cost", "--by", by, "--cost-mode", cost_mode, "--breakdown", "model", "--json").data
    assert [g["key"] for g in nested["groups"]] == [g["key"] for g in plain["groups"]]
    for group, before in zip(nested["groups"], plain["groups"]):
        assert isinstance(group["models"], list) and group["models"], group
        for field in SUMMED:
            assert sum(m[field] for m in group["models"]) == group[field] == before[field], (by, field)
        assert sum(m["cost_usd"] for m in group["models"]) == pytest.approx(group["cost_usd"], abs=1e-6)


def test_breakdown_without_grouping_splits_the_total(cli, own):
    cli("session", "import", own)
    totals = cli("cost", "--breakdown", "model", "--json").data["totals"]
    assert sum(m["api_calls"] for m in totals["models"]) == totals["api_calls"] == 8
    assert {m["model"] for m in totals["models"]} == {SONNET, HAIKU, "claude-opus-4-1-20250805", "gpt-mystery",
                                                      "custom-model"}


def test_breakdown_text_fits_80_columns(cli, project, own):
    task = cli("task", "add", "A task whose title is much longer than any column could show", "--json").data
    cli("session", "import", own)
    assert cli("session", "assign", "sess-a", "--task", str(task["number"])).code == 0
    for by in ("task", "subagent", "session", None):
        result = cli("cost", *(("--by", by) if by else ()), "--breakdown", "model")
        assert result.code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert max(len(line) for line in lines) <= 80, "\n".join(lines)
        assert any(line.startswith("  claude-haiku-4-5-20251001") for line in lines), result.stdout
    assert "demo #1 A task whose title …" in cli("cost", "--by", "task", "--breakdown", "model").stdout


def test_breakdown_csv_has_a_row_per_group_and_model(cli, own):
    cli("session", "import", own)
    rows = list(csv.DictReader(io.StringIO(cli("cost", "--by", "day", "--breakdown", "model", "--csv").stdout)))
    assert [(r["key"], r["model"]) for r in rows if r["key"] == "2026-11-20"] == [("2026-11-20", SONNET),
                                                                                  ("2026-11-20", HAIKU)]
    assert sum(int(r["api_calls"]) for r in rows) == 8


@pytest.mark.parametrize("args,code", [(("--breakdown", "agent"), "invalid"),
                                       (("--breakdown", "model", "--chart", "--by", "day"), "usage")])
def test_breakdown_bad_options_fail_cleanly(cli, own, args, code, db_hash):
    cli("session", "import", own)
    before = db_hash()
    result = cli("cost", *args, "--json")
    assert result.code != 0 and result.error["code"] == code
    assert_not_a_bug(result)
    assert db_hash() == before
