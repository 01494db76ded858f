"""Running crawls: always in a child interpreter, never in the caller's process.

The Twisted reactor cannot be restarted, and a hung or leaking crawl must not take the daemon
(or a test run) down with it. :func:`run_crawl` starts ``python -m crawler.crawl.run`` in a new
session, hands it the caller's config on stdin, and reads its progress events (JSON lines on the
child's stdout). The child runs one ``CrawlerProcess`` with one crawler per source, and closes
its crawlers itself when the hard timeout passes or it is told to stop (SIGTERM); the parent
kills the whole process group when the child does not end in time after that.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import IO, Any, cast

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from crawler.config import Config, ConfigError, load_config
from crawler.crawl.health import record_run
from crawler.crawl.orphans import this_process, watch_parent
from crawler.crawl.watch import STOP_KILL_GRACE_SECONDS, ChildWatch, stop_process_group
from crawler.storage.db import Database, DatabaseError, open_database
from crawler.storage.models import MAX_INTEGER, CrawlRun
from crawler.vocab import ExitCode

log = logging.getLogger(__name__)

# When the daemon is stopping, how long a running crawl may go on (then it is told to stop).
STOP_GRACE_SECONDS = 6
# The key in Resources.extras saying why the child closes its crawlers early, for the runs it
# records: ("timeout" or "stopped", message).
STOPPING = "stopping"


@dataclass
class SourceSummary:
    source: str
    status: str = "running"  # ok | error | timeout | stopped | abandoned | running
    pages: int = 0
    relevant: int = 0
    stored: int = 0
    copies: int = 0
    revisions: int = 0
    skipped: int = 0
    errors: int = 0
    alerts: int = 0
    last_error: str | None = None
    error_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """The source failed this run; a run stopped from outside is no fault of the source."""
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
        alerts=stats.get("marsad/alerts_queued", 0),
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
        backfill = self.crawler.settings["MARSAD_RESOURCES"].backfill_since is not None
        with self.db.write() as session:
            host, pid = this_process()
            run = CrawlRun(source=spider.source.name, host=host, pid=pid, backfill=backfill)
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
        resources = self.crawler.settings["MARSAD_RESOURCES"]
        stats = self.crawler.stats.get_stats()
        summary = summary_from_stats(spider.source.name, stats, final=True)
        stopping = resources.extras.get(STOPPING)
        if reason == "shutdown" and stopping is not None:
            summary.status, summary.last_error = stopping
        elif reason != "finished":
            summary.status = "error"
            summary.last_error = summary.last_error or f"crawl ended: {reason}"
        backfill = resources.backfill_since is not None
        summary.alerts += record_run(self.db, self.run_id, summary, resources.config, backfill)
        self.emit({"event": "done", **asdict(summary)})


def scrapy_settings(config: Config, resources: Any) -> Any:
    from scrapy.settings import Settings

    from crawler.crawl.addresses import address_settings

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
            # A backfill is bounded by its date, not by a run's share of the backlog.
            "MARSAD_MAX_ARTICLES_PER_RUN": MAX_INTEGER
            if resources.backfill_since
            else crawl.max_articles_per_run,
            "MARSAD_RESOURCES": resources,
            **address_settings(config),
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
    parser = argparse.ArgumentParser(prog="python -m crawler.crawl.run")
    parser.add_argument("--config", default=None)
    parser.add_argument(
        "--config-on-stdin",
        action="store_true",
        help="read the parent's config (pickled) from stdin instead of a file",
    )
    parser.add_argument("--source", action="append", default=[])
    parser.add_argument("--timeout", type=float, help="seconds (default: crawl.hard_timeout)")
    parser.add_argument("--log-format", default="text")
    parser.add_argument("--parent-pid", type=int, help="end when this process is gone")
    parser.add_argument("--backfill-since", type=datetime.fromisoformat, help="ISO 8601, aware")
    args = parser.parse_args(argv)
    parent_pid = args.parent_pid or os.getppid()

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
        # The config the parent runs with, not the file as it is now: a daemon keeps its
        # config when a reload finds the file broken, and so must its crawls.
        config = pickle.load(sys.stdin.buffer) if args.config_on_stdin else load_config(args.config)
        sources = [config.source(name) for name in args.source] or [
            s for s in config.sources if s.enabled
        ]
        # The parent (CLI or daemon) has applied the migrations already.
        db = open_database(config.database.url, migrate=False)
    except (ConfigError, DatabaseError) as exc:
        log.error("%s", exc)
        return ExitCode.CONFIG

    from scrapy.crawler import CrawlerProcess

    from crawler.crawl.resources import Resources
    from spiders import SPIDER_FOR_KIND

    resources = Resources(config, db, extras={"emit": emit}, backfill_since=args.backfill_since)
    if expects_many_pages(db, [s.name for s in sources], config.crawl.workers_min_pages):
        # While Scrapy starts up on one core, the page workers start on the others.
        resources.workers.start()
    process = CrawlerProcess(scrapy_settings(config, resources))
    # CrawlerProcess reconfigures logging; put Marsad's one-line-per-event handler back.
    setup_logging(args.log_format)
    for source in sources:
        process.crawl(SPIDER_FOR_KIND[source.kind], source=source)
    timeout = args.timeout or config.crawl.hard_timeout.total_seconds()
    stop_early(process, resources, timeout, parent_pid)
    process.start(install_signal_handlers=False)
    resources.close()
    return 0


def stop_early(process: Any, resources: Any, timeout: float, parent_pid: int) -> None:
    """Close every crawler when SIGTERM or SIGINT arrives, when `timeout` seconds pass, or when
    the parent dies; each records its run as stopped, timed out or abandoned, and the process
    then ends as after a full crawl."""
    # The crawlers above installed Scrapy's reactor; importing it earlier would install another.
    from twisted.internet import reactor as installed
    from twisted.internet.base import ReactorBase

    # Typed by zope interfaces, which mypy reads without their self argument; every Twisted
    # reactor is a ReactorBase.
    reactor = cast(ReactorBase, installed)

    def stop(status: str, message: str) -> None:
        if STOPPING not in resources.extras:
            resources.extras[STOPPING] = (status, message)
            process.stop()

    def on_signal(signum: int, _frame: Any) -> None:
        # A signal handler only hands over to the reactor's thread.
        reason = f"crawl stopped by {signal.Signals(signum).name}"
        reactor.callFromThread(stop, "stopped", reason)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    reactor.callLater(timeout, stop, "timeout", f"crawl timed out after {timeout:.0f}s")
    watch_parent(
        parent_pid,
        lambda: reactor.callFromThread(stop, "abandoned", "crawl abandoned: its parent died"),
    )


# --- the parent -----------------------------------------------------------------------------


@dataclass
class CrawlOutcome:
    summaries: dict[str, SourceSummary]
    returncode: int | None

    @property
    def all_failed(self) -> bool:
        return bool(self.summaries) and all(s.failed for s in self.summaries.values())


def run_crawl(
    config: Config,
    source_names: Sequence[str],
    *,
    timeout: float | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    log_format: str = "text",
    stderr: IO[Any] | int | None = None,
    stop_requested: Callable[[], bool] | None = None,
    stop_grace: float = STOP_GRACE_SECONDS,
    backfill_since: datetime | None = None,
) -> CrawlOutcome:
    """Crawl the named sources with `config` in a child process, and wait for it.

    The child closes its crawlers after `timeout` seconds (default: the config's hard timeout).
    Once `stop_requested()` is true, the crawl may go on for `stop_grace` seconds before the
    child is told to stop. A child that has not ended soon after either is killed with its
    process group. Sources that never finished are reported as timed out, stopped or failed.
    With `backfill_since`, the crawl is a backfill (see `crawler.crawl.resources.Resources`).
    """
    timeout = timeout if timeout is not None else config.crawl.hard_timeout.total_seconds()
    cmd = [
        sys.executable,
        "-m",
        "crawler.crawl.run",
        "--config-on-stdin",
        "--timeout",
        str(timeout),
        "--parent-pid",
        str(os.getpid()),
    ]
    cmd += ["--log-format", log_format]
    if backfill_since is not None:
        cmd += ["--backfill-since", backfill_since.isoformat()]
    for name in source_names:
        cmd += ["--source", name]
    summaries = {name: SourceSummary(source=name) for name in source_names}
    child = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        start_new_session=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        # A child that died at once closed its end; its exit code says why.
        with contextlib.suppress(BrokenPipeError):
            child.stdin.write(pickle.dumps(config))
            child.stdin.close()
        watch = ChildWatch(child, timeout, stop_requested, stop_grace)
        for event in watch.events():
            if event.get("source") in summaries and event.get("event") in {"progress", "done"}:
                summaries[event["source"]] = summary_of(event)
            if on_event is not None:
                on_event(event)
    except BaseException:
        # Whatever went wrong here, the child must not be left running unwatched.
        stop_process_group(child, STOP_KILL_GRACE_SECONDS)
        raise
    finally:
        child.stdout.close()
    returncode = child.wait()
    unfinished = [s for s in summaries.values() if s.status == "running"]
    for summary in unfinished:
        if watch.stopping:
            summary.status, summary.last_error = "stopped", "crawl stopped"
        elif watch.killed:
            summary.status = "timeout"
            summary.last_error = f"crawl timed out after {timeout:.0f}s"
        else:
            summary.status = "error"
            summary.last_error = f"crawl process exited with code {returncode}"
    if unfinished:
        _close_unfinished_runs(config, unfinished)
    return CrawlOutcome(summaries, returncode)


def summary_of(event: dict[str, Any]) -> SourceSummary:
    # Only known fields: a child from a newer install may report more.
    known = SourceSummary.__dataclass_fields__
    return SourceSummary(**{k: v for k, v in event.items() if k in known})


def _close_unfinished_runs(config: Config, unfinished: list[SourceSummary]) -> None:
    """The child ended without recording these sources' runs: record them from here."""
    try:
        db = Database(config.database.url)
    except DatabaseError:
        return
    try:
        for summary in unfinished:
            with db.read() as session:
                run_id = session.scalar(
                    select(CrawlRun.id)
                    .where(CrawlRun.source == summary.source, CrawlRun.status == "running")
                    .order_by(CrawlRun.id.desc())
                    .limit(1)
                )
            if run_id is None and not summary.failed:
                continue  # stopped before it started: there is no run to record
            summary.alerts += record_run(db, run_id, summary, config)
    finally:
        db.dispose()


if __name__ == "__main__":
    sys.exit(child_main())
