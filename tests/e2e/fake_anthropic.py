"""A scripted stand-in for the Anthropic Messages API, standard library only.

Claude Code is pointed at it with ANTHROPIC_BASE_URL. A *script* is a list of turns; the server answers
the N-th *main* request (the agent's own conversation) with turn N. Claude Code also sends requests of
its own (a quota probe, session titles, ...): those are recognised (`classify`) and answered with a short
text without consuming a turn. Every request is recorded with its body and the usage answered, so a test
can read the tool_result Claude Code sent back and compare token totals.

The server listens on 127.0.0.1 (TCP, port 0) or on a Unix socket: a Unix socket in the file system is
reachable from inside another network namespace, where tests/e2e/launcher.py forwards a loopback
port to it (see conftest.py).
"""

from __future__ import annotations

import itertools
import json
import os
import socketserver
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer

MAX_BODY = 8 * 1024 * 1024  # Claude Code's main requests carry the system prompt and tool schemas (~100 kB)
SOCKET_TIMEOUT_S = 30


# ----------------------------------------------------------------------------------------------- script
@dataclass
class ToolUse:
    """A turn in which the model calls one tool."""
    name: str
    input: dict
    id: str | None = None  # toolu_... (generated when None)


@dataclass
class Text:
    """A final answer: stop_reason end_turn."""
    text: str


@dataclass
class Turn:
    """Several content blocks in one response (e.g. text then two tool_use blocks)."""
    blocks: list  # of Text | ToolUse


def tool_use(name: str, **tool_input) -> ToolUse:
    return ToolUse(name, tool_input)


def bash(command: str, description: str = "run a command", *, id: str | None = None) -> ToolUse:
    return ToolUse("Bash", {"command": command, "description": description}, id)


# ----------------------------------------------------------------------------------------------- records
@dataclass
class Request:
    index: int  # order of arrival, all requests
    method: str
    path: str
    headers: dict
    body: object  # parsed JSON, or None
    kind: str  # "main", "aux" (answered without a turn), "count_tokens", "other"
    turn: int | None = None  # index into the script for main requests
    response_id: str | None = None
    request_id: str | None = None
    usage: dict | None = None
    status: int = 200

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    def tool_results(self) -> list[dict]:
        """Every tool_result block in this request's messages: [{tool_use_id, is_error, text}]."""
        found = []
        for message in (self.body or {}).get("messages", []) if isinstance(self.body, dict) else []:
            content = message.get("content")
            if not isinstance(content, list):
                continue
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    found.append({"tool_use_id": block.get("tool_use_id"), "is_error": bool(block.get("is_error")),
                                  "text": _block_text(block.get("content"))})
        return found


def _block_text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def _system_text(body: dict) -> str:
    system = body.get("system")
    if isinstance(system, str):
        return system
    if isinstance(system, list):
        return "\n".join(b.get("text", "") for b in system if isinstance(b, dict))
    return ""


def classify(body: dict) -> str:
    """`main` for the agent's conversation, `aux` for Claude Code's own side requests.

    The agent's requests offer tools (Bash, Read, ...). Claude Code's own requests (the `-p` quota probe
    with max_tokens 1, title/summary generation on the small model) offer none, or ask for one token.
    """
    if not isinstance(body, dict):
        return "aux"
    if body.get("max_tokens") == 1:
        return "aux"
    tools = body.get("tools") or []
    names = {t.get("name") for t in tools if isinstance(t, dict)}
    if not names:
        return "aux"
    return "main"


