"""The daily digest: the day's new developments, the follow-ups that waited for it, and the
developments alerted before that were copied again since (their counts change).

Each destination gets its own digest, of the developments that route there (an alert no route
matches goes to the default channels); one row per destination, only when there is something
to say. Every item shows how widely its development ran when the digest is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from alerts.messages import list_item
from crawler.config import Config
from crawler.storage.corrections import DevelopmentStatus, backfilled_articles, muted_sources
from crawler.storage.db import Database
from crawler.storage.models import Alert, Article, Development, utcnow
from crawler.storage.outbox import (
    Destination,
    channel_names,
    destination_of,
    destinations,
    queue,
)
from crawler.vocab import AlertKind


def queue_digest(db: Database, config: Config, now: datetime | None = None) -> int:
    """Queue today's digest; returns the number of items in it (0: nothing queued)."""
    now = now or utcnow()
    since = now - timedelta(days=1)
    alerting = set(config.alerts.topics)
    by_destination: dict[Destination, list[dict[str, Any]]] = {}
    counts: dict[Destination, list[int]] = {}

    def add(targets: list[Destination], item: dict[str, Any], which: int) -> None:
        for target in targets:
            by_destination.setdefault(target, []).append(item)
            counts.setdefault(target, [0, 0, 0])[which] += 1

    def targets_of(dev: Development) -> list[Destination]:
        return destinations(config.alerts, dev.topics or [dev.topic], dev.countries or [])

    with db.write() as session:
        listed: set[int] = set()
        # What a backfill found is counted, not listed; what an analyst ruled out, marked
        # wrong or muted is left out.
        muted = muted_sources(session, now)
        backfilled = backfilled_articles(session, since)

        def quiet(dev: Development, article: Article | None) -> bool:
            return (
                dev.backfilled
                or dev.status != DevelopmentStatus.OPEN
                or (article is not None and (article.not_relevant or article.source in muted))
            )

        developments = session.scalars(
            select(Development).where(Development.created_at >= since).order_by(Development.id)
        ).all()
        for dev in developments:
            article = session.get(Article, dev.first_article_id) if dev.first_article_id else None
            if quiet(dev, article):
                continue
            if article is not None and set(dev.topics or []) & alerting:
                add(targets_of(dev), list_item(article), 0)
                listed.add(dev.id)
        waiting = session.scalars(
            select(Alert).where(
                Alert.kind == AlertKind.FOLLOW_UP,
                Alert.status == "pending",
                Alert.next_attempt_at > now,
            )
        ).all()
        seen: set[tuple[Destination, int]] = set()
        for row in waiting:
            article = session.get(Article, row.article_id) if row.article_id else None
            target = destination_of(row)
            if article is not None and (target, article.id) not in seen:
                seen.add((target, article.id))
                add([target], list_item(article, prefix="↳ "), 1)
                if article.development_id is not None:
                    listed.add(article.development_id)
            row.status, row.sent_at = "sent", now
            row.payload = {**(row.payload or {}), "in_digest": now.date().isoformat()}
        # Developments whose alert went out before and that outlets have copied since.
        recopied = session.scalars(
            select(Article.development_id)
            .where(
                Article.duplicate_of.is_not(None),
                Article.fetched_at >= since,
                Article.development_id.is_not(None),
            )
            .distinct()
        ).all()
        for dev_id in sorted(d for d in recopied if d is not None and d not in listed):
            copied = session.get(Development, dev_id)
            if copied is None or not set(copied.topics or []) & alerting:
                continue
            first = session.get(Article, copied.first_article_id or -1)
            if first is not None and not quiet(copied, first):
                add(targets_of(copied), list_item(first, prefix="⟳ "), 2)
        defaults = [Destination(name) for name in channel_names(config.alerts)]
        if backfilled:
            # The backfill's count goes to the default channels, with or without items.
            for target in defaults:
                by_destination.setdefault(target, [])
                counts.setdefault(target, [0, 0, 0])
        for target, items in by_destination.items():
            new, follow_ups, recopied_count = counts[target]
            backfill_note = (
                f" · جُمعت من الأرشيف: {backfilled} / {backfilled} articles backfilled"
                if backfilled and target in defaults
                else ""
            )
            queue(
                session,
                key=f"digest:{now.date().isoformat()}",
                kind=AlertKind.DIGEST,
                channels=[target],
                payload={
                    "items": items,
                    "note": (
                        f"تطورات جديدة: {new} · متابعات: {follow_ups} · "
                        f"نُسخت من جديد: {recopied_count} / {new} new developments, "
                        f"{follow_ups} follow-ups, {recopied_count} copied again"
                    )
                    + backfill_note,
                },
            )
    # Each item once, however many destinations it went to.
    return len(
        {(i["headline"], i["article_id"]) for items in by_destination.values() for i in items}
    )
