"""The daily digest: the day's new developments and the follow-ups that waited for it.

Queued as one `digest` row per channel, and only when there is something to say.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from crawler.config import Config
from crawler.storage.corrections import DevelopmentStatus, backfilled_articles, muted_sources
from crawler.storage.db import Database
from crawler.storage.models import Alert, Article, Development, utcnow
from crawler.storage.outbox import channel_names, queue
from crawler.vocab import AlertKind


def queue_digest(db: Database, config: Config, now: datetime | None = None) -> int:
    """Queue today's digest; returns the number of items in it (0: nothing queued)."""
    now = now or utcnow()
    since = now - timedelta(days=1)
    with db.write() as session:
        items: list[list[object]] = []
        # What a backfill found is counted, not listed; what an analyst ruled out or muted is
        # left out.
        developments = session.scalars(
            select(Development)
            .where(
                Development.created_at >= since,
                Development.backfilled.is_(False),
                Development.status == DevelopmentStatus.OPEN,
            )
            .order_by(Development.id)
        ).all()
        muted = muted_sources(session, now)
        backfilled = backfilled_articles(session, since)
        for dev in developments:
            article = session.get(Article, dev.first_article_id) if dev.first_article_id else None
            if article is None or article.not_relevant or article.source in muted:
                continue
            if set(dev.topics or []) & set(config.alerts.topics):
                items.append([article.title, article.url, article.source, list(dev.topics or [])])
        waiting = session.scalars(
            select(Alert).where(
                Alert.kind == AlertKind.FOLLOW_UP,
                Alert.status == "pending",
                Alert.next_attempt_at > now,
            )
        ).all()
        seen_articles: set[int] = set()
        for row in waiting:
            article = session.get(Article, row.article_id) if row.article_id else None
            if article is not None and article.id not in seen_articles:
                seen_articles.add(article.id)
                items.append(
                    [f"↳ {article.title}", article.url, article.source, list(article.topics or [])]
                )
            row.status, row.sent_at = "sent", now
            row.payload = {**(row.payload or {}), "in_digest": now.date().isoformat()}
        if not items and not backfilled:
            return 0
        queue(
            session,
            key=f"digest:{now.date().isoformat()}",
            kind=AlertKind.DIGEST,
            channels=channel_names(config.alerts),
            payload={
                "items": items,
                "note": f"{len(developments)} new developments, {len(seen_articles)} follow-ups"
                + (f", {backfilled} articles backfilled" if backfilled else ""),
            },
        )
    return len(items)