# ----------------------------------------------------------------------------------------------- server
class FakeAnthropic:
    """Scripted Messages API. Use as a context manager, or start()/stop()."""

    def __init__(self, script: list | None = None, *, unix_socket: str | None = None,
                 model: str | None = None, usage_for=None):
        self.script = list(script or [])
        self.unix_socket = unix_socket
        self.model = model  # answer with this model id instead of the requested one
        self.usage_for = usage_for or default_usage
        self.requests: list[Request] = []
        self.errors: list[str] = []  # requests the script could not answer
        self._lock = threading.Lock()
        self._turns = 0
        self._ids = itertools.count(1)
        self._server = None
        self._thread = None

    # -- lifecycle
    def start(self) -> "FakeAnthropic":
        handler = _handler_for(self)
        if self.unix_socket:
            if os.path.exists(self.unix_socket):
                os.unlink(self.unix_socket)
            self._server = _UnixHTTPServer(self.unix_socket, handler)
        else:
            self._server = _TCPHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-anthropic", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None
        if self.unix_socket and os.path.exists(self.unix_socket):
            os.unlink(self.unix_socket)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- views for tests
    def main_requests(self) -> list[Request]:
        return [r for r in self.requests if r.kind == "main"]

    def turns_used(self) -> int:
        return self._turns

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.requests]

    def tool_result(self, tool_use_id: str) -> dict | None:
        """The tool_result Claude Code sent back for a scripted tool_use id (the latest copy)."""
        for request in reversed(self.main_requests()):
            for result in request.tool_results():
                if result["tool_use_id"] == tool_use_id:
                    return result
        return None

    def usage_total(self, kind: str = "main") -> dict:
        total = {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                 "cache_read_input_tokens": 0, "ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}
        for request in self.requests:
            if request.kind != kind or not request.usage:
                continue
            u = request.usage
            for key in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
                total[key] += u[key]
            for key in ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"):
                total[key] += u["cache_creation"][key]
        return total

    # -- answering
    def _next_id(self) -> int:
        return next(self._ids)

    def answer_messages(self, request: Request) -> tuple[list, str, dict]:
        """(content blocks, stop_reason, usage) for a /v1/messages request; records the turn."""
        n = self._next_id()
        if request.kind == "main":
            with self._lock:
                turn_index = self._turns
                self._turns += 1
            request.turn = turn_index
            if turn_index < len(self.script):
                blocks = _blocks(self.script[turn_index])
            else:
                self.errors.append(f"request {request.index}: script has only {len(self.script)} turns")
                blocks = [Text("(fake server: the script has no more turns)")]
        else:
            blocks = [Text("Fake title")]
        content = []
        for block in blocks:
            if isinstance(block, ToolUse):
                block_id = block.id or f"toolu_{uuid.uuid4().hex[:24]}"
                content.append({"type": "tool_use", "id": block_id, "name": block.name, "input": block.input})
            else:
                content.append({"type": "text", "text": block.text})
        stop_reason = "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
        if request.body.get("max_tokens") == 1:
            content, stop_reason = [{"type": "text", "text": "x"}], "max_tokens"
        usage = self.usage_for(n, request, content)
        request.usage = usage
        request.response_id = f"msg_{uuid.uuid4().hex[:24]}"
        request.request_id = f"req_{uuid.uuid4().hex[:24]}"
        return content, stop_reason, usage


def _blocks(turn) -> list:
    if isinstance(turn, Turn):
        return list(turn.blocks)
    if isinstance(turn, (ToolUse, Text)):
        return [turn]
    if isinstance(turn, str):
        return [Text(turn)]
    raise TypeError(f"not a turn: {turn!r}")


def default_usage(n: int, request: Request, content: list) -> dict:
    """Distinct, realistic-looking figures per response (n counts every /v1/messages answer)."""
    out_chars = sum(len(b.get("text", "")) + len(json.dumps(b.get("input", {}))) for b in content)
    five, hour = 1000 + 17 * n, 100 + 3 * n
    return {"input_tokens": 3 + n, "output_tokens": 5 + out_chars // 4 + n,
            "cache_creation_input_tokens": five + hour, "cache_read_input_tokens": 10_000 + 101 * n,
            "cache_creation": {"ephemeral_5m_input_tokens": five, "ephemeral_1h_input_tokens": hour},
            "service_tier": "standard"}


class _TCPHTTPServer(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def server_bind(self):  # HTTPServer.server_bind expects a (host, port) address
        socketserver.UnixStreamServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", 0


def _sse(event: str, data: dict) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _handler_for(fake: FakeAnthropic):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = SOCKET_TIMEOUT_S

        def address_string(self):
            return "fake-client"

        def log_message(self, fmt, *args):  # quiet: the requests are recorded instead
            pass

        def _read_body(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return None, f"request body of {length} bytes exceeds {MAX_BODY}"
            raw = self.rfile.read(length) if length else b""
            if not raw:
                return None, None
            try:
                return json.loads(raw), None
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                return None, f"body is not JSON: {exc}"

        def _record(self, body, kind) -> Request:
            with fake._lock:
                request = Request(len(fake.requests), self.command, self.path, dict(self.headers), body, kind)
                fake.requests.append(request)
            return request

        def _json(self, status: int, document: dict, request: Request | None = None, headers=()):
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if request is not None and request.request_id:
                self.send_header("request-id", request.request_id)
            for key, value in headers:
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
            if request is not None:
                request.status = status

        def _error(self, status: int, kind: str, message: str, request: Request | None = None):
            self._json(status, {"type": "error", "error": {"type": kind, "message": message}}, request)

        def do_HEAD(self):
            self._record(None, "other")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            request = self._record(None, "other")
            path = self.path.split("?")[0]
            if path.rstrip("/") == "/v1/models":
                self._json(200, {"data": [], "has_more": False, "first_id": None, "last_id": None}, request)
            else:
                self._error(404, "not_found_error", f"fake server: no GET {path}", request)

        def do_POST(self):
            body, problem = self._read_body()
            path = self.path.split("?")[0]
            if problem:
                request = self._record(None, "other")
                self.close_connection = True
                return self._error(413 if "exceeds" in problem else 400, "invalid_request_error", problem, request)
            if path == "/v1/messages/count_tokens":
                request = self._record(body, "count_tokens")
                text = json.dumps(body or {})
                return self._json(200, {"input_tokens": max(1, len(text) // 4)}, request)
            if path != "/v1/messages":
                request = self._record(body, "other")
                return self._error(404, "not_found_error", f"fake server: no POST {path}", request)
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                request = self._record(body, "other")
                return self._error(400, "invalid_request_error", "messages: field required", request)
            request = self._record(body, classify(body))
            content, stop_reason, usage = fake.answer_messages(request)
            model = fake.model or body.get("model") or "claude-sonnet-4-5"
            message = {"id": request.response_id, "type": "message", "role": "assistant", "model": model,
                       "content": content, "stop_reason": stop_reason, "stop_sequence": None, "usage": usage}
            if body.get("stream"):
                self._stream(request, message)
            else:
                self._json(200, message, request)

        def _stream(self, request: Request, message: dict):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("request-id", request.request_id)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            usage = message["usage"]
            start_usage = {**usage, "output_tokens": 1}
            events = [("message_start", {"type": "message_start", "message": {
                **message, "content": [], "stop_reason": None, "usage": start_usage}}),
                ("ping", {"type": "ping"})]
            for index, block in enumerate(message["content"]):
                if block["type"] == "text":
                    events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                           "content_block": {"type": "text", "text": ""}}))
                    text = block["text"]
                    for chunk in [text[i:i + 20] for i in range(0, len(text), 20)] or [""]:
                        events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                               "delta": {"type": "text_delta", "text": chunk}}))
                else:
                    events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                           "content_block": {**block, "input": {}}}))
                    encoded = json.dumps(block["input"])
                    for chunk in [encoded[i:i + 30] for i in range(0, len(encoded), 30)]:
                        events.append(("content_block_delta", {
                            "type": "content_block_delta", "index": index,
                            "delta": {"type": "input_json_delta", "partial_json": chunk}}))
                events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
            events.append(("message_delta", {"type": "message_delta",
                                             "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                                             "usage": usage}))
            events.append(("message_stop", {"type": "message_stop"}))
            try:
                for name, data in events:
                    self.wfile.write(_sse(name, data))
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                fake.errors.append(f"request {request.index}: client closed the stream")

    return Handler

