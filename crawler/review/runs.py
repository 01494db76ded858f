"""Each source's recent crawl runs, for the sources page: its last successes and failures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.storage.models import CrawlRun

# A run that ended in one of these counts as a failure of the source; "stopped" and
# "abandoned" runs were ended from outside and say nothing about the source.
FAILED = ("error", "timeout")


@dataclass
class RunHistory:
    runs: list[CrawlRun] = field(default_factory=list)  # newest first
    last_success: datetime | None = None
    last_failure: datetime | None = None
    last_failure_error: str | None = None


def run_history(session: Session, sources: Iterable[str], limit: int = 10) -> dict[str, RunHistory]:
    """The newest ``limit`` finished runs of each source, and when it last succeeded and failed."""
    names = list(sources)
    history = {name: RunHistory() for name in names}
    if not names:
        return history
    rank = (
        func.row_number()
        .over(partition_by=CrawlRun.source, order_by=CrawlRun.id.desc())
        .label("rank")
    )
    recent = (
        select(CrawlRun.id, rank)
        .where(CrawlRun.source.in_(names), CrawlRun.status != "running")
        .subquery()
    )
    runs = session.scalars(
        select(CrawlRun)
        .join(recent, recent.c.id == CrawlRun.id)
        .where(recent.c.rank <= limit)
        .order_by(CrawlRun.id.desc())
    )
    for run in runs:
        history[run.source].runs.append(run)
    ended = func.coalesce(CrawlRun.finished_at, CrawlRun.started_at)
    for source, when in session.execute(
        select(CrawlRun.source, func.max(ended))
        .where(CrawlRun.source.in_(names), CrawlRun.status == "ok")
        .group_by(CrawlRun.source)
    ):
        history[source].last_success = when
    last_failures = (
        select(CrawlRun.source, func.max(CrawlRun.id).label("id"))
        .where(CrawlRun.source.in_(names), CrawlRun.status.in_(FAILED))
        .group_by(CrawlRun.source)
        .subquery()
    )
    for run in session.scalars(
        select(CrawlRun).join(last_failures, last_failures.c.id == CrawlRun.id)
    ):
        history[run.source].last_failure = run.finished_at or run.started_at
        history[run.source].last_failure_error = run.last_error
    return history
