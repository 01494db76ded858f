"""Running crawls: always in a child interpreter, never in the caller's process.

The Twisted reactor cannot be restarted, and a hung or leaking crawl must not take the daemon
(or a test run) down with it. :func:`run_crawl` starts ``python -m crawler.crawl`` in a new
session, reads its progress events (JSON lines on the child's stdout), and terminates the whole
process group when the hard timeout passes. The child runs one ``CrawlerProcess`` with one
crawler per source.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from crawler.config import Config, ConfigError, load_config
from crawler.db import Database, DatabaseError, open_database
from crawler.models import CrawlRun, SourceHealth

log = logging.getLogger(__name__)

EXIT_CONFIG = 2
# After SIGTERM, how long a crawl child gets to close before SIGKILL.
KILL_GRACE_SECONDS = 10
# When the daemon is stopping, how long a running crawl may go on, and then the shorter
# SIGTERM-to-SIGKILL wait, so that `systemctl stop` returns well within its timeout.
STOP_GRACE_SECONDS = 6
STOP_KILL_GRACE_SECONDS = 2


@dataclass
class SourceSummary:
    source: str
    status: str = "running"  # ok | error | timeout | running
    pages: int = 0
    relevant: int = 0
    stored: int = 0
    copies: int = 0
    revisions: int = 0
    skipped: int = 0
    errors: int = 0
    last_error: str | None = None
    error_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status in {"error", "timeout"}


def summary_from_stats(source: str, stats: dict[str, Any], *, final: bool) -> SourceSummary:
    index_ok = stats.get("marsad/index_ok", 0)
    kinds = {
        k.removeprefix("marsad/error/"): v
        for k, v in stats.items()
        if k.startswith("marsad/error/")
    }
    status = "running"
    if final:
        status = "ok" if index_ok else "error"
    return SourceSummary(
        source=source,
        status=status,
        pages=stats.get("marsad/pages", 0),
        relevant=stats.get("marsad/relevant", 0),
        stored=stats.get("marsad/store/new", 0),
        copies=stats.get("marsad/store/copy", 0),
        revisions=stats.get("marsad/store/revision", 0),
        skipped=stats.get("marsad/skipped_seen", 0),
        errors=stats.get("marsad/errors", 0),
        last_error=stats.get("marsad/last_error"),
        error_kinds=kinds,
    )


class CrawlRunRecorder:
    """Scrapy extension: one crawl_runs row per source run, the source's health, and progress
    events for the parent process."""

    def __init__(self, crawler: Any, emit: Callable[[dict[str, Any]], None]) -> None:
        self.crawler = crawler
        self.emit = emit
        self.run_id: int | None = None
        self.last_emit = 0.0

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlRunRecorder:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        resources = crawler.settings.get("MARSAD_RESOURCES")
        if resources is None:
            raise NotConfigured("no Marsad database configured for this crawl")
        ext = cls(crawler, resources.extras.get("emit", lambda event: None))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        for sig in (signals.item_scraped, signals.item_dropped, signals.response_received):
            crawler.signals.connect(ext.progress, signal=sig)
        return ext

    @property
    def db(self) -> Database:
        return self.crawler.settings["MARSAD_RESOURCES"].database

    def spider_opened(self, spider: Any) -> None:
        with self.db.write() as session:
            run = CrawlRun(source=spider.source.name)
            session.add(run)
            session.flush()
            self.run_id = run.id
        self.emit({"event": "start", "source": spider.source.name})

    def progress(self, *args: Any, **kwargs: Any) -> None:
        now = time.monotonic()
        if now - self.last_emit < 0.5:
            return
        self.last_emit = now
        spider = self.crawler.spider
        summary = summary_from_stats(
            spider.source.name, self.crawler.stats.get_stats(), final=False
        )
        self.emit({"event": "progress", **asdict(summary)})

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        summary = summary_from_stats(spider.source.name, stats, final=True)
        if reason not in {"finished"}:
            summary.status = "error"
            summary.last_error = summary.last_error or f"crawl ended: {reason}"
        record_run(self.db, self.run_id, summary, self.crawler.settings["MARSAD_RESOURCES"].config)
        self.emit({"event": "done", **asdict(summary)})


def record_run(db: Database, run_id: int | None, summary: SourceSummary, config: Config) -> None:
    """Close a crawl_runs row, move the source's error streak, and queue a source-health alert
    when the streak reaches the threshold (once) or ends after one was sent (once)."""
    from alerts.channels import channel_names
    from alerts.outbox import queue

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
        health = session.get(SourceHealth, summary.source)
        if health is None:
            health = SourceHealth(source=summary.source, error_streak=0, down_alerted=False)
            session.add(health)
        health.last_run_at = now
        threshold = config.alerts.source_failure_threshold
        incident = f"source-health:{summary.source}:{run_id or now.isoformat()}"

        def health_alert(state: str, note: str) -> None:
            queue(
                session,
                key=f"{incident}:{state}",
                kind="source-health",
                channels=channel_names(config.alerts),
                payload={"note": note},
            )

        if summary.failed:
            health.error_streak += 1
            health.last_error = summary.last_error
            if health.error_streak >= threshold and not health.down_alerted:
                health.down_alerted = True
                health_alert(
                    "down",
                    f"Source {summary.source} is failing: {health.error_streak} failed runs "
                    f"in a row; last error: {summary.last_error or 'unknown'}",
                )
        else:
            if health.down_alerted:
                health.down_alerted = False
                health_alert(
                    "up",
                    f"Source {summary.source} has recovered: the crawl succeeded again after "
                    f"{health.error_streak} failed runs",
                )
            health.error_streak = 0
            health.last_success_at = now


def scrapy_settings(config: Config, resources: Any) -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("settings", priority="project")
    crawl = config.crawl
    settings.setdict(
        {
            "ROBOTSTXT_OBEY": crawl.robots_txt,
            "DOWNLOAD_DELAY": crawl.download_delay,
            "DOWNLOAD_TIMEOUT": crawl.timeout.total_seconds(),
            "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
            "USER_AGENT": crawl.user_agent,
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_host,
            "MARSAD_MAX_ARTICLES_PER_RUN": crawl.max_articles_per_run,
            "MARSAD_RESOURCES": resources,
        },
        priority="cmdline",
    )
    return settings


# --- the child ------------------------------------------------------------------------------


def expects_many_pages(db: Database, sources: Sequence[str], min_pages: int) -> bool:
    """Whether this crawl will likely fetch `min_pages` pages: its sources' last crawls did.

    A first crawl is not guessed at: it may be a backfill or a source that does not answer,
    and the pool starts anyway once its index lists enough pages.
    """
    latest = (
        select(CrawlRun.source, func.max(CrawlRun.id).label("id"))
        .where(CrawlRun.source.in_(sources))
        .group_by(CrawlRun.source)
        .subquery()
    )
    try:
        with db.read() as session:
            pages = dict(
                session.execute(
                    select(CrawlRun.source, CrawlRun.pages).join(latest, CrawlRun.id == latest.c.id)
                ).all()
            )
    except SQLAlchemyError:
        return False  # the crawl reports an unusable database itself
    return sum(pages.values()) >= min_pages


def child_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.crawl")
    parser.add_argument("--config", default=None)
    parser.add_argument("--source", action="append", default=[])
    parser.add_argument("--log-format", default="text")
    args = parser.parse_args(argv)

    from crawler.logs import setup_logging

    setup_logging(args.log_format)
    events = sys.stdout
    # Nothing but events may reach the parent's pipe.
    sys.stdout = sys.stderr

    parent_gone = False

    def emit(event: dict[str, Any]) -> None:
        nonlocal parent_gone
        if parent_gone:
            return
        try:
            events.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
            events.flush()
        except (BrokenPipeError, ValueError):
            # The parent stopped listening (it was told to stop, and is stopping this crawl
            # too); what the crawl stored is in the database either way.
            parent_gone = True

    try:
        config = load_config(args.config)
        sources = [config.source(name) for name in args.source] or [
            s for s in config.sources if s.enabled
        ]
        # The parent (CLI or daemon) has applied the migrations already.
        db = open_database(config.database.url, migrate=False)
    except (ConfigError, DatabaseError) as exc:
        log.error("%s", exc)
        return EXIT_CONFIG

    from scrapy.crawler import CrawlerProcess

    from crawler.resources import Resources
    from spiders import SPIDER_FOR_KIND

    resources = Resources(config, db, extras={"emit": emit})
    if expects_many_pages(db, [s.name for s in sources], config.crawl.workers_min_pages):
        # While Scrapy starts up on one core, the page workers start on the others.
        resources.workers.start()
    process = CrawlerProcess(scrapy_settings(config, resources))
    # CrawlerProcess reconfigures logging; put Marsad's one-line-per-event handler back.
    setup_logging(args.log_format)
    for source in sources:
        process.crawl(SPIDER_FOR_KIND[source.kind], source=source)
    process.start()
    resources.close()
    return 0


# --- the parent -----------------------------------------------------------------------------


@dataclass
class CrawlOutcome:
    summaries: dict[str, SourceSummary]
    returncode: int | None
    timed_out: bool = False

    @property
    def all_failed(self) -> bool:
        return bool(self.summaries) and all(s.failed for s in self.summaries.values())


def run_crawl(
    config: Config,
    source_names: Sequence[str],
    *,
    config_path: str | os.PathLike[str] | None,
    timeout: float | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    log_format: str = "text",
    stderr: IO[Any] | int | None = None,
    stop_requested: Callable[[], bool] | None = None,
) -> CrawlOutcome:
    """Crawl the named sources in a child process and wait for it, at most `timeout` seconds."""
    cmd = [sys.executable, "-m", "crawler.crawl", "--log-format", log_format]
    if config_path:
        cmd += ["--config", str(Path(config_path).resolve())]
    for name in source_names:
        cmd += ["--source", name]
    timeout = timeout if timeout is not None else config.crawl.hard_timeout.total_seconds()
    summaries = {name: SourceSummary(source=name) for name in source_names}
    child = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=stderr,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        text=True,
        encoding="utf-8",
    )
    deadline = time.monotonic() + timeout
    timed_out = stopping = False
    assert child.stdout is not None
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(child.stdout, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                if not stopping and stop_requested is not None and stop_requested():
                    # A shutdown shortens the wait to a grace period, not abandoning the crawl.
                    stopping = True
                    deadline = min(deadline, time.monotonic() + STOP_GRACE_SECONDS)
                if not sel.select(timeout=min(remaining, 0.5)):
                    continue
                line = child.stdout.readline()
                if not line:
                    break
                event = _parse_event(line)
                if event is None:
                    continue
                if event.get("source") in summaries and event.get("event") in {"progress", "done"}:
                    summaries[event["source"]] = summary_of(event)
                if on_event is not None:
                    on_event(event)
    except BaseException:
        # Whatever went wrong here, the child must not be left running unwatched.
        stop_process_group(child, STOP_KILL_GRACE_SECONDS)
        child.wait()
        child.stdout.close()
        raise
    if timed_out:
        stop_process_group(child, STOP_KILL_GRACE_SECONDS if stopping else KILL_GRACE_SECONDS)
    returncode = child.wait()
    child.stdout.close()
    for summary in summaries.values():
        if summary.status == "running":
            summary.status = "timeout" if timed_out else "error"
            summary.last_error = (
                f"crawl timed out after {timeout:.0f}s"
                if timed_out
                else f"crawl process exited with code {returncode}"
            )
    if timed_out or returncode != 0:
        _close_unfinished_runs(config, summaries)
    return CrawlOutcome(summaries, returncode, timed_out)


def _parse_event(line: str) -> dict[str, Any] | None:
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def summary_of(event: dict[str, Any]) -> SourceSummary:
    # Only known fields: a child from a newer install may report more.
    known = SourceSummary.__dataclass_fields__
    return SourceSummary(**{k: v for k, v in event.items() if k in known})


def stop_process_group(child: subprocess.Popen[Any], grace: float = KILL_GRACE_SECONDS) -> None:
    """SIGTERM the child's group, then SIGKILL what is left after a grace period."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _close_unfinished_runs(config: Config, summaries: dict[str, SourceSummary]) -> None:
    """The child died before recording its runs: record them from here."""
    try:
        db = Database(config.database.url)
    except DatabaseError:
        return
    try:
        for summary in summaries.values():
            if not summary.failed:
                continue
            with db.read() as session:
                run_id = session.scalar(
                    select(CrawlRun.id)
                    .where(CrawlRun.source == summary.source, CrawlRun.status == "running")
                    .order_by(CrawlRun.id.desc())
                    .limit(1)
                )
            record_run(db, run_id, summary, config)
    finally:
        db.dispose()


if __name__ == "__main__":
    sys.exit(child_main())
