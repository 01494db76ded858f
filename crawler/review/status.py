"""Health of the install: sources, outbox, database. Shared by `marsad status` and the web page."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crawler.config import Config, format_duration
from crawler.review.queries import iso
from crawler.storage.db import Database
from crawler.storage.models import Alert, Article, CrawlRun, SourceHealth

STUCK_AFTER = timedelta(minutes=10)
# Follow-ups parked for the digest wait years by design; a retry waits an hour at most, or what
# a 429's Retry-After asks.
PARKED_AFTER = timedelta(days=1)


@dataclass
class Status:
    data: dict[str, Any]
    healthy: bool
    problems: list[str]


def _next_run(last_run: datetime | None, interval: timedelta) -> datetime | None:
    return last_run + interval if last_run else None


def collect_status(db: Database, config: Config, now: datetime | None = None) -> Status:
    now = now or datetime.now(UTC)
    problems: list[str] = []
    threshold = config.alerts.source_failure_threshold
    with db.read() as session:
        sources = [_source_status(session, s, threshold, problems, now) for s in config.sources]
        outbox = _outbox_status(session, config, now, problems)
        articles = session.scalar(select(func.count()).select_from(Article)) or 0
        originals = session.scalar(
            select(func.count()).select_from(Article).where(Article.duplicate_of.is_(None))
        )
    data = {
        "sources": sources,
        "outbox": outbox,
        "database": {
            "dialect": db.dialect,
            "size_bytes": _database_size(db),
            "articles": articles,
            "originals": originals or 0,
        },
        "healthy": not problems,
        "problems": problems,
    }
    return Status(data, not problems, problems)


def _source_status(
    session: Session, source: Any, threshold: int, problems: list[str], now: datetime
) -> dict:
    health = session.get(SourceHealth, source.name)
    last = session.scalars(
        select(CrawlRun)
        .where(CrawlRun.source == source.name, CrawlRun.status != "running")
        .order_by(CrawlRun.id.desc())
        .limit(1)
    ).first()
    streak = health.error_streak if health else 0
    last_success = health.last_success_at if health else None
    last_error = health.last_error if health and streak else None
    # Tried, and every run so far failed (a run stopped from outside is not counted).
    never_succeeded = streak > 0 and last_success is None
    if streak >= threshold or never_succeeded:
        runs = (
            f"{streak} failed runs in a row"
            if last_success
            else f"never succeeded in {streak} runs"
        )
        problems.append(f"source {source.name}: {runs}; last error: {last_error or 'unknown'}")
    last_run = health.last_run_at if health else None
    # An analyst's mute holds back the source's alerts (its articles are still stored).
    muted_until = health.muted_until if health else None
    return {
        "name": source.name,
        "kind": source.kind,
        "interval": format_duration(source.interval),
        "interval_seconds": int(source.interval.total_seconds()),
        "failing": streak >= threshold or never_succeeded,
        "last_run": iso(last_run),
        "last_success": iso(last_success),
        "next_run": iso(_next_run(last_run, source.interval)),
        "last_status": last.status if last else None,
        "pages": last.pages if last else 0,
        "relevant": last.relevant if last else 0,
        "stored": last.stored if last else 0,
        "copies": last.copies if last else 0,
        "errors": last.errors if last else 0,
        "error_streak": streak,
        "last_error": last_error,
        "muted_until": iso(muted_until) if muted_until and muted_until > now else None,
    }


def _outbox_status(session: Session, config: Config, now: datetime, problems: list[str]) -> dict:
    counts = dict(session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all())
    # Due or waiting for a retry; follow-ups parked for the digest are waiting by design.
    pending = select(Alert).where(
        Alert.status == "pending", Alert.next_attempt_at < now + PARKED_AFTER
    )
    oldest = session.scalars(pending.order_by(Alert.created_at).limit(1)).first()
    if counts.get("failed"):
        problems.append(f"{counts['failed']} alerts failed")
    if oldest is not None and now - oldest.created_at > STUCK_AFTER:
        problems.append(f"alert {oldest.id} pending since {iso(oldest.created_at)}")
    return {
        "pending": counts.get("pending", 0),
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0),
        "skipped": counts.get("skipped", 0),
        "oldest_pending": iso(oldest.created_at) if oldest else None,
    }


def _database_size(db: Database) -> int | None:
    if db.is_sqlite:
        path = make_url(db.url).database
        if not path:
            return None
        return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
    with db.read_engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
