"""Joining a stored report to its development, and queuing the alerts that follow from it.

Runs inside the storing transaction (see `crawler.storage.store.DevelopmentHook`): the article, its
development and its outbox rows are committed together or not at all.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.config import Config
from crawler.storage.corrections import DevelopmentStatus, is_muted
from crawler.storage.developments import WINDOW, DevelopmentKey, best_match
from crawler.storage.models import Article, Development, utcnow
from crawler.storage.outbox import PARKED, can_thread, destinations, queue
from crawler.vocab import AlertKind, Topic

# How many earlier reports in the window are compared with a new one, newest first.
MAX_CANDIDATES = 400
KEY_CACHE_SIZE = 5000


def development_key(article: Any) -> DevelopmentKey:
    evidence = " ".join((article.evidence or {}).values())
    return DevelopmentKey(
        topics=list(article.topics or []),
        countries=list(article.countries or []),
        published_at=article.published_at,
        evidence_text=f"{article.title}\n{evidence}",
    )


class DevelopmentRecorder:
    """The store's development hook: ``(session, article, is_revision) -> (id, alerts)``.

    ``alerting=False`` (a backfill) groups as usual and queues nothing; its developments are
    marked ``backfilled`` for the digest."""

    def __init__(self, config: Config, *, alerting: bool = True) -> None:
        self.quiet = not alerting
        self.alerts = config.alerts
        self._keys: dict[tuple[int, int], DevelopmentKey] = {}

    def __call__(
        self, session: Session, article: Article, is_revision: bool
    ) -> tuple[int | None, int]:
        if article.development_id is not None:
            # A revision keeps its development; the alert already went out for it.
            return article.development_id, 0
        match = self._find_earlier_report(session, article)
        if match is not None:
            return self._join(session, article, match)
        return self._create(session, article)

    def _find_earlier_report(self, session: Session, article: Article) -> int | None:
        when = article.published_at or article.fetched_at
        moment = func.coalesce(Article.published_at, Article.fetched_at)
        # Ids first, then the columns a DevelopmentKey needs only for reports not met before:
        # decoding hundreds of candidates' JSON columns for every new report would dominate the
        # cost of storing it.
        rows = session.execute(
            select(Article.id, Article.revision, Article.development_id)
            .where(
                Article.id != article.id,
                Article.duplicate_of.is_(None),
                Article.development_id.is_not(None),
                moment >= when - WINDOW,
                moment <= when + WINDOW,
            )
            .order_by(moment.desc())
            .limit(MAX_CANDIDATES)
        ).all()
        keys = {row.id: self._keys.get((row.id, row.revision)) for row in rows}
        missing = [article_id for article_id, key in keys.items() if key is None]
        for start in range(0, len(missing), 500):
            for row in session.execute(
                select(
                    Article.id,
                    Article.revision,
                    Article.title,
                    Article.evidence,
                    Article.topics,
                    Article.countries,
                    Article.published_at,
                ).where(Article.id.in_(missing[start : start + 500]))
            ):
                keys[row.id] = self._remember(row)
        candidates = [
            (row.development_id, key) for row in rows if (key := keys[row.id]) is not None
        ]
        return best_match(development_key(article), candidates)

    def _remember(self, row: Any) -> DevelopmentKey:
        """The row's DevelopmentKey, kept per process: its folded tokens cost the most."""
        key = development_key(row)
        key.tokens()
        if len(self._keys) >= KEY_CACHE_SIZE:
            self._keys.pop(next(iter(self._keys)))
        self._keys[(row.id, row.revision)] = key
        return key

    def _join(self, session: Session, article: Article, development_id: int) -> tuple[int, int]:
        dev = session.get(Development, development_id)
        assert dev is not None
        dev.report_count += 1
        dev.last_report_at = article.published_at or article.fetched_at
        # A development the analyst marked wrong sends no further follow-ups.
        if dev.status != DevelopmentStatus.OPEN or not self._alerting(session, article):
            return dev.id, 0
        follow_up = partial(
            queue,
            session,
            key=f"follow-up:{article.id}",
            kind=AlertKind.FOLLOW_UP,
            development_id=dev.id,
            article_id=article.id,
        )
        # Where the development's first alert went, so that a reply finds its thread.
        targets = destinations(self.alerts, dev.topics or [dev.topic], dev.countries or [])
        if self.alerts.follow_ups == "thread":
            threaded = [c for c in targets if can_thread(self.alerts, c)]
            unthreaded = [c for c in targets if c not in threaded]
            added = follow_up(channels=threaded)
            follow_up(channels=unthreaded, status="skipped")
            return dev.id, added
        # Digest mode: the row waits, parked, until the daily digest collects it.
        added = follow_up(
            channels=targets,
            next_attempt_at=utcnow() + PARKED,
            payload={"awaiting": "digest"},
        )
        return dev.id, added

    def _create(self, session: Session, article: Article) -> tuple[int, int]:
        topics = list(article.topics or [])
        first_topic = topics[0] if topics else Topic.OTHER
        dev = Development(
            topic=first_topic,
            topics=topics,
            countries=list(article.countries or []),
            evidence=(article.evidence or {}).get(first_topic, ""),
            first_article_id=article.id,
            first_published_at=article.published_at,
            last_report_at=article.published_at or article.fetched_at,
            report_count=1,
            backfilled=self.quiet,
        )
        session.add(dev)
        session.flush()
        if not self._alerting(session, article) or self._too_old(article):
            return dev.id, 0
        added = queue(
            session,
            key=f"new:{dev.id}",
            kind=AlertKind.NEW,
            channels=destinations(self.alerts, topics, dev.countries),
            development_id=dev.id,
            article_id=article.id,
        )
        return dev.id, added

    def _alerting(self, session: Session, article: Article) -> bool:
        if self.quiet or not set(article.topics or []) & set(self.alerts.topics):
            return False
        return not is_muted(session, article.source)

    def _too_old(self, article: Article) -> bool:
        if article.published_at is None:
            return False
        age: timedelta = article.fetched_at - article.published_at
        return age > self.alerts.max_age
