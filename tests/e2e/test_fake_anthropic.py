"""The fake Messages API on its own (no Claude Code needed): SSE framing, turns, side requests, limits."""

from __future__ import annotations

import http.client
import json
import os
import socket
import tempfile

import pytest

from tests.e2e import fake_anthropic as fa
from tests.e2e.fake_anthropic import FakeAnthropic, Text, ToolUse, Turn, bash

pytestmark = pytest.mark.slow  # a server and HTTP clients

TOOLS = [{"name": "Bash", "description": "run", "input_schema": {"type": "object"}}]


def post(fake: FakeAnthropic, path: str, body, *, raw: bytes | None = None):
    host, port = fake.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    data = raw if raw is not None else json.dumps(body).encode()
    conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response, payload


def parse_sse(payload: bytes) -> list[tuple[str, dict]]:
    events = []
    for chunk in payload.decode().strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def rebuild(events) -> dict:
    """A streamed message put back together the way an SDK does."""
    message, partial = None, {}
    for name, data in events:
        assert data["type"] == name
        if name == "message_start":
            message = data["message"]
        elif name == "content_block_start":
            message["content"].append(dict(data["content_block"]))
        elif name == "content_block_delta":
            block, delta = message["content"][data["index"]], data["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            else:
                partial[data["index"]] = partial.get(data["index"], "") + delta["partial_json"]
        elif name == "content_block_stop" and data["index"] in partial:
            message["content"][data["index"]]["input"] = json.loads(partial[data["index"]])
        elif name == "message_delta":
            message.update(data["delta"])
            message["usage"] = {**message["usage"], **data["usage"]}
    return message


def main_body(stream=True, messages=None):
    return {"model": "claude-sonnet-4-5", "max_tokens": 1024, "stream": stream, "tools": TOOLS,
            "messages": messages or [{"role": "user", "content": "hi"}]}


def test_streams_turns_in_order_with_usage_and_ids():
    turns = [Turn([Text("first I look"), bash("ls -la", id="toolu_1")]), Text("all done")]
    with FakeAnthropic(turns) as fake:
        response, payload = post(fake, "/v1/messages?beta=true", main_body())
        assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"
        events = parse_sse(payload)
        assert [e for e, _ in events][:2] == ["message_start", "ping"] and events[-1][0] == "message_stop"
        message = rebuild(events)
        assert message["content"] == [{"type": "text", "text": "first I look"},
                                      {"type": "tool_use", "id": "toolu_1", "name": "Bash",
                                       "input": {"command": "ls -la", "description": "run a command"}}]
        assert message["stop_reason"] == "tool_use" and message["id"].startswith("msg_")
        first = fake.requests[0]
        assert response.getheader("request-id") == first.request_id and message["usage"] == first.usage
        assert set(first.usage["cache_creation"]) == {"ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"}

        follow_up = main_body(messages=[{"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "total 0"}],
             "is_error": False}]}])
        second = rebuild(parse_sse(post(fake, "/v1/messages", follow_up)[1]))
        assert second["content"] == [{"type": "text", "text": "all done"}] and second["stop_reason"] == "end_turn"
        assert fake.tool_result("toolu_1") == {"tool_use_id": "toolu_1", "is_error": False, "text": "total 0"}
        assert second["id"] != message["id"] and second["usage"] != message["usage"]
        inputs = first.usage["input_tokens"] + fake.requests[1].usage["input_tokens"]
        assert fake.usage_total()["input_tokens"] == inputs
        # Past the end of the script: a text answer, and the overrun is reported.
        assert rebuild(parse_sse(post(fake, "/v1/messages", main_body())[1]))["stop_reason"] == "end_turn"
        assert fake.errors and fake.turns_used() == 3


def test_side_requests_and_other_paths_do_not_consume_turns():
    with FakeAnthropic([Text("the turn")]) as fake:
        probe = {"model": "claude-haiku-4-5", "max_tokens": 1, "messages": [{"role": "user", "content": "quota"}]}
        response, payload = post(fake, "/v1/messages", probe)
        assert json.loads(payload)["stop_reason"] == "max_tokens"  # not streamed: plain JSON
        title = {"model": "claude-haiku-4-5", "max_tokens": 512, "system": "Write a title",
                 "messages": [{"role": "user", "content": "..."}]}
        assert post(fake, "/v1/messages", {**title, "stream": True})[0].status == 200
        counted = json.loads(post(fake, "/v1/messages/count_tokens", main_body())[1])
        assert counted["input_tokens"] > 0
        assert post(fake, "/v1/unknown", {})[0].status == 404
        assert post(fake, "/v1/messages", {"model": "x"})[0].status == 400
        answer = json.loads(post(fake, "/v1/messages", main_body(stream=False))[1])
        assert answer["content"] == [{"type": "text", "text": "the turn"}]
        assert [r.kind for r in fake.requests] == ["aux", "aux", "count_tokens", "other", "other", "main"]
        assert fake.turns_used() == 1 and fake.errors == []
        assert fake.usage_total("aux")["input_tokens"] > 0 and fake.usage_total()["input_tokens"] > 0


def test_body_size_limit(monkeypatch):
    monkeypatch.setattr(fa, "MAX_BODY", 1000)
    with FakeAnthropic([Text("x")]) as fake:
        response, _ = post(fake, "/v1/messages", None, raw=b"{" + b" " * 2000 + b"}")
        assert response.status == 413 and fake.turns_used() == 0


def test_unix_socket_and_clean_shutdown():
    folder = tempfile.mkdtemp(prefix="nerv-e2e-")
    path = os.path.join(folder, "api.sock")
    fake = FakeAnthropic([ToolUse("Read", {"file_path": "/etc/hostname"})], unix_socket=path).start()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(path)
            data = json.dumps(main_body(stream=False)).encode()
            s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(data) + data)
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and json.loads(body)["content"][0]["name"] == "Read"
    finally:
        fake.stop()
        os.rmdir(folder)
    assert not os.path.exists(path)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s, pytest.raises(OSError):
        s.connect(path)
