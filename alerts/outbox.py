"""The alert outbox: dispatching the rows storage queued (`crawler.storage.outbox`).

A row is one alert on one channel. Its unique ``key`` makes queuing idempotent. The
dispatcher claims due rows with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` serializes the claim), sends each one, and marks it sent. A crash between
claim and send leaves the row pending; once its lease runs out another dispatch takes it.
Failures retry with exponential backoff and jitter (honouring Retry-After) and end as
``failed`` after ``alerts.max_attempts`` attempts.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from alerts.render import AlertMessage, DigestItem
from alerts.transport import PermanentError, TransientError, Transport
from crawler.config import Config
from crawler.storage.db import Database
from crawler.storage.models import Alert, Article, utcnow
from crawler.storage.outbox import queue
from crawler.vocab import AlertKind

log = logging.getLogger("marsad.alerts")

MAX_BACKOFF_SECONDS = 3600.0


def backoff_seconds(attempts: int, base: float, retry_after: float | None = None) -> float:
    if retry_after is not None:
        return max(retry_after, 0.5)
    ceiling = min(MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    summarized: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DispatchReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.summarized += other.summarized
        self.errors.extend(other.errors)


class Dispatcher:
    def __init__(self, db: Database, config: Config, transports: Mapping[str, Transport]) -> None:
        self.db = db
        self.config = config
        self.transports = dict(transports)
        self.lease = config.alerts.dispatch_lease

    # --- claiming ---------------------------------------------------------------------------

    def claim(self, limit: int = 100) -> list[int]:
        now = utcnow()
        with self.db.write() as session:
            stmt = (
                select(Alert.id)
                .where(
                    Alert.status == "pending",
                    Alert.next_attempt_at <= now,
                    or_(Alert.lease_until.is_(None), Alert.lease_until < now),
                )
                .order_by(Alert.next_attempt_at, Alert.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            ids = list(session.scalars(stmt))
            if ids:
                session.execute(
                    update(Alert)
                    .where(Alert.id.in_(ids))
                    .values(lease_until=now + self.lease, attempts=Alert.attempts + 1)
                )
        return ids

    # --- dispatching ------------------------------------------------------------------------

    def dispatch(self, limit: int = 100) -> DispatchReport:
        """One attempt for every due alert (up to `limit`).

        Each channel sends from its own thread, so that a server that hangs until its timeout
        (SMTP that accepts and never answers) does not hold back the other channels' alerts."""
        report = DispatchReport()
        ids = self.claim(limit)
        if not ids:
            return report
        by_channel = self._fold_excess_new(ids, report)
        if not by_channel:
            return report
        with ThreadPoolExecutor(len(by_channel), thread_name_prefix="marsad-alerts") as pool:
            for channel_report in pool.map(self._send_all, by_channel.values()):
                report.add(channel_report)
        return report

    def _send_all(self, ids: list[int]) -> DispatchReport:
        report = DispatchReport()
        for alert_id in ids:
            self._send(alert_id, report)
        return report

    def _fold_excess_new(self, ids: list[int], report: DispatchReport) -> dict[str, list[int]]:
        """Beyond `alerts.max_per_run` new alerts on a channel, one summary lists the rest.

        Returns the ids left to send, by channel, in claim order."""
        cap = self.config.alerts.max_per_run
        with self.db.write() as session:
            rows = list(session.scalars(select(Alert).where(Alert.id.in_(ids)).order_by(Alert.id)))
            new_by_channel: dict[str, list[Alert]] = {}
            for row in rows:
                if row.kind == AlertKind.NEW:
                    new_by_channel.setdefault(row.channel, []).append(row)
            folded: set[int] = set()
            summary_keys: list[str] = []
            for channel, news in new_by_channel.items():
                excess = news[cap:]
                if not excess:
                    continue
                items = []
                for row in excess:
                    article = session.get(Article, row.article_id) if row.article_id else None
                    if article is not None:
                        items.append([article.title, article.url, article.source, article.topics])
                    row.status, row.sent_at, row.lease_until = "sent", utcnow(), None
                    row.payload = {**(row.payload or {}), "in_summary": True}
                    folded.add(row.id)
                key = f"summary:{excess[0].id}"
                summary_keys.append(f"{key}:{channel}")
                queue(
                    session,
                    key=key,
                    kind=AlertKind.SUMMARY,
                    channels=[channel],
                    payload={"items": items},
                )
                report.summarized += len(excess)
            session.flush()
            channel_of = {row.id: row.channel for row in rows}
            if summary_keys:
                summaries = session.execute(
                    select(Alert.id, Alert.channel).where(Alert.key.in_(summary_keys))
                ).all()
                session.execute(
                    update(Alert)
                    .where(Alert.id.in_([summary_id for summary_id, _ in summaries]))
                    .values(lease_until=utcnow() + self.lease, attempts=Alert.attempts + 1)
                )
                ids = ids + [summary_id for summary_id, _ in summaries]
                channel_of.update(summaries)
        to_send: dict[str, list[int]] = {}
        for alert_id in ids:
            if alert_id not in folded and alert_id in channel_of:
                to_send.setdefault(channel_of[alert_id], []).append(alert_id)
        return to_send

    def _send(self, alert_id: int, report: DispatchReport) -> None:
        with self.db.read() as session:
            row = session.get(Alert, alert_id)
            if row is None or row.status != "pending":
                return
            transport = self.transports.get(row.channel)
            message, reply_to = build_message(session, row)
            attempts, channel = row.attempts, row.channel
        if transport is None:
            self._finish(alert_id, "failed", error=f"channel {channel} is not configured")
            report.failed += 1
            return
        try:
            external_id = transport.send(message, reply_to=reply_to)
        except TransientError as exc:
            if attempts >= self.config.alerts.max_attempts:
                self._finish(alert_id, "failed", error=str(exc))
                report.failed += 1
            else:
                delay = backoff_seconds(
                    attempts, self.config.alerts.retry_backoff.total_seconds(), exc.retry_after
                )
                self._retry_later(alert_id, delay, str(exc))
                report.retrying += 1
            report.errors.append(f"alert {alert_id} ({channel}): {exc}")
            log.warning(
                "alert %s on %s not sent (attempt %s): %s", alert_id, channel, attempts, exc
            )
            return
        except PermanentError as exc:
            self._finish(alert_id, "failed", error=str(exc))
            report.failed += 1
            report.errors.append(f"alert {alert_id} ({channel}): {exc}")
            log.error("alert %s on %s failed: %s", alert_id, channel, exc)
            return
        self._finish(alert_id, "sent", external_id=external_id)
        report.sent += 1
        log.info("alert %s (%s) sent to %s", alert_id, message.kind, channel)

    def _finish(
        self,
        alert_id: int,
        status: str,
        *,
        error: str | None = None,
        external_id: str | None = None,
    ) -> None:
        with self.db.write() as session:
            values: dict[str, Any] = {"status": status, "lease_until": None}
            if status == "sent":
                values.update(sent_at=utcnow(), external_id=external_id, last_error=None)
            if error is not None:
                values["last_error"] = error[:2000]
            session.execute(update(Alert).where(Alert.id == alert_id).values(**values))

    def _retry_later(self, alert_id: int, delay: float, error: str) -> None:
        with self.db.write() as session:
            session.execute(
                update(Alert)
                .where(Alert.id == alert_id)
                .values(
                    next_attempt_at=utcnow() + timedelta(seconds=delay),
                    lease_until=None,
                    last_error=error[:2000],
                )
            )


