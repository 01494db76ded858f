"""A real SMTP server on loopback (aiosmtpd) that records the mail it receives.

The port is chosen when the object is made, before the server starts, so a test can
point a transport at it while it is still down and start it later.

    fake = FakeSmtp(username="marsad", password="s3cret")   # AUTH required
    ... SmtpTransport("127.0.0.1", fake.port, ...) -> TransientError (down)
    fake.start(); ... send ...; fake.messages[0]["Subject"]
    fake.stop()
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# Test credentials, not secrets of any real account.
SMTP_USER = "marsad-test"
SMTP_PASSWORD = "fake-smtp-password-5e6f"


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago on ``host`` (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    login: str | None


class _Handler:
    def __init__(self, fake: FakeSmtp) -> None:
        self.fake = fake

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        scripted = self.fake._next_reply()
        if scripted is not None:
            return scripted
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        auth = getattr(session, "auth_data", None)
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        self.fake._record(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message, raw, login)
        )
        return "250 2.0.0 Message accepted for delivery"


class FakeSmtp:
    """aiosmtpd on 127.0.0.1; with ``username``/``password`` it requires AUTH (no TLS)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.username = username
        self.password = password
        self.received: list[ReceivedMail] = []
        self.failed_logins = 0
        self._replies: deque[str] = deque()
        self._cond = threading.Condition()
        self._controller: Controller | None = None

    # lifecycle -------------------------------------------------------------

    def start(self) -> FakeSmtp:
        kwargs: dict[str, Any] = {}
        if self.username is not None:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                # Tests speak plain SMTP on loopback; aiosmtpd refuses AUTH without TLS otherwise.
                auth_require_tls=False,
            )
        controller = Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> FakeSmtp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # scripting and inspection -------------------------------------------------

    def reply_next(self, *replies: str) -> None:
        """Answer the next DATA commands with these replies, e.g. "451 4.3.0 Try later"."""
        with self._cond:
            self._replies.extend(replies)

    @property
    def messages(self) -> list[EmailMessage]:
        with self._cond:
            return [m.message for m in self.received]

    def wait_for_messages(self, n: int, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {n} mails, got {len(self.received)}")
                self._cond.wait(remaining)
            return [m.message for m in self.received]

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        ):
            return AuthResult(success=True, auth_data=auth_data)
        with self._cond:
            self.failed_logins += 1
        return AuthResult(success=False, handled=False)

    def _next_reply(self) -> str | None:
        with self._cond:
            return self._replies.popleft() if self._replies else None

    def _record(self, mail: ReceivedMail) -> None:
        with self._cond:
            self.received.append(mail)
            self._cond.notify_all()


def start_fake_smtp(*, username: str | None = None, password: str | None = None) -> FakeSmtp:
    """Start a fake SMTP server on a free loopback port; call ``.stop()`` when done."""
    return FakeSmtp(username=username, password=password).start()
