"""The daemon behind `marsad run`: an APScheduler 3.x BackgroundScheduler and a main thread that
waits for signals.

Jobs: one crawl per source at its interval (plus jitter), the alert dispatcher every few
seconds, the spike check every few minutes, the daily digest, and maintenance. Every job has an explicit id, ``coalesce=True``,
``max_instances=1`` and a ``misfire_grace_time``. Crawls run in child processes (see
`crawler.crawl.run`), at most ``crawl.max_parallel_crawls`` at once.

Signals never do work in the handler: it sets the stop flag (SIGTERM, SIGINT) that running jobs
read, and hands the signal to the daemon's main thread through a queue; the main thread stops or
reloads. The scheduler runs its jobs from a thread of its own meanwhile.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts.jobs import AlertJobs
from crawler.cluster import MISSING_REDIS, ClusterError, NodeAlreadyRunning
from crawler.config import Config, ConfigError, load_config
from crawler.crawl.orphans import abandon_orphaned_runs, abandon_runs_of
from crawler.crawl.run import STOP_GRACE_SECONDS, CrawlOutcome, SourceSummary, run_crawl, summary_of
from crawler.storage.db import Database, DatabaseError, open_database
from crawler.storage.locking import AlreadyRunning, InstanceLock
from crawler.vocab import Channel, ExitCode

if TYPE_CHECKING:
    from crawler.cluster.nodes import Node

log = logging.getLogger("marsad.scheduler")


# Sources falling due within this window share one crawl process.
BATCH_WINDOW_SECONDS = 0.3
# How often today's reports are counted against the days before (the spike alert).
SPIKE_CHECK_SECONDS = 600
# The main thread's wait for a signal ends when the signal interrupts it; one that comes just
# before the wait begins, or lands on another thread, has its handler run when the wait times out.
SIGNAL_POLL_SECONDS = 1.0


class Daemon:
    def __init__(
        self, config: Config, *, config_path: str | None, log_format: str = "text"
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.log_format = log_format
        # Set by the signal handler, read by the jobs: a plain attribute, because a handler must
        # not take a lock (an Event's) that the thread it interrupted may hold.
        self.stopping = False
        # Signals for the main thread; SimpleQueue.put is reentrant, safe inside a handler.
        self.signals: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.db: Database | None = None
        self._batch_lock = threading.Lock()
        self._due: set[str] = set()
        self._crawling: set[str] = set()
        self._started: dict[str, float] = {}
        self.scheduler: BackgroundScheduler | None = None
        self._alert_jobs: AlertJobs | None = None
        # In cluster mode: this daemon as a node, holding the leases of the sources it crawls.
        self.node: Node | None = None

    # --- jobs -------------------------------------------------------------------------------

    def crawl(self, names: list[str]) -> CrawlOutcome:
        """Crawl `names` in one child; each source is reported (and released for its next
        run) as soon as it finishes, not when the slowest source in the child does."""
        reported: set[str] = set()

        def on_event(event: dict[str, Any]) -> None:
            if event.get("event") == "done" and event.get("source") in names:
                summary = summary_of(event)
                self._report(summary)
                reported.add(summary.source)
                self._release_lease(summary.source)
                with self._batch_lock:
                    self._crawling.discard(summary.source)

        lease_lost: list[bool] = []

        def stop_requested() -> bool:
            if self.stopping:
                return True
            # In a cluster, a crawl whose lease is lost stops: another node may crawl it now.
            if self.node is None or self.node.may_go_on(n for n in names if n not in reported):
                return False
            if not lease_lost:
                lease_lost.append(True)
                log.error(
                    "[%s] crawl stopped: its lease was lost or could not be renewed in time",
                    ", ".join(n for n in names if n not in reported),
                )
            return True

        try:
            outcome = run_crawl(
                self.config,
                names,
                log_format=self.log_format,
                stop_requested=stop_requested,
                on_event=on_event,
            )
        finally:
            for name in names:
                self._release_lease(name)
        for summary in outcome.summaries.values():
            if summary.source not in reported:
                self._report(summary)
        report_cycle(outcome)
        return outcome

    def _take_leases(self, names: list[str], *, fair: bool = True) -> list[str]:
        """In a cluster, the sources of `names` this node may crawl now: those no other node
        holds and none crawled less than an interval ago, and (`fair`) no more than its share
        of the sources, so that nodes starting together split them. On one machine, all."""
        if self.node is None:
            return names
        limit = None
        if fair:
            limit = self.node.share(sum(1 for s in self.config.sources if s.enabled))
        taken = self.node.leases.take_due(
            ((n, self.config.source(n).interval) for n in names), limit
        )
        # A lease taken anew is this node's again, whatever became of the last one.
        self.node.lost.difference_update(taken)
        assert self.db is not None
        abandon_runs_of(self.db, taken)
        return taken

    def _release_lease(self, name: str) -> None:
        if self.node is not None:
            self.node.leases.release(name)
            self.node.lost.discard(name)

    @staticmethod
    def _report(summary: SourceSummary) -> None:
        """The one line a source gets per crawl: its figures, and why it failed."""
        level = logging.WARNING if summary.failed else logging.INFO
        log.log(
            level,
            "[%s] crawl %s: pages=%d relevant=%d stored=%d copies=%d errors=%d%s",
            summary.source,
            summary.status,
            summary.pages,
            summary.relevant,
            summary.stored,
            summary.copies,
            summary.errors,
            f" last error: {summary.last_error}" if summary.last_error else "",
            extra={"data": asdict(summary)},
        )

    def crawl_job(self, name: str) -> None:
        """Crawl `name`, together with whatever other sources are due at the same moment.

        A child process costs seconds of imports before it fetches anything, so sources that
        fall due together share one child (one CrawlerProcess, one crawler each). A source
        whose previous crawl is still running is not started twice.
        """
        if self.stopping:
            return
        with self._batch_lock:
            if name in self._crawling or self._crawled_recently(name):
                return
            self._due.add(name)
        time.sleep(BATCH_WINDOW_SECONDS)
        with self._batch_lock:
            if self.stopping:
                self._due.clear()
                return
            if self._due and (self.node is None or self.node.may_gather()):
                # Sources due within half their interval come along: schedules drift apart, and
                # each child of its own would pay the start-up again.
                self._due.update(n for n in self._due_soon() if n not in self._crawling)
            batch = self._take_leases(sorted(self._due))
            self._due.clear()
            self._crawling.update(batch)
            now = time.monotonic()
            self._started.update((n, now) for n in batch)
        if not batch:
            return  # another job took this source into its batch
        try:
            self.crawl(batch)
        except Exception:
            # A job error is logged with its sources and never reaches the scheduler.
            log.exception("[%s] crawl job failed", ", ".join(batch))
        finally:
            with self._batch_lock:
                self._crawling.difference_update(batch)

    def _interval(self, name: str) -> float:
        return self.config.source(name).interval.total_seconds()

    def _crawled_recently(self, name: str) -> bool:
        """Taken early into another source's batch: this run of its own job is not needed."""
        started = self._started.get(name)
        return started is not None and time.monotonic() - started < self._interval(name) / 2

    def _due_soon(self) -> list[str]:
        """Sources never crawled, or last started more than half their interval ago.

        Read from the daemon's own record, not the jobs' next run times: jobs that fired
        together but wait for an executor thread have their next run time moved on already, and
        at start-up every source would get a crawl process of its own.
        """
        now = time.monotonic()
        return [
            s.name
            for s in self.config.sources
            if s.enabled
            and now - self._started.get(s.name, -float("inf")) >= self._interval(s.name) / 2
        ]

    def alert_jobs(self) -> AlertJobs:
        """Dispatch, digest and spike check for the loaded config (made anew on a reload)."""
        if self._alert_jobs is None:
            assert self.db is not None
            self._alert_jobs = AlertJobs(self.db, self.config, self.stop_requested)
        return self._alert_jobs

    def maintenance_job(self) -> None:
        try:
            assert self.db is not None
            with self.db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA optimize" if self.db.is_sqlite else "ANALYZE")
                conn.commit()
        except Exception:
            log.exception("database maintenance failed")

    # --- lifecycle --------------------------------------------------------------------------

    def stop_requested(self) -> bool:
        return self.stopping

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum != signal.SIGHUP:
            self.stopping = True
        self.signals.put(signum)

    def install_signal_handlers(self) -> dict[int, Any]:
        """The daemon's handlers; returns those they replace."""
        return {
            sig: signal.signal(sig, self._on_signal)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        }

    def open(self) -> InstanceLock | Node:
        self.db = open_database(self.config.database.url)
        if self.config.cluster is not None:
            try:
                from crawler.cluster.nodes import join
            except ImportError:
                raise ClusterError(MISSING_REDIS) from None

            # Many daemons share the database: each is one node, unique by its name.
            self.node = join(self.config.cluster)
            abandon_orphaned_runs(self.db)
            return self.node
        lock = InstanceLock(self.db)
        lock.acquire()
        # Holding the lock, no other daemon's crawls are under way: a killed one's may be left.
        abandon_orphaned_runs(self.db)
        return lock

    def run_once(self) -> int:
        # `run --once` crawls whatever no other node holds: it does not come back for the rest.
        names = self._take_leases([s.name for s in self.config.sources if s.enabled], fair=False)
        outcome = self.crawl(names) if names else CrawlOutcome({}, 0)
        if outcome.returncode == ExitCode.CONFIG:
            return ExitCode.CONFIG
        self.alert_jobs().spike()
        report = self.alert_jobs().dispatch_once()
        log.info(
            "dispatch: %d sent, %d to retry, %d failed", report.sent, report.retrying, report.failed
        )
        return ExitCode.ALL_SOURCES_FAILED if outcome.all_failed else ExitCode.OK

    def build_scheduler(self) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={
                "default": ThreadPoolExecutor(4),
                "crawls": ThreadPoolExecutor(self.config.crawl.max_parallel_crawls),
                # One thread per channel's dispatch job: a hung channel never takes another's.
                "dispatch": ThreadPoolExecutor(len(Channel)),
            },
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        first_crawl_delay = timedelta(seconds=0.1)
        if self.config.cluster is not None:
            first_crawl_delay += self.config.cluster.heartbeat
        for source in self.config.sources:
            if not source.enabled:
                continue
            interval = source.interval.total_seconds()
            if self.config.cluster is not None:
                # The job asks for the source's lease this often; the lease and the last crawl's
                # time in Redis decide whether it is due, so a dead node's sources are taken
                # over within a lease or two rather than an interval.
                interval = min(interval, self.config.cluster.lease.total_seconds())
            scheduler.add_job(
                self.crawl_job,
                IntervalTrigger(seconds=interval, jitter=min(30.0, interval * 0.1)),
                args=[source.name],
                id=f"crawl:{source.name}",
                name=f"crawl {source.name}",
                executor="crawls",
                misfire_grace_time=max(1, int(interval)),
                # The first crawl of every source starts now rather than one interval later
                # (in a cluster, one heartbeat from now: nodes started together see each other
                # before they share out the sources).
                next_run_time=datetime.now(UTC) + first_crawl_delay,
            )
        alerts = self.config.alerts
        jobs = self.alert_jobs()
        for channel in Channel:
            scheduler.add_job(
                jobs.dispatch,
                IntervalTrigger(seconds=alerts.dispatch_interval.total_seconds()),
                args=[channel.value],
                id=f"dispatch:{channel}",
                name=f"dispatch {channel} alerts",
                executor="dispatch",
                misfire_grace_time=30,
                next_run_time=datetime.now(UTC),
            )
        scheduler.add_job(
            jobs.spike,
            IntervalTrigger(seconds=SPIKE_CHECK_SECONDS),
            id="spike",
            name="spike check",
            misfire_grace_time=SPIKE_CHECK_SECONDS,
        )
        hour, minute = (int(part) for part in alerts.digest_at.split(":"))
        scheduler.add_job(
            jobs.digest,
            CronTrigger(hour=hour, minute=minute, timezone=alerts.digest_timezone),
            id="digest",
            name="daily digest",
            misfire_grace_time=3600,
        )
        scheduler.add_job(
            self.maintenance_job,
            CronTrigger(hour=3, minute=30, timezone=UTC),
            id="maintenance",
            name="database maintenance",
            misfire_grace_time=3600,
        )
        return scheduler

    def start_scheduler(self) -> BackgroundScheduler:
        scheduler = self.scheduler = self.build_scheduler()
        log.info(
            "marsad running: %d sources, database %s (config: %s)%s",
            sum(1 for job in scheduler.get_jobs() if job.id.startswith("crawl:")),
            self.db.url if self.db and self.db.is_sqlite else "PostgreSQL",
            self.config.origin,
            f", cluster node {self.node.name}" if self.node else "",
        )
        scheduler.start()
        return scheduler

    def run_forever(self) -> int:
        """Run the jobs until a stop signal; a SIGHUP reloads the config between them."""
        scheduler = self.start_scheduler()
        while True:
            self.wait_for_signal()
            if not self.stopping:
                config = self.read_config()
                if config is None:
                    continue  # reported once; the same jobs go on
                scheduler.shutdown(wait=True)
                # A stop that came while the running crawls finished wins over the reload.
                if not self.stopping:
                    self.config = config
                    self._alert_jobs = None
                    log.info("config reloaded from %s", config.origin)
                    scheduler = self.start_scheduler()
                    continue
            log.info("stopping: waiting up to %ss for running crawls", STOP_GRACE_SECONDS)
            if scheduler.running:
                scheduler.shutdown(wait=True)
            # What became ready while crawls finished still goes out before the exit.
            self.alert_jobs().drain()
            log.info("stopped")
            return ExitCode.OK

    def wait_for_signal(self) -> None:
        """Wait for a signal; those that came together count as one (two SIGHUPs: one reload)."""
        while True:
            try:
                self.signals.get(timeout=SIGNAL_POLL_SECONDS)
                break
            except queue.Empty:
                continue
        while not self.signals.empty():
            self.signals.get_nowait()

    def read_config(self) -> Config | None:
        try:
            config = load_config(self.config_path).with_secrets()
        except ConfigError as exc:
            log.error("config reload failed, keeping the running config: %s", exc)
            return None
        # The database and the cluster membership are opened once, at start: a reload cannot
        # move them (crawl children would write elsewhere than the daemon reads), so a change
        # there waits for a restart, and says so.
        kept = {}
        for key in ("database", "cluster"):
            if getattr(config, key) != getattr(self.config, key):
                kept[key] = getattr(self.config, key)
                log.warning(
                    "config reload: [%s] changed; it takes effect when the daemon restarts "
                    "(the running one keeps its %s)",
                    key,
                    key,
                )
        return config.model_copy(update=kept) if kept else config


