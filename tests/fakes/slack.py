"""A fake Slack on loopback: an incoming webhook and the chat.postMessage Web API.

It records every request, and can be scripted to answer the next requests with a
429 + Retry-After, a 5xx, an API error, a slow answer, or a dropped connection.

    fake = FakeSlack().start()
    fake.script(SlackReply.rate_limited(3), SlackReply.server_error())
    ... SlackWebhookTransport(fake.webhook_url) ...
    fake.stop()
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEBHOOK_PATH = "/services/T0FAKE/B0FAKE/fakewebhooksecret0123456789"
BOT_TOKEN = "xoxb-fake-0000-fakebottokensecret"


@dataclass
class SlackReply:
    """One scripted answer. ``drop`` closes the connection without answering."""

    status: int = 200
    body: Any = None  # dict -> JSON, str/bytes as is, None -> the endpoint's normal answer
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False

    @classmethod
    def rate_limited(cls, retry_after: float | int = 1, *, api: bool = False) -> SlackReply:
        body: Any = {"ok": False, "error": "ratelimited"} if api else "rate_limited"
        return cls(429, body, {"Retry-After": str(retry_after)})

    @classmethod
    def server_error(cls, status: int = 500) -> SlackReply:
        return cls(status, "internal_error")

    @classmethod
    def api_error(cls, error: str) -> SlackReply:
        return cls(200, {"ok": False, "error": error})

    @classmethod
    def slow(cls, seconds: float) -> SlackReply:
        return cls(delay=seconds)

    @classmethod
    def dropped(cls) -> SlackReply:
        return cls(drop=True)


@dataclass
class SlackRequest:
    """A request as the fake saw it, and the status it answered."""

    endpoint: str  # "webhook" | "chat.postMessage" | "unknown"
    path: str
    headers: dict[str, str]
    payload: Any
    status: int = 0
    ts: str | None = None
    ok: bool = False  # answered as a successful post
    at: float = field(default_factory=time.time)  # when it arrived


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep pytest output clean

    def do_POST(self) -> None:  # noqa: N802
        fake = self.server.fake
        with fake._lock:
            fake.arrived += 1
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            payload: Any = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            payload = raw
        path = self.path.split("?", 1)[0]
        if path == fake.webhook_path:
            endpoint = "webhook"
        elif path == "/api/chat.postMessage":
            endpoint = "chat.postMessage"
        else:
            endpoint = "unknown"
        req = SlackRequest(endpoint, self.path, dict(self.headers.items()), payload)
        reply = fake._next_reply()
        if fake.down or (reply is not None and reply.drop):
            fake._record(req)
            # End the connection without a status line: the client sees a dropped connection.
            self.close_connection = True
            return
        if reply is not None and reply.delay:
            time.sleep(reply.delay)
        if reply is not None and reply.body is not None:
            status, body, headers = reply.status, reply.body, reply.headers
        else:
            status, body = self._normal(fake, endpoint, req)
            headers = reply.headers if reply is not None else {}
            if reply is not None and reply.status != 200:
                status = reply.status
        req.status = status
        if status == 200 and isinstance(body, dict) and body.get("ok"):
            req.ts = body.get("ts")
            req.ok = True
        elif status == 200 and endpoint == "webhook" and body == "ok":
            req.ok = True
        fake._record(req)
        # A client killed while it waited (a test's kill -9) is gone; its post was taken.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer(status, body, headers)

    def _normal(self, fake: FakeSlack, endpoint: str, req: SlackRequest) -> tuple[int, Any]:
        if endpoint == "webhook":
            if not isinstance(req.payload, dict) or not (
                req.payload.get("text") or req.payload.get("blocks")
            ):
                return 400, "invalid_payload"
            return 200, "ok"
        if endpoint == "chat.postMessage":
            if req.headers.get("Authorization") != f"Bearer {fake.bot_token}":
                return 200, {"ok": False, "error": "invalid_auth"}
            if not isinstance(req.payload, dict) or not req.payload.get("channel"):
                return 200, {"ok": False, "error": "channel_not_found"}
            ts = fake._next_ts()
            return 200, {"ok": True, "channel": "C0FAKE", "ts": ts}
        return 404, "no_service"

    def _answer(self, status: int, body: Any, headers: dict[str, str]) -> None:
        if isinstance(body, dict | list):
            data = json.dumps(body).encode()
            ctype = "application/json; charset=utf-8"
        else:
            data = body.encode() if isinstance(body, str) else bytes(body)
            ctype = "text/plain; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlack


class FakeSlack:
    """Loopback fake of Slack. ``posts`` holds the requests answered with success."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.webhook_path = WEBHOOK_PATH
        self.bot_token = BOT_TOKEN
        self.down = False
        # Requests are recorded once answered; this counts them as they come in, so that a
        # test can act while one is in flight (a slow reply).
        self.arrived = 0
        self.requests: list[SlackRequest] = []
        self._replies: deque[SlackReply] = deque()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._ts = 1_700_000_000_000100
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------

    def start(self) -> FakeSlack:
        server = _Server((self.host, self.port), _Handler)
        server.fake = self
        self.port = server.server_address[1]
        self._server = server
        # A short poll interval keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # addresses -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def webhook_url(self) -> str:
        return self.base_url + self.webhook_path

    @property
    def api_url(self) -> str:
        """Pass as SlackBotTransport(base_url=...)."""
        return self.base_url + "/api"

    # scripting and inspection -------------------------------------------------

    def script(self, *replies: SlackReply) -> None:
        """Answer the next requests with these replies, in order; then answer normally."""
        with self._lock:
            self._replies.extend(replies)

    @property
    def posts(self) -> list[SlackRequest]:
        with self._lock:
            return [r for r in self.requests if r.ok]

    def wait_for_posts(self, n: int, timeout: float = 5.0) -> list[SlackRequest]:
        """Wait until at least ``n`` successful posts arrived (for asynchronous dispatchers)."""
        deadline = time.monotonic() + timeout
        while True:
            posts = self.posts
            if len(posts) >= n:
                return posts
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"expected {n} Slack posts, got {len(posts)}")
            with self._cond:
                self._cond.wait(min(remaining, 0.1))

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._replies.clear()
            self.down = False

    def _next_reply(self) -> SlackReply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def _next_ts(self) -> str:
        with self._lock:
            self._ts += 100
            ts = self._ts
        return f"{ts // 1_000_000}.{ts % 1_000_000:06d}"

    def _record(self, req: SlackRequest) -> None:
        with self._cond:
            self.requests.append(req)
            self._cond.notify_all()


def start_fake_slack(host: str = "127.0.0.1") -> FakeSlack:
    """Start a fake Slack on a free loopback port; call ``.stop()`` when done."""
    return FakeSlack(host).start()


def free_port_url(path: str = "/", host: str = "127.0.0.1") -> str:
    """A URL on a loopback port where nothing listens (for "connection refused")."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port = s.getsockname()[1]
    return f"http://{host}:{port}{path}"
