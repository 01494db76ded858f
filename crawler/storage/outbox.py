"""The alert outbox as storage writes it: one row per alert per channel, queued in the same
transaction as the article, the development or the crawl run that caused it.

The channel names come from the config alone (no secrets, no transport), so that storing never
depends on `alerts/`; `alerts/` claims, renders and sends these rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.config import AlertsConfig
from crawler.storage.models import Alert, utcnow

# Follow-ups that wait for the digest are parked this far ahead; the digest sends them.
PARKED = timedelta(days=3650)


def channel_names(alerts: AlertsConfig) -> list[str]:
    """The channels an alert is queued on; with none configured, the log."""
    names = []
    if alerts.slack is not None:
        names.append("slack")
    if alerts.email is not None:
        names.append("email")
    return names or ["log"]


def can_thread(alerts: AlertsConfig, channel: str) -> bool:
    """Whether `channel` can send a follow-up as a reply under its development's first alert."""
    if channel == "slack":
        return alerts.slack is not None and alerts.slack.bot_token is not None
    return channel == "email"


def queue(
    session: Session,
    *,
    key: str,
    kind: str,
    channels: Iterable[str],
    development_id: int | None = None,
    article_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    status: str = "pending",
    next_attempt_at: datetime | None = None,
) -> int:
    """Queue one row per channel unless that key is already queued; returns rows added."""
    added = 0
    now = utcnow()
    for channel in channels:
        row_key = f"{key}:{channel}"
        if session.scalar(select(Alert.id).where(Alert.key == row_key)) is not None:
            continue
        session.add(
            Alert(
                key=row_key,
                kind=kind,
                channel=channel,
                development_id=development_id,
                article_id=article_id,
                status=status,
                attempts=0,
                created_at=now,
                next_attempt_at=next_attempt_at or now,
                sent_at=now if status == "sent" else None,
                payload=dict(payload or {}),
            )
        )
        added += 1
    session.flush()
    return added
