"""What every alert transport shares: the two failure kinds and the Transport protocol.

The dispatcher only needs to tell "try again later" from "give up": a transport maps
every failure of its own protocol onto one of these two exceptions. Messages name the
host only, never a webhook URL, token or password, because the dispatcher logs them and
stores them in the outbox row.
"""

from __future__ import annotations

import base64
import email.utils
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from alerts.render import AlertMessage


class AlertError(Exception):
    """Base of the transport failures."""


class TransientError(AlertError):
    """The send may succeed later: rate limit, 5xx, timeout, refused connection."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        # Seconds the server asked us to wait (Slack's Retry-After), or None.
        self.retry_after = retry_after


class PermanentError(AlertError):
    """Retrying the same message will not help: bad credentials, bad channel, 4xx, 5xx SMTP."""


@runtime_checkable
class Transport(Protocol):
    """One alert channel. ``send`` returns an external id (Slack ts, email Message-ID).

    ``reply_to`` is the external id that an earlier ``send`` returned for the parent
    message (the development's first alert); transports that can thread use it,
    the others ignore it.
    """

    name: str
    can_thread: bool

    def send(self, msg: AlertMessage, *, reply_to: str | None = None) -> str | None: ...


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def scrub(text: str, secrets: list[str | None]) -> str:
    """Replace any secret that a server echoed back with a placeholder."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def url_secrets(url: str) -> list[str | None]:
    """What of a secret URL a server may echo back: the URL, its path, and the basic-auth
    credentials it carries (https://user:pass@host/...) as written, decoded, and as the
    Authorization header that sent them."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found: list[str | None] = [url, parts.path or None]
    if parts.password:
        user, password = unquote(parts.username or ""), unquote(parts.password)
        pair = f"{user}:{password}"
        found += [
            parts.netloc.rpartition("@")[0],
            pair,
            password,
            parts.password,
            base64.b64encode(pair.encode("utf-8")).decode("ascii"),
        ]
    # The longest first, so that a part of a secret never leaves the rest of it behind.
    return sorted(found, key=lambda s: -len(s or ""))
