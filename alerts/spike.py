"""The spike alert: a day whose relevant reports reach `alerts.spike_factor` times the daily
average of the 14 days before, and at least `alerts.spike_min_reports`, sends one alert that
says so and lists the day's top developments.

Reports are the stored relevant articles that are not copies, counted on the day they were
published (when they were fetched, for a page without a date), in `alerts.digest_timezone`:
a new source or a backfill that brings in old articles does not make today a spike. Once per
day: the rows' key is ``spike:{day}``, so every later check that day finds it queued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from alerts.messages import list_item
from crawler.config import Config
from crawler.storage.db import Database
from crawler.storage.models import Article, utcnow
from crawler.storage.outbox import channel_names, queue
from crawler.vocab import AlertKind

BASELINE_DAYS = 14
TOP_DEVELOPMENTS = 5


@dataclass(frozen=True)
class SpikeCheck:
    day: date
    reports: int
    # Reports per day over the BASELINE_DAYS before `day`.
    average: float
    # Rows queued by this check: 0 when the day is no spike, or its alert is queued already.
    queued: int = 0


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def check_spike(db: Database, config: Config, now: datetime | None = None) -> SpikeCheck:
    """Count today's reports against the days before, and queue the day's spike alert once."""
    alerts = config.alerts
    zone = ZoneInfo(alerts.digest_timezone)
    day = (now or utcnow()).astimezone(zone).date()
    start, end = _start_of(day, zone), _start_of(day + timedelta(days=1), zone)
    baseline_start = _start_of(day - timedelta(days=BASELINE_DAYS), zone)
    when = func.coalesce(Article.published_at, Article.fetched_at)
    # Originals, less those an analyst ruled out.
    original = Article.duplicate_of.is_(None) & Article.not_relevant.is_(False)
    with db.write() as session:
        reports = session.scalar(
            select(func.count(Article.id)).where(original, when >= start, when < end)
        )
        before = session.scalar(
            select(func.count(Article.id)).where(original, when >= baseline_start, when < start)
        )
        check = SpikeCheck(day, reports or 0, (before or 0) / BASELINE_DAYS)
        if check.reports < alerts.spike_min_reports or check.reports < (
            alerts.spike_factor * check.average
        ):
            return check
        report_count = func.count(Article.id)
        top = session.execute(
            select(Article.development_id, report_count, func.min(Article.id))
            .where(original, when >= start, when < end, Article.development_id.is_not(None))
            .group_by(Article.development_id)
            .order_by(report_count.desc(), Article.development_id)
            .limit(TOP_DEVELOPMENTS)
        ).all()
        items = []
        for _, _, first_id in top:
            article = session.get(Article, first_id)
            if article is not None:
                items.append(list_item(article))
        queued = queue(
            session,
            key=f"spike:{day.isoformat()}",
            kind=AlertKind.SPIKE,
            channels=channel_names(alerts),
            payload={
                "items": items,
                "note": _note(check),
                "day": day.isoformat(),
                "reports": check.reports,
                "average": round(check.average, 2),
            },
        )
    return SpikeCheck(check.day, check.reports, check.average, queued)


def _note(check: SpikeCheck) -> str:
    average = f"{check.average:.1f}"
    if check.average:
        ratio = f"{check.reports / check.average:.1f}"
        return (
            f"تقارير يوم {check.day.isoformat()}: {check.reports} · المتوسط اليومي في "
            f"{BASELINE_DAYS} يومًا قبله: {average} (×{ratio}) / {check.reports} reports on "
            f"{check.day.isoformat()}, {ratio}× the daily average of the {BASELINE_DAYS} "
            f"days before ({average})"
        )
    return (
        f"تقارير يوم {check.day.isoformat()}: {check.reports} · لا تقارير في {BASELINE_DAYS} "
        f"يومًا قبله / {check.reports} reports on {check.day.isoformat()}, none in the "
        f"{BASELINE_DAYS} days before"
    )
