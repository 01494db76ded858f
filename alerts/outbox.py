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

from alerts.messages import build_message, list_item
from alerts.transport import PermanentError, TransientError, Transport
from crawler.config import Config
from crawler.storage.db import Database
from crawler.storage.models import Alert, Article, utcnow
from crawler.storage.outbox import destination_of, queue
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

    def claim(self, limit: int = 100, channel: str | None = None) -> list[int]:
        """Lease up to `limit` due alerts, of one channel when `channel` is given."""
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
            if channel is not None:
                stmt = stmt.where(Alert.channel == channel)
            ids = list(session.scalars(stmt))
            if ids:
                session.execute(
                    update(Alert)
                    .where(Alert.id.in_(ids))
                    .values(lease_until=now + self.lease, attempts=Alert.attempts + 1)
                )
        return ids

    # --- dispatching ------------------------------------------------------------------------

    def dispatch(self, limit: int = 100, channel: str | None = None) -> DispatchReport:
        """One attempt for every due alert (up to `limit`), of one channel when given.

        Each destination sends from its own thread, so that a server that hangs until its
        timeout (SMTP that accepts and never answers) does not hold back the others' alerts in
        this round; the daemon also claims each channel in a job of its own, so that the next
        round of one channel never waits for another's slow round."""
        report = DispatchReport()
        ids = self.claim(limit, channel)
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
        """Beyond `alerts.max_per_run` new alerts to a destination, one summary lists the rest.

        Returns the ids left to send, by destination, in claim order."""
        cap = self.config.alerts.max_per_run
        with self.db.write() as session:
            rows = list(session.scalars(select(Alert).where(Alert.id.in_(ids)).order_by(Alert.id)))
            new_by_destination: dict[str, list[Alert]] = {}
            for row in rows:
                if row.kind == AlertKind.NEW:
                    new_by_destination.setdefault(destination_of(row).name, []).append(row)
            folded: set[int] = set()
            summary_keys: list[str] = []
            for name, news in new_by_destination.items():
                excess = news[cap:]
                if not excess:
                    continue
                items = []
                for row in excess:
                    article = session.get(Article, row.article_id) if row.article_id else None
                    if article is not None:
                        items.append(list_item(article))
                    row.status, row.sent_at, row.lease_until = "sent", utcnow(), None
                    row.payload = {**(row.payload or {}), "in_summary": True}
                    folded.add(row.id)
                key = f"summary:{excess[0].id}"
                summary_keys.append(f"{key}:{name}")
                queue(
                    session,
                    key=key,
                    kind=AlertKind.SUMMARY,
                    channels=[destination_of(excess[0])],
                    payload={"items": items},
                )
                report.summarized += len(excess)
            session.flush()
            destination = {row.id: destination_of(row).name for row in rows}
            if summary_keys:
                summaries = list(session.scalars(select(Alert).where(Alert.key.in_(summary_keys))))
                session.execute(
                    update(Alert)
                    .where(Alert.id.in_([summary.id for summary in summaries]))
                    .values(lease_until=utcnow() + self.lease, attempts=Alert.attempts + 1)
                )
                ids = ids + [summary.id for summary in summaries]
                destination.update((s.id, destination_of(s).name) for s in summaries)
        to_send: dict[str, list[int]] = {}
        for alert_id in ids:
            if alert_id not in folded and alert_id in destination:
                to_send.setdefault(destination[alert_id], []).append(alert_id)
        return to_send

    def _send(self, alert_id: int, report: DispatchReport) -> None:
        with self.db.read() as session:
            row = session.get(Alert, alert_id)
            if row is None or row.status != "pending":
                return
            channel = destination_of(row).name
            transport = self.transports.get(channel)
            message, reply_to = build_message(session, row, self.config)
            attempts = row.attempts
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
