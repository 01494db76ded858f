"""The page's guards. Read-only (the default): nothing but GET and HEAD gets past. With edits
(`marsad web --allow-edits`): POST too, only to the correction forms under ``/edit/``, each
checked against a CSRF token signed for the browser's session cookie. Every answer carries
headers that forbid scripts, framing and sniffing."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from contextvars import ContextVar
from http.cookies import SimpleCookie

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        b"base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]

SESSION_COOKIE = "marsad_session"
CSRF_FIELD = "csrf_token"
EDIT_PREFIX = "/edit/"
_SESSION_ID = re.compile(r"[0-9a-f]{32}")
# The session of the request being answered, for the templates' forms (see `csrf_token`).
_current_session: ContextVar[str | None] = ContextVar("marsad_session", default=None)


def _with_headers(send: Send, extra: Sequence[tuple[bytes, bytes]] = ()) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message.setdefault("headers", [])
            message["headers"] = list(message["headers"]) + SECURITY_HEADERS + list(extra)
        await send(message)

    return send_with_headers


async def _refuse(scope: Scope, receive: Receive, send: Send, allow: str) -> None:
    response = PlainTextResponse(f"only {allow} here", status_code=405, headers={"Allow": allow})
    await response(scope, receive, _with_headers(send))


class ReadOnly:
    """ASGI middleware: 405 for every method but GET and HEAD; security headers on the rest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await _refuse(scope, receive, send, "GET, HEAD")
            return
        await self.app(scope, receive, _with_headers(send))


class CsrfTokens:
    """Tokens signed with a secret of this process: the HMAC of the browser's session id.

    A form posted from another site carries no valid token (it cannot read the page), and the
    session cookie is SameSite=Strict besides, so another site's POST arrives without it."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def token(self, session_id: str) -> str:
        return hmac.new(self._secret, session_id.encode(), hashlib.sha256).hexdigest()

    def valid(self, session_id: str | None, token: str | None) -> bool:
        if not session_id or not token or not _SESSION_ID.fullmatch(session_id):
            return False
        return hmac.compare_digest(self.token(session_id), token)

    def current(self) -> str:
        """The token for the request being answered, for a form's hidden field."""
        session_id = _current_session.get()
        return self.token(session_id) if session_id else ""


class WithEdits:
    """ASGI middleware for `--allow-edits`: GET and HEAD anywhere, POST only under ``/edit/``
    (whose routes check the CSRF token); a browser without a session cookie gets one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if method not in ("GET", "HEAD", "POST"):
            await _refuse(scope, receive, send, "GET, HEAD, POST")
            return
        if method == "POST" and not path.startswith(EDIT_PREFIX):
            await _refuse(scope, receive, send, "GET, HEAD")
            return
        session_id = _session_cookie(scope)
        extra: list[tuple[bytes, bytes]] = []
        if session_id is None:
            session_id = secrets.token_hex(16)
            cookie = f"{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Strict"
            extra.append((b"set-cookie", cookie.encode()))
        reset = _current_session.set(session_id)
        try:
            await self.app(scope, receive, _with_headers(send, extra))
        finally:
            _current_session.reset(reset)


def _session_cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookie = SimpleCookie()
            cookie.load(value.decode("latin-1"))
            morsel = cookie.get(SESSION_COOKIE)
            if morsel is not None and _SESSION_ID.fullmatch(morsel.value):
                return morsel.value
    return None
