"""`nerv otel serve`: an OTLP/HTTP receiver (JSON encoding) for Claude Code's logs and metrics. Stdlib only.

POST /v1/logs: api_request events are stored (nerv.services.telemetry.receive_logs); other events are
acknowledged. POST /v1/metrics: acknowledged, not stored (the events carry every figure per call). Bodies are
bounded (Content-Length or chunked, and again after gzip), protobuf is refused with 415 (set
OTEL_EXPORTER_OTLP_PROTOCOL=http/json), and a database that stays locked answers 503 so the exporter retries.
One request at a time on one connection to the ledger: Claude Code sends a batch every few seconds.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Callable

from nerv.errors import NervError
from nerv.store.db import Store

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4318  # OTLP/HTTP's registered port, where Claude Code's exporter posts by default
DEFAULT_MAX_BODY = 4 * 1024 * 1024
MAX_BODY_LIMIT = 256 * 1024 * 1024
SOCKET_TIMEOUT_S = 10  # a client that stops sending mid-request does not hold the receiver
SIGNALS = {"/v1/logs": "logs", "/v1/metrics": "metrics"}


class HttpError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Tally:
    """What a receiver has taken in since it started."""
    requests: int = 0
    refused: int = 0
    api_requests: int = 0
    stored: int = 0
    duplicates: int = 0
    other_events: int = 0
    rejected: int = 0
    metric_points: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {key: value for key, value in self.__dict__.items()}


def _read_body(handler: BaseHTTPRequestHandler, max_body: int) -> bytes:
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        return _read_chunked(handler.rfile, max_body)
    length_header = handler.headers.get("Content-Length")
    if length_header is None or not length_header.strip().isdigit():
        raise HttpError(411, "a Content-Length (or chunked transfer encoding) is required")
    length = int(length_header)
    if length > max_body:
        raise HttpError(413, f"the body is {length:,} bytes; this receiver takes at most {max_body:,}")
    return handler.rfile.read(length)


def _read_chunked(stream, max_body: int) -> bytes:
    parts, total = [], 0
    while True:
        size_line = stream.readline(1024).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise HttpError(400, "a malformed chunk size") from None
        if size == 0:
            while stream.readline(1024) not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(parts)
        total += size
        if total > max_body:
            raise HttpError(413, f"the body is over {max_body:,} bytes, the most this receiver takes")
        parts.append(stream.read(size))
        stream.readline(1024)


def _decoded(body: bytes, encoding: str, max_body: int) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise HttpError(415, f"Content-Encoding {encoding[:40]!r} is not supported (gzip or none)")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_body + 1)
    except zlib.error:
        raise HttpError(400, "the gzip body does not decompress") from None
    if len(out) > max_body or inflater.unconsumed_tail:
        raise HttpError(413, f"the body is over {max_body:,} bytes once decompressed")
    return out


def _document(handler: BaseHTTPRequestHandler, max_body: int):
    content_type = (handler.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        raise HttpError(415, f"Content-Type {content_type[:60]!r} is not OTLP/JSON: set "
                             "OTEL_EXPORTER_OTLP_PROTOCOL=http/json")
    body = _decoded(_read_body(handler, max_body), handler.headers.get("Content-Encoding") or "", max_body)
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise HttpError(400, "the body is not JSON (or nests too deeply)") from None


def handle(store: Store, signal: str, document, tally: Tally) -> tuple[dict, dict]:
    """One OTLP export request's effect: (its result, the response document: Export*ServiceResponse)."""
    from nerv.services import telemetry

    if signal == "metrics":
        points = telemetry.count_data_points(document)
        tally.metric_points += points
        return {"data_points": points}, {}
    result = telemetry.receive_logs(store, document)
    for key in ("api_requests", "stored", "duplicates", "other_events", "rejected"):
        setattr(tally, key, getattr(tally, key) + result[key])
    tally.errors = (tally.errors + result["errors"])[-telemetry.ERRORS_KEPT:]
    if result["rejected"]:
        return result, {"partialSuccess": {"rejectedLogRecords": result["rejected"],
                                           "errorMessage": "; ".join(result["errors"])}}
    return result, {}


class Receiver(HTTPServer):
    tally: Tally


def is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def open_server(store: Store, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                max_body: int = DEFAULT_MAX_BODY, on_request: Callable[[str, dict], None] | None = None) -> Receiver:
    """A bound receiver (`run` it); `on_request(signal, result)` after each request (signal `refused` for one
    refused: result {status, message}). Raises invalid, io."""
    from nerv.errors import invalid

    if not 0 <= port <= 65535:
        raise invalid(f"--port must be from 0 to 65535, got {port}")
    if not 1024 <= max_body <= MAX_BODY_LIMIT:
        raise invalid(f"--max-body must be from 1,024 to {MAX_BODY_LIMIT:,} bytes, got {max_body:,}")
    try:
        server = Receiver((host, port), _handler(store, max_body, on_request))
    except OSError as exc:
        raise NervError("io", f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                        "choose another --port (0 takes any free one), or stop what holds it") from None
    server.tally = server.RequestHandlerClass.tally
    return server


def run(server: Receiver) -> dict:
    """Serve until SIGINT or SIGTERM, letting the request in hand finish (its batch stored and answered); the
    tally."""
    import signal
    import threading

    def stop(_signum, _frame):
        # shutdown() waits for serve_forever's loop, which runs in this thread: ask from another one.
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.server_close()
    return server.tally.as_dict()


def _handler(store: Store, max_body: int, on_request: Callable[[str, dict], None] | None):
    tally = Tally()

    class Handler(BaseHTTPRequestHandler):
        timeout = SOCKET_TIMEOUT_S
        server_version = "nerv-otel"

        def do_POST(self):  # noqa: N802 (http.server's naming)
            signal = SIGNALS.get(self.path.split("?", 1)[0])
            try:
                if signal is None:
                    raise HttpError(404, f"no OTLP signal at {self.path[:80]!r}: POST /v1/logs or /v1/metrics")
                result, response = handle(store, signal, _document(self, max_body), tally)
            except HttpError as exc:
                self._refuse(exc.status, exc.message)
                return
            except NervError as exc:
                status = 503 if exc.code == "database" else 400
                self._refuse(status, exc.message)
                return
            except Exception as exc:  # noqa: BLE001 - a bug in nerv: answered and reported, the receiver goes on
                self._refuse(500, f"internal error ({type(exc).__name__}): a bug in nerv")
                return
            tally.requests += 1
            if on_request:  # before the answer: a client that stops the receiver once answered finds it reported
                on_request(signal, result)
            self._answer(200, response)

        def _refuse(self, status: int, message: str) -> None:
            tally.refused += 1
            tally.errors = (tally.errors + [f"{status} {message}"])[-5:]
            self.close_connection = True  # the rest of a refused body may still be in the socket
            if on_request:
                on_request("refused", {"status": status, "message": message})
            self._answer(status, {"code": status, "message": message})

        def _answer(self, status: int, document: dict) -> None:
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
            pass  # the CLI reports each request through on_request; http.server would write to stderr itself

    Handler.tally = tally
    return Handler
