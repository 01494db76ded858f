"""Worker processes for the CPU-bound part of a crawl: examining and storing pages.

Scrapy runs a crawl on one thread, and Python threads share one core. Downloading a page costs
little CPU; extracting, analysing and storing it costs several times more. So a crawl with many
new pages is bound by one core while the others idle. :meth:`PageWorkers.handle` runs the whole
pass over a page (:func:`crawler.crawl.pages.examine`, then :func:`crawler.crawl.pages.settle`)
in a pool of processes instead, each with its own database connections, and the crawl process
only downloads. The database keeps storing race-free across processes as it does across crawls:
SQLite serializes writers (``BEGIN IMMEDIATE``), PostgreSQL takes advisory locks on the LSH
band keys, and unique constraints back both.

A pool is not free (most of a second of start-up), so it starts only when a crawl requests
at least ``min_pages`` article pages; a scheduled crawl that finds a few new pages examines
and stores them in the crawl process itself, with the same two functions.
A worker that dies (a page that crashes lxml, the OOM killer) costs the pages it held one
retry on a fresh pool; a page that breaks the pool twice fails alone, as a page error.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from crawler.crawl.pages import Outcome, Page, examine, settle
from crawler.storage.db import normalize_url

if TYPE_CHECKING:
    from crawler.analysis.analyzer import Analyzer
    from crawler.config import Config
    from crawler.storage.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
# Pages handed to the pool and not yet answered, per worker. Each hand-over goes through the
# crawl's reactor thread, which is busiest while pages pour in: with two pages per worker the
# workers sat idle a quarter of the time waiting for the next page (docs/benchmarks.md). Eight
# keep them fed, and a page's result still comes back a fraction of a second after it arrived.
PAGES_QUEUED_PER_WORKER = 8
# Imported once by the fork server, so that every worker forked from it has them already; the
# last one also builds what each worker would otherwise build at start.
PRELOAD = (
    "crawler.crawl.workers",
    "crawler.analysis.analyzer",
    "crawler.storage.grouping",
    "trafilatura",
    "htmldate",
    "dateparser",
    "crawler.crawl.forkserver_warmup",
)


@dataclass
class _WorkerState:
    analyzer: Analyzer
    store: Store


# Set in each worker process by `_start_worker`; the crawl process itself never reads it.
_worker: _WorkerState | None = None


def _start_worker(config: Config, backfill_since: datetime | None) -> None:
    global _worker
    from crawler.analysis.analyzer import Analyzer
    from crawler.storage.db import Database
    from crawler.storage.grouping import DevelopmentRecorder
    from crawler.storage.store import Store

    recorder = DevelopmentRecorder(config, alerting=backfill_since is None)
    store = Store(Database(config.database.url), recorder, oldest=backfill_since)
    _worker = _WorkerState(Analyzer.from_config(config), store)


def _state() -> _WorkerState:
    assert _worker is not None, "worker started without _start_worker"
    return _worker


def _ready() -> None:
    _state()


def _handle_in_worker(page: Page) -> Outcome:
    state = _state()
    verdict = examine(page, state.analyzer)
    try:
        return settle(verdict, state.store)
    except Exception as exc:
        # Database exceptions do not always survive pickling; the message is what is logged.
        raise WorkerError(f"{type(exc).__name__}: {exc}") from None


def worker_count(setting: int | str) -> int:
    """How many worker processes `crawl.workers` asks for; "auto" is one per core, up to 4."""
    if setting != "auto":
        return int(setting)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    # On one core a worker would only add copying between processes.
    return 0 if (cores or 1) < 2 else min(cores or 1, 4)


class PageWorkers:
    """Examines and stores pages, in worker processes once a crawl is big enough."""

    def __init__(
        self,
        config: Config,
        analyzer: Callable[[], Analyzer],
        store: Callable[[], Store],
        *,
        processes: int,
        min_pages: int,
        backfill_since: datetime | None = None,
    ) -> None:
        self.config = config
        self.backfill_since = backfill_since
        self._local_analyzer = analyzer
        self._local_store = store
        self.processes = processes
        self.min_pages = min_pages
        self.pages_expected = 0
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._starting: Future[None] | None = None
        self._closed = False
        self._slots = asyncio.Semaphore(max(1, PAGES_QUEUED_PER_WORKER * processes))

    @property
    def pooled(self) -> bool:
        """Whether pages go to the pool: it runs, or it is starting."""
        starting = self._starting is not None and not self._starting.done()
        return starting or self._pool is not None

    def expect(self, pages: int) -> None:
        """The crawl has requested `pages` more article pages; start the pool if worth it."""
        self.pages_expected += pages
        if self.pages_expected >= self.min_pages:
            self.start()

    def start(self) -> None:
        """Start the pool now, in the background, unless it is started or switched off.

        The fork server imports the page code first (most of a second) and each worker builds
        its analyzer: the crawl goes on downloading meanwhile.
        """
        if self.pooled or self._closed or self.processes <= 0:
            return
        started: Future[None] = Future()

        def run() -> None:
            try:
                self._start_pool()
            finally:
                started.set_result(None)

        self._starting = started
        threading.Thread(target=run, name="marsad-page-workers", daemon=True).start()

    def _start_pool(self) -> None:
        try:
            pool = self._ensure_pool()
            for _ in range(self.processes):
                pool.submit(_ready)
        except Exception as exc:  # noqa: BLE001 - any failure leaves the crawl in-process
            if self._closed:
                return  # the crawl ended while the pool was starting
            log.error("could not start page worker processes (%s); pages are examined here", exc)
            self.processes = 0
            failed = self._take_pool()
            if failed is not None:
                failed.shutdown(wait=False, cancel_futures=True)

    async def _started(self) -> None:
        if self._starting is not None and not self._starting.done():
            await asyncio.wrap_future(self._starting)

    async def handle(self, page: Page) -> Outcome:
        """Examine `page` and store it if it is relevant: in a worker process while the pool
        runs (no text travels back), else here."""
        await self._started()
        if self._pool is None or self._closed:
            verdict = examine(page, self._local_analyzer())
            if verdict.rejected is not None:
                return settle(verdict, self._local_store())
            # The transaction may wait on SQLite's write lock; keep it off the reactor thread.
            return await asyncio.to_thread(settle, verdict, self._local_store())
        # A bounded number of pages wait in the pool's queue, so that a page's result comes
        # back soon after it was downloaded rather than behind every page downloaded so far.
        async with self._slots:
            return await self._in_pool(_handle_in_worker, page, what=page.url)

    async def _in_pool(self, fn: Callable[..., T], *args: Any, what: str) -> T:
        await self._started()
        for attempt in (1, 2):
            pool = self._ensure_pool()
            try:
                return await asyncio.wrap_future(pool.submit(fn, *args))
            except BrokenProcessPool:
                self._discard(pool)
                if attempt == 2:
                    raise WorkerError(f"the page worker died twice on {what}") from None
                log.warning("a page worker died; retrying %s on a new pool", what)
        raise AssertionError("unreachable")

    def _ensure_pool(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._closed:
                raise RuntimeError("the page workers are closed")
            if self._pool is None:
                # Not forked from the crawl process: SQLite keeps process-wide lock state that
                # a fork copies mid-transaction, and a child that opens the same file deadlocks
                # on it. A fork server starts clean, imports the page code once, and forks each
                # worker from there, which costs a fraction of spawning them one by one.
                context = multiprocessing.get_context("forkserver")
                on_postgres = normalize_url(self.config.database.url).startswith("postgresql")
                context.set_forkserver_preload([*(["psycopg"] if on_postgres else []), *PRELOAD])
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=context,
                    initializer=_start_worker,
                    initargs=(self.config, self.backfill_since),
                )
                log.info("examining and storing pages in %d worker processes", self.processes)
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._pool_lock:
            if self._pool is not pool:
                return
            self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def _take_pool(self) -> ProcessPoolExecutor | None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        return pool

    def close(self) -> None:
        self._closed = True
        pool = self._take_pool()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class WorkerError(Exception):
    """A page could not be handled in a worker process; the message says why."""
