"""A transcript read back as a conversation: turns of user prompt, assistant text and tool calls, each with the
cost of its API calls (priced and deduplicated as the import does: nerv.pricing, nerv.transcripts.better_copy)."""

from __future__ import annotations

import json

from nerv import pricing
from nerv.transcripts import BadLine, better_copy, parse_api_call

TEXT_LIMIT = 2000  # characters of one block shown; the archive keeps it all
INPUT_LIMIT = 200


def conversation(store, session_id: str, main: bytes, subagents: dict[str, bytes]) -> dict:
    """{session, turns: [{number, ts, prompt, items: [{kind: text|tool|tool_result, ...}], api_calls, tokens,
    cost_usd}], subagents: [{agent, api_calls, tokens, cost_usd}], api_calls, tokens, cost_usd}: the totals
    count each API call once across the session's files, as the import does."""

    overrides = store.usage.price_overrides()
    turns, calls = _turns(_lines(main), session_id)
    _price(turns, calls, overrides)
    agents, every_call = [], {key: (call, 0) for key, (call, _turn) in calls.items()}
    for name, data in sorted(subagents.items()):
        agent_turns, agent_calls = _turns(_lines(data), session_id)
        _price(agent_turns, agent_calls, overrides)
        agents.append({"agent": name.removeprefix("agent-"), **_sum(agent_turns)})
        for key, (call, _turn) in agent_calls.items():
            _keep_better(every_call, key if isinstance(key, tuple) else (name, key), call, 0)
    total = [{"number": 0, "prompt": "", "items": []}]
    _price(total, every_call, overrides)
    return {"session": session_id, "turns": turns, "subagents": agents, **_sum(total)}


def _lines(data: bytes):
    for offset, raw in enumerate(data.split(b"\n")):
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict):
            yield offset, line


def _turns(lines, session_id: str) -> tuple[list[dict], dict]:
    turns: list[dict] = []
    calls: dict = {}  # (message, request) or line offset -> (ApiCall, turn index)
    shown: set = set()  # (message id, rendered block): a streamed response repeats its blocks
    for offset, line in lines:
        message = line.get("message")
        if line.get("type") not in ("user", "assistant") or not isinstance(message, dict):
            continue
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        prompt = [b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
        if line["type"] == "user" and prompt:
            turns.append({"number": len(turns) + 1, "ts": line.get("timestamp"), "prompt": _clip("\n".join(prompt)),
                          "items": []})
            continue
        if not turns:
            turns.append({"number": 1, "ts": line.get("timestamp"), "prompt": "", "items": []})
        turn = turns[-1]
        for block in blocks if isinstance(blocks, list) else []:
            item = _item(block)
            key = (message.get("id"), json.dumps(item, sort_keys=True))
            if item and key not in shown:
                shown.add(key)
                turn["items"].append(item)
        _keep_call(calls, line, offset, session_id, len(turns) - 1)
    return turns, calls


def _item(block) -> dict | None:
    if not isinstance(block, dict):
        return None
    kind = block.get("type")
    if kind == "text" and block.get("text"):
        return {"kind": "text", "text": _clip(block["text"])}
    if kind == "tool_use":
        return {"kind": "tool", "name": block.get("name"),
                "input": _clip(json.dumps(block.get("input"), ensure_ascii=False), INPUT_LIMIT)}
    if kind == "tool_result":
        return {"kind": "tool_result", "error": bool(block.get("is_error"))}
    return None


def _keep_call(calls: dict, line: dict, offset: int, session_id: str, turn: int) -> None:
    try:
        call = parse_api_call(line, offset, session_id)
    except BadLine:
        return
    if call is None:
        return
    _keep_better(calls, (call.message_id, call.request_id) if call.message_id else offset, call, turn)


def _keep_better(calls: dict, key, call, turn: int) -> None:
    held = calls.get(key)
    if held is None:
        calls[key] = (call, turn)
    elif better_copy(call.total_tokens, call.is_sidechain, held[0].total_tokens, held[0].is_sidechain):
        calls[key] = (call, held[1])  # the call stays in the turn that first showed it


def _price(turns: list[dict], calls: dict, overrides) -> None:
    rates: dict = {}
    for turn in turns:
        turn.update(api_calls=0, tokens=0, cost_usd=0.0)
    for call, index in calls.values():
        if call.model not in rates:
            rates[call.model] = pricing.rates_for(call.model, overrides)
        cost = pricing.call_cost(call, rates[call.model])[0]
        turn = turns[index]
        turn["api_calls"] += 1
        turn["tokens"] += call.total_tokens
        turn["cost_usd"] += cost


def _sum(turns: list[dict]) -> dict:
    return {"api_calls": sum(t["api_calls"] for t in turns), "tokens": sum(t["tokens"] for t in turns),
            "cost_usd": sum(t["cost_usd"] for t in turns)}


def _clip(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"
