"""Slack transports: an incoming webhook, or a bot token with chat.postMessage (threads).

The webhook URL and the bot token are secrets. Errors and reprs name the host only,
and a requests exception (whose text holds the full URL) is never chained.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import requests

from alerts.render import AlertMessage, render_slack
from alerts.transport import (
    AlertError,
    PermanentError,
    TransientError,
    parse_retry_after,
    scrub,
    url_secrets,
)

# chat.postMessage "error" values worth retrying; every other error is a setup problem
# (invalid_auth, channel_not_found, not_in_channel, ...) that retrying will not fix.
_TRANSIENT_API_ERRORS = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "unknown host"
    except ValueError:
        return "unknown host"


class _SlackPoster:
    """POSTs JSON and maps transport failures; shared by both Slack transports."""

    def __init__(self, url: str, *, timeout: float, session: requests.Session | None) -> None:
        self._url = url
        self._timeout = timeout
        self._session = session
        self.host = _host(url)

    def post(
        self, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> requests.Response:
        session = self._session
        if session is None:
            session = self._session = requests.Session()
        failure: AlertError
        try:
            return session.post(
                self._url,
                data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
                timeout=self._timeout,
                allow_redirects=False,
            )
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ) as exc:
            failure = PermanentError(f"Slack {self.host}: invalid URL ({type(exc).__name__})")
        except requests.exceptions.Timeout as exc:
            failure = TransientError(f"Slack {self.host}: timed out ({type(exc).__name__})")
        except requests.exceptions.RequestException as exc:
            failure = TransientError(f"Slack {self.host}: connection failed ({type(exc).__name__})")
        # Raised outside the except block so the requests exception, whose message
        # contains the full secret URL, is not attached as __context__.
        raise failure

    def http_error(
        self, resp: requests.Response, what: str, secrets: list[str | None]
    ) -> AlertError:
        body = scrub(resp.text[:200].strip(), secrets)
        text = f"Slack {self.host}: {what} HTTP {resp.status_code}"
        if body:
            text += f": {body}"
        if resp.status_code == 429:
            return TransientError(
                text, retry_after=parse_retry_after(resp.headers.get("Retry-After"))
            )
        if resp.status_code >= 500 or resp.status_code == 408:
            return TransientError(
                text, retry_after=parse_retry_after(resp.headers.get("Retry-After"))
            )
        return PermanentError(text)


class SlackWebhookTransport:
    """An incoming webhook: one fixed channel, no threading, nothing returned."""

    name = "slack"
    can_thread = False

    def __init__(
        self, webhook_url: str, *, timeout: float = 10, session: requests.Session | None = None
    ) -> None:
        self._webhook_url = webhook_url
        self._poster = _SlackPoster(webhook_url, timeout=timeout, session=session)

    def __repr__(self) -> str:
        return f"SlackWebhookTransport(host={self._poster.host!r})"

    def send(self, msg: AlertMessage, *, reply_to: str | None = None) -> str | None:
        # A webhook cannot reply in a thread; reply_to is accepted for the protocol only.
        resp = self._poster.post(render_slack(msg))
        if 200 <= resp.status_code < 300:
            return None
        raise self._poster.http_error(resp, "webhook", url_secrets(self._webhook_url))


class SlackBotTransport:
    """chat.postMessage with a bot token; returns the message ts, which threads follow-ups."""

    name = "slack"
    can_thread = True

    def __init__(
        self,
        bot_token: str,
        channel: str,
        *,
        base_url: str = "https://slack.com/api",
        timeout: float = 10,
        session: requests.Session | None = None,
    ) -> None:
        self._token = bot_token
        self.channel = channel
        url = base_url.rstrip("/") + "/chat.postMessage"
        self._secrets = [bot_token, *url_secrets(url)]
        self._poster = _SlackPoster(url, timeout=timeout, session=session)

    def __repr__(self) -> str:
        return f"SlackBotTransport(host={self._poster.host!r}, channel={self.channel!r})"

    def send(self, msg: AlertMessage, *, reply_to: str | None = None) -> str:
        """Post ``msg``; with ``reply_to`` (the parent's ts) it goes into that thread."""
        payload = render_slack(msg)
        payload["channel"] = self.channel
        if reply_to:
            payload["thread_ts"] = reply_to
        secrets = self._secrets
        resp = self._poster.post(payload, headers={"Authorization": f"Bearer {self._token}"})
        if resp.status_code != 200:
            raise self._poster.http_error(resp, "chat.postMessage", secrets)
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise TransientError(f"Slack {self._poster.host}: chat.postMessage answered non-JSON")
        if data.get("ok") and data.get("ts"):
            return str(data["ts"])
        error = scrub(str(data.get("error") or "unknown_error")[:100], secrets)
        text = f"Slack {self._poster.host}: chat.postMessage failed: {error}"
        if error in _TRANSIENT_API_ERRORS:
            raise TransientError(
                text, retry_after=parse_retry_after(resp.headers.get("Retry-After"))
            )
        raise PermanentError(text)
