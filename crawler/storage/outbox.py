"""The alert outbox as storage writes it: one row per alert per destination, queued in the same
transaction as the article, the development or the crawl run that caused it.

A destination is a channel (``slack``, ``email``, or the ``log`` when none is configured),
either the default one of ``[alerts.slack]``/``[alerts.email]`` or a route's
(``[[alerts.routes]]``): an alert whose topics or countries a route matches goes to that
route's targets instead of the defaults. The destinations come from the config alone (no
secrets, no transport), so that storing never depends on `alerts/`; `alerts/` claims,
renders and sends these rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.config import AlertsConfig
from crawler.storage.models import Alert, utcnow

# Follow-ups that wait for the digest are parked this far ahead; the digest sends them.
PARKED = timedelta(days=3650)


class Destination(NamedTuple):
    """Where one outbox row goes: a channel, and the index of the route that chose it (None
    for the channel's default target)."""

    channel: str
    route: int | None = None

    @property
    def name(self) -> str:
        """``slack``, or ``slack@route0`` for the first route's Slack target: the last part of
        the row's key, and the name of its transport."""
        return self.channel if self.route is None else f"{self.channel}@route{self.route}"


def channel_names(alerts: AlertsConfig) -> list[str]:
    """The default channels an alert is queued on; with none configured, the log."""
    names = []
    if alerts.slack is not None:
        names.append("slack")
    if alerts.email is not None:
        names.append("email")
    return names or ["log"]


def route_destinations(alerts: AlertsConfig) -> dict[int, list[Destination]]:
    """Each route's targets, by the route's index."""
    found: dict[int, list[Destination]] = {}
    for i, route in enumerate(alerts.routes):
        targets = []
        if route.slack_channel or route.slack_webhook_url:
            targets.append(Destination("slack", i))
        if route.email_recipients:
            targets.append(Destination("email", i))
        found[i] = targets
    return found


def destinations(
    alerts: AlertsConfig, topics: Sequence[str], countries: Sequence[str]
) -> list[Destination]:
    """Where an alert about these topics and countries goes: every matching route's targets,
    else the default channels."""
    targets = route_destinations(alerts)
    matched = [
        target
        for i, route in enumerate(alerts.routes)
        if route.matches(list(topics), list(countries))
        for target in targets[i]
    ]
    return matched or [Destination(name) for name in channel_names(alerts)]


def destination_of(row: Alert) -> Destination:
    route = (row.payload or {}).get("route")
    return Destination(row.channel, route if isinstance(route, int) else None)


def can_thread(alerts: AlertsConfig, destination: str | Destination) -> bool:
    """Whether a follow-up can be sent there as a reply under its development's first alert."""
    channel, route = (destination, None) if isinstance(destination, str) else destination
    if channel == "slack":
        if route is not None:
            # A route's own webhook posts to one fixed place and cannot thread; its channel
            # is posted to by the bot.
            return route < len(alerts.routes) and alerts.routes[route].slack_channel is not None
        return alerts.slack is not None and alerts.slack.bot_token is not None
    return channel == "email"


def queue(
    session: Session,
    *,
    key: str,
    kind: str,
    channels: Iterable[str | Destination],
    development_id: int | None = None,
    article_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    status: str = "pending",
    next_attempt_at: datetime | None = None,
) -> int:
    """Queue one row per destination unless that key is already queued; returns rows added.

    The row's key is ``{key}:{destination name}``; a route's row keeps its route in its
    payload."""
    added = 0
    now = utcnow()
    for target in channels:
        destination = Destination(target) if isinstance(target, str) else target
        row_key = f"{key}:{destination.name}"
        if session.scalar(select(Alert.id).where(Alert.key == row_key)) is not None:
            continue
        row_payload = dict(payload or {})
        if destination.route is not None:
            row_payload["route"] = destination.route
        session.add(
            Alert(
                key=row_key,
                kind=kind,
                channel=destination.channel,
                development_id=development_id,
                article_id=article_id,
                status=status,
                attempts=0,
                created_at=now,
                next_attempt_at=next_attempt_at or now,
                sent_at=now if status == "sent" else None,
                payload=row_payload,
            )
        )
        added += 1
    session.flush()
    return added
