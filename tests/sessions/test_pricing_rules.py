"""The documented price rules (docs/costs.md, "Prices"), each checked with figures worked by hand from the pricing
page's own rates, through the real CLI and a real SQLite file where storage is involved."""

from __future__ import annotations

import json

import pytest

from nerv import pricing
from nerv.transcripts import parse_bytes


def assistant(message_id: str, request_id: str, usage: dict, *, model: str = "claude-opus-5-5",
              sidechain: bool = False, ts: str = "2026-11-20T10:00:00.000Z", **extra) -> dict:
    return {"type": "assistant", "sessionId": "sess-p", "cwd": "/nowhere", "isSidechain": sidechain,
            "timestamp": ts, "requestId": request_id,
            "message": {"id": message_id, "model": model, "usage": usage}, **extra}


def write(path, lines: list[dict]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return str(path)


def one_call_cost(**usage) -> float:
    model = usage.pop("model", "claude-opus-5-5")
    ts = usage.pop("ts", "2026-11-20T10:00:00.000Z")
    line = json.dumps(assistant("m", "r", {"input_tokens": 0, "output_tokens": 0, **usage}, model=model, ts=ts))
    (call,) = parse_bytes(line.encode() + b"\n", start_offset=0, start_line=0, fallback_session="f").calls
    return pricing.call_cost(call, pricing.rates_for(call.model))[0]


@pytest.mark.parametrize("model,family,input_price,output_price", [
    ("claude-opus-5-5", "opus-5.5", 4, 20), ("claude-opus-5-5[1m]", "opus-5.5", 4, 20),
    ("claude-opus-5", "opus-5", 5, 25), ("claude-fable-5-1", "fable-5.1", 10, 50),
    ("claude-mythos-5", "mythos-5", 10, 50), ("claude-sonnet-5-5", "sonnet-5.5", 2, 10),
    ("claude-sonnet-5", "sonnet-5", 2, 10), ("claude-haiku-5-5", "haiku-5.5", 0.10, 0.50),
    ("claude-opus-4-8", "opus-4.8", 5, 25), ("claude-3-opus-20240229", "opus-3", 15, 75),
    ("claude-3-haiku-20240307", "haiku-3", 0.25, 1.25),
])
def test_every_model_on_the_pricing_page_has_its_price(model, family, input_price, output_price):
    assert pricing.family_of(model) == family
    price = pricing.price_for(model)
    assert (price.input, price.output) == (input_price, output_price)


def test_the_packaged_file_prices_every_family_with_all_five_categories():
    tables = pricing.tables()
    assert tables.sources["prices"].startswith("https://platform.claude.com/")
    assert len(tables.builtin) >= 24
    for rates in tables.builtin.values():
        assert all(value >= 0 for _, price in rates.periods for value in price)


def test_opus_5_5_rates_from_the_page():
    # 1M input at $4, 100k output at $20, 200k 5m writes at $5, 100k 1h writes at $8, 1M reads at $0.20
    # = 4 + 2 + 1 + 0.8 + 0.2 = 8.0
    assert one_call_cost(input_tokens=1_000_000, output_tokens=100_000, cache_read_input_tokens=1_000_000,
                         cache_creation_input_tokens=300_000,
                         cache_creation={"ephemeral_5m_input_tokens": 200_000,
                                         "ephemeral_1h_input_tokens": 100_000}) == pytest.approx(8.0)


def test_fast_mode_multiplies_every_token_price():
    # Fast mode on Opus 4.8 is $10/$50 (fast-mode page), twice $5/$25; on Opus 4.7 it is $30/$150, six times.
    usage = {"input_tokens": 1_000_000, "output_tokens": 1_000_000, "speed": "fast"}
    assert one_call_cost(model="claude-opus-4-8", **usage) == pytest.approx(60.0)
    assert one_call_cost(model="claude-opus-4-7", **usage) == pytest.approx(180.0)
    assert one_call_cost(model="claude-opus-4-7", input_tokens=1_000_000, output_tokens=1_000_000) == \
        pytest.approx(30.0)
    # A model with no fast rate on the page is priced at its standard rate.
    assert one_call_cost(model="claude-sonnet-4-5", input_tokens=100_000, output_tokens=100_000, speed="fast") == \
        pytest.approx(0.3 + 1.5)


def test_us_only_inference_costs_1_1_times_and_global_the_standard_rate():
    usage = {"model": "claude-sonnet-5-5", "input_tokens": 1_000_000, "output_tokens": 100_000}
    assert one_call_cost(**usage, inference_geo="us") == pytest.approx((2 + 1) * 1.1)
    assert one_call_cost(**usage, inference_geo="global") == pytest.approx(3.0)


def test_web_searches_cost_10_dollars_per_thousand_on_top_of_tokens():
    assert one_call_cost(input_tokens=1000, server_tool_use={"web_search_requests": 3}) == \
        pytest.approx(1000 * 4 / 1e6 + 0.03)


def test_long_context_prices_the_whole_call_once_the_prompt_is_over_the_threshold():
    # Sonnet 4.5: a prompt over 200k tokens pays $6 input / $22.50 output on every token of the call.
    over = {"model": "claude-sonnet-4-5-20250929", "input_tokens": 150_000, "cache_read_input_tokens": 60_000,
            "output_tokens": 10_000}
    assert one_call_cost(**over) == pytest.approx(150_000 * 6 / 1e6 + 60_000 * 0.6 / 1e6 + 10_000 * 22.5 / 1e6)
    at = {**over, "cache_read_input_tokens": 50_000}  # exactly 200k: the standard rates
    assert one_call_cost(**at) == pytest.approx(150_000 * 3 / 1e6 + 50_000 * 0.3 / 1e6 + 10_000 * 15 / 1e6)
    # Haiku 5.5 is tiered at 100k prompt tokens: $0.10/$0.50 up to it, $0.50/$2.50 over it.
    assert one_call_cost(model="claude-haiku-5-5", input_tokens=100_000, output_tokens=1000) == \
        pytest.approx(0.01 + 0.0005)
    assert one_call_cost(model="claude-haiku-5-5", input_tokens=100_001, output_tokens=1000) == \
        pytest.approx(100_001 * 0.5 / 1e6 + 1000 * 2.5 / 1e6)


def test_a_price_change_applies_from_its_effective_date():
    # Sonnet 5.5 cache reads: $0.20 before 2026-10-07, $0.10 from that day.
    usage = {"model": "claude-sonnet-5-5", "cache_read_input_tokens": 1_000_000}
    assert one_call_cost(**usage, ts="2026-10-06T23:59:59.000Z") == pytest.approx(0.20)
    assert one_call_cost(**usage, ts="2026-10-07T00:00:00.000Z") == pytest.approx(0.10)


def test_a_cache_write_breakdown_larger_than_the_total_wins_and_1h_writes_take_the_1h_rate():
    cost = one_call_cost(cache_creation_input_tokens=0,
                         cache_creation={"ephemeral_5m_input_tokens": 100_000, "ephemeral_1h_input_tokens": 50_000})
    assert cost == pytest.approx(100_000 * 5 / 1e6 + 50_000 * 8 / 1e6)


def test_side_question_replays_count_once_and_the_main_chain_copy_is_kept(cli, tmp_path):
    usage = {"input_tokens": 1000, "output_tokens": 100}
    main = write(tmp_path / "t" / "sess-p.jsonl", [assistant("msg_1", "req_1", usage),
                                                  assistant("msg_2", "req_2", usage)])
    side = write(tmp_path / "t" / "sess-p" / "subagents" / "agent-btw.jsonl", [
        assistant("msg_1", "req_9", usage, sidechain=True),  # a replay of the parent's call
        assistant("msg_3", "req_3", usage, sidechain=True)])  # the side question's own call
    first = cli("session", "import", side, "--json")
    assert first.code == 0 and first.data["new_usage_rows"] == 2
    second = cli("session", "import", main, "--json")
    assert second.code == 0 and second.data["new_usage_rows"] == 1  # msg_1 replaced in place, msg_2 new
    report = cli("cost", "--by", "model", "--json").data
    one_call = 1000 * 4 / 1e6 + 100 * 20 / 1e6
    assert report["totals"]["api_calls"] == 3
    assert report["totals"]["cost_usd"] == pytest.approx(3 * one_call)
    again = cli("session", "import", str(tmp_path / "t"), "--json").data
    assert again["new_usage_rows"] == 0


def test_two_main_chain_calls_sharing_a_message_id_stay_two_calls(cli, tmp_path):
    usage = {"input_tokens": 10, "output_tokens": 1}
    path = write(tmp_path / "sess-p.jsonl", [assistant("msg_1", "req_1", usage), assistant("msg_1", "req_2", usage)])
    assert cli("session", "import", path, "--json").data["new_usage_rows"] == 2


def test_cost_modes_choose_between_a_lines_cost_usd_and_the_cost_from_tokens(cli, tmp_path):
    usage = {"input_tokens": 1_000_000, "output_tokens": 0}
    path = write(tmp_path / "sess-p.jsonl", [assistant("msg_1", "req_1", usage, costUSD=1.5),
                                             assistant("msg_2", "req_2", usage)])
    assert cli("session", "import", path, "--json").code == 0
    totals = {mode: cli("cost", "--cost-mode", mode, "--json").data["totals"]["cost_usd"]
              for mode in ("auto", "calculate", "display")}
    assert totals == pytest.approx({"auto": 1.5 + 4, "calculate": 4 + 4, "display": 1.5})
    assert cli("cost", "--json").data["totals"]["cost_usd"] == pytest.approx(totals["auto"])  # the default
    bad = cli("cost", "--cost-mode", "guess", "--json")
    assert bad.code == 2 or (bad.code == 1 and bad.error["code"] != "internal")


def test_an_unknown_model_is_named_on_import_by_doctor_and_by_the_service(cli, tmp_path):
    from nerv.services import costs
    from nerv.store.db import open_store

    path = write(tmp_path / "sess-p.jsonl", [assistant("msg_1", "req_1", {"input_tokens": 5, "output_tokens": 1},
                                                       model="claude-zeta-9")])
    imported = cli("session", "import", path)
    assert imported.code == 0 and "no price for model claude-zeta-9" in imported.stderr + imported.stdout
    doctor = cli("doctor", "--json")
    assert any("claude-zeta-9" in w for w in doctor.data["warnings"])
    store = open_store()
    try:
        assert costs.unpriced_models(store) == {"claude-zeta-9": 1}
    finally:
        store.close()


def test_pricing_list_says_where_each_price_comes_from(cli):
    assert cli("pricing", "set", "claude-zeta-9", "--input", "1", "--output", "2").code == 0
    rows = cli("pricing", "list", "--json").data
    sonnet = [r for r in rows if r["model"] == "sonnet-5.5"]
    assert [r["from"] for r in sonnet] == [None, "2026-10-07"]
    assert all(r["source"].startswith("built-in (https://platform.claude.com/") for r in sonnet)
    assert next(r for r in rows if r["model"] == "opus-4.7")["modifiers"] == "fast x6"
    assert next(r for r in rows if r["model"] == "claude-zeta-9")["source"] == "override"