def report_cycle(outcome: CrawlOutcome) -> None:
    """One line per crawl cycle (one crawl process and the sources it took): what it did."""
    summaries = list(outcome.summaries.values())
    failed = [s.source for s in summaries if s.failed]
    stopped = [s.source for s in summaries if s.status == "stopped"]
    data = {
        "sources": len(summaries),
        "ok": sum(1 for s in summaries if s.status == "ok"),
        "failed": len(failed),
        "stopped": len(stopped),
        "pages": sum(s.pages for s in summaries),
        "new": sum(s.stored for s in summaries),
        "copies": sum(s.copies for s in summaries),
        "alerts_queued": sum(s.alerts for s in summaries),
    }
    log.info(
        "crawl cycle: %d sources ok, %d failed%s%s; %d pages fetched, %d new articles, "
        "%d copies, %d alerts queued",
        data["ok"],
        data["failed"],
        f" ({', '.join(failed)})" if failed else "",
        f", {len(stopped)} stopped" if stopped else "",
        data["pages"],
        data["new"],
        data["copies"],
        data["alerts_queued"],
        extra={"data": {**data, "failed_sources": failed}},
    )


def main(
    config: Config, *, config_path: str | None, once: bool = False, log_format: str = "text"
) -> int:
    daemon = Daemon(config, config_path=config_path, log_format=log_format)
    try:
        lock = daemon.open()
    except DatabaseError as exc:
        log.error("%s", exc)
        return ExitCode.CONFIG
    except (AlreadyRunning, NodeAlreadyRunning) as exc:
        log.error("%s; refusing to start a second instance", exc)
        return ExitCode.CONFIG
    except ClusterError as exc:
        log.error("%s", exc)
        return ExitCode.CONFIG
    previous = daemon.install_signal_handlers()
    try:
        return daemon.run_once() if once else daemon.run_forever()
    finally:
        # The caller's handlers again: `run --once` also runs inside a test's process.
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        lock.release()
        if daemon.db is not None:
            daemon.db.dispose()