def build_message(session: Session, row: Alert) -> tuple[AlertMessage, str | None]:
    """The renderable message for an outbox row, and the id of the message it replies to."""
    payload = row.payload or {}
    if row.kind in {AlertKind.DIGEST, AlertKind.SUMMARY}:
        items: list[DigestItem | tuple[Any, ...]] = [
            DigestItem(*item) for item in payload.get("items", [])
        ]
        return AlertMessage(
            kind=row.kind, alert_id=row.id, items=items, note=payload.get("note")
        ), None
    if row.kind in {AlertKind.SOURCE_HEALTH, AlertKind.TEST}:
        return AlertMessage(
            kind=row.kind,
            alert_id=row.id,
            headline=payload.get("headline", ""),
            note=payload.get("note"),
        ), None
    article = session.get(Article, row.article_id) if row.article_id else None
    if article is None:
        return AlertMessage(kind=row.kind, alert_id=row.id, note="the article was removed"), None
    topics = list(article.topics or [])
    topic = topics[0] if topics else None
    evidence = (article.evidence or {}).get(topic) if topic else None
    terms = sorted({t["text"] for t in article.terms or [] if evidence and t["text"] in evidence})
    message = AlertMessage(
        kind=row.kind,
        alert_id=row.id,
        development_id=row.development_id,
        headline=article.title,
        topics=topics,
        url=article.url,
        outlet=article.source,
        published_at=article.published_at,
        countries=list(article.countries or []),
        evidence=evidence,
        highlight_terms=list(terms),
        thread_key=f"dev-{row.development_id}" if row.development_id else None,
    )
    reply_to = None
    if row.kind == AlertKind.FOLLOW_UP and row.development_id is not None:
        reply_to = session.scalar(
            select(Alert.external_id).where(
                Alert.development_id == row.development_id,
                Alert.kind == AlertKind.NEW,
                Alert.channel == row.channel,
                Alert.status == "sent",
            )
        )
    return message, reply_to
