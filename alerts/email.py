"""SMTP email transport (smtplib): plain SMTP, STARTTLS or implicit TLS, optional AUTH.

Failures map onto the dispatcher's two kinds: refused connections, timeouts and 4xx
replies are transient, 5xx replies are permanent. The password never appears in an
error, and smtplib exceptions are not chained onto ours.
"""

from __future__ import annotations

import smtplib
import ssl as ssl_module
from email.message import EmailMessage

from alerts.render import AlertMessage, render_email
from alerts.transport import AlertError, PermanentError, TransientError, scrub


def _reply_text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(value.split())[:200]


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip(" <>") or "marsad.invalid"


class SmtpTransport:
    """Sends each alert as one mail to all recipients; returns its Message-ID."""

    name = "email"
    can_thread = True

    def __init__(
        self,
        host: str,
        port: int,
        *,
        starttls: bool = False,
        ssl: bool = False,
        username: str | None = None,
        password: str | None = None,
        sender: str,
        recipients: list[str],
        timeout: float = 30,
        message_id_domain: str | None = None,
        ssl_context: ssl_module.SSLContext | None = None,
    ) -> None:
        if starttls and ssl:
            raise ValueError("choose either starttls or ssl, not both")
        if not recipients:
            raise ValueError("at least one recipient is required")
        self.host = host
        self.port = port
        self.starttls = starttls
        self.ssl = ssl
        self.username = username
        self._password = password
        self.sender = sender
        self.recipients = list(recipients)
        self.timeout = timeout
        self.message_id_domain = message_id_domain or _domain_of(sender)
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        return f"SmtpTransport(host={self.host!r}, port={self.port!r}, user={self.username!r})"

    def render(self, msg: AlertMessage, *, reply_to: str | None = None) -> EmailMessage:
        return render_email(
            msg,
            sender=self.sender,
            recipients=self.recipients,
            message_id_domain=self.message_id_domain,
            in_reply_to=reply_to,
        )

    def send(self, msg: AlertMessage, *, reply_to: str | None = None) -> str:
        """Send ``msg``; ``reply_to`` is the parent's Message-ID (default: the development's)."""
        em = self.render(msg, reply_to=reply_to)
        self.deliver(em)
        return str(em["Message-ID"])

    def deliver(self, em: EmailMessage) -> None:
        failure: AlertError | None = None
        stage = "connect"
        try:
            context = self._ssl_context or ssl_module.create_default_context()
            if self.ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.starttls:
                    stage = "STARTTLS"
                    smtp.starttls(context=context)
                if self.username:
                    stage = "login"
                    smtp.login(self.username, self._password or "")
                stage = "send"
                refused = smtp.send_message(em, from_addr=self.sender, to_addrs=self.recipients)
            # Some recipients refused while others accepted: the mail went out, and a retry
            # would duplicate it for those who got it, so this counts as sent.
            del refused
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(
                f"{code} {_reply_text(text)}" for code, text in list(exc.recipients.values())[:3]
            )
            failure = self._classify(
                400 if codes and all(400 <= c < 500 for c in codes) else 550,
                f"all recipients refused: {detail}",
                stage,
            )
        except smtplib.SMTPNotSupportedError as exc:
            failure = PermanentError(self._text(stage, f"not supported by the server ({exc})"))
        except smtplib.SMTPServerDisconnected:
            failure = TransientError(self._text(stage, "server disconnected"))
        except smtplib.SMTPResponseException as exc:
            failure = self._classify(exc.smtp_code, _reply_text(exc.smtp_error), stage)
        except ssl_module.SSLCertVerificationError as exc:
            failure = PermanentError(self._text(stage, f"TLS certificate rejected ({exc.reason})"))
        except (OSError, smtplib.SMTPException) as exc:
            # Refused connection, DNS failure, timeout, TLS hiccup.
            reason = type(exc).__name__
            if isinstance(exc, OSError) and exc.strerror:
                reason += f": {exc.strerror}"
            failure = TransientError(self._text(stage, reason))
        if failure is not None:
            # Raised outside the handlers so no smtplib exception is chained onto it.
            raise failure

    def _text(self, stage: str, detail: str) -> str:
        text = f"SMTP {self.host}:{self.port}: {stage} failed: {detail}"
        return scrub(text, [self._password])

    def _classify(self, code: int, detail: str, stage: str) -> AlertError:
        text = self._text(stage, f"{code} {detail}".strip())
        if 400 <= code < 500 or code < 0:
            return TransientError(text)
        if 500 <= code < 600:
            return PermanentError(text)
        return TransientError(text)
