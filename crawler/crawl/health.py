"""Recording a finished crawl run: its row, the source's error streak, and the source-health
alerts the streak raises (once when it reaches the threshold, once when it ends)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import update

from crawler.config import Config
from crawler.storage.corrections import is_muted
from crawler.storage.db import Database
from crawler.storage.models import CrawlRun, SourceHealth
from crawler.storage.outbox import channel_names, queue
from crawler.vocab import AlertKind

if TYPE_CHECKING:
    from crawler.crawl.run import SourceSummary


def record_run(
    db: Database, run_id: int | None, summary: SourceSummary, config: Config, backfill: bool = False
) -> int:
    """Close a crawl_runs row, move the source's error streak, and queue a source-health alert
    when the streak reaches the threshold (once) or ends after one was sent (once), unless the
    source is muted.

    A stopped run, and a backfill, leave the streak as it was. Returns the outbox rows queued.
    """
    now = datetime.now(UTC)
    with db.write() as session:
        if run_id is not None:
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == run_id)
                .values(
                    finished_at=now,
                    status=summary.status,
                    pages=summary.pages,
                    relevant=summary.relevant,
                    stored=summary.stored,
                    copies=summary.copies,
                    errors=summary.errors,
                    skipped=summary.skipped,
                    error_kinds=summary.error_kinds,
                    last_error=summary.last_error,
                )
            )
        if backfill:
            return 0
        health = session.get(SourceHealth, summary.source)
        if health is None:
            health = SourceHealth(source=summary.source, error_streak=0, down_alerted=False)
            session.add(health)
        health.last_run_at = now
        threshold = config.alerts.source_failure_threshold
        incident = f"source-health:{summary.source}:{run_id or now.isoformat()}"

        def health_alert(state: str, note: str) -> int:
            if is_muted(session, summary.source, now):
                return 0
            return queue(
                session,
                key=f"{incident}:{state}",
                kind=AlertKind.SOURCE_HEALTH,
                channels=channel_names(config.alerts),
                payload={"note": note},
            )

        queued = 0
        if summary.failed:
            health.error_streak += 1
            health.last_error = summary.last_error
            if health.error_streak >= threshold and not health.down_alerted:
                health.down_alerted = True
                queued = health_alert(
                    "down",
                    f"Source {summary.source} is failing: {health.error_streak} failed runs "
                    f"in a row; last error: {summary.last_error or 'unknown'}",
                )
        elif summary.status == "ok":
            if health.down_alerted:
                health.down_alerted = False
                queued = health_alert(
                    "up",
                    f"Source {summary.source} has recovered: the crawl succeeded again after "
                    f"{health.error_streak} failed runs",
                )
            health.error_streak = 0
            health.last_success_at = now
    return queued
