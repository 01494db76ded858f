"""crawler.crawl.pages.examine and crawler.crawl.workers.PageWorkers: the same verdicts and stores in
worker processes as in the crawl process, a worker that dies, and the SQLite write lock that
the workers' stores queue on."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.analysis.analyzer import Analyzer
from crawler.analysis.extract import extract_article
from crawler.config import ConfigError, load_config
from crawler.crawl.pages import Origin, Page, article_record, examine
from crawler.crawl.resources import Resources
from crawler.crawl.workers import WorkerError, worker_count
from crawler.storage.db import Database, open_database
from crawler.storage.models import Article
from tests.fixtureweb import FIXED_ANCHOR, default_outlets, starter_specs
from tests.fixtureweb.templates import render_article


def fixture_pages() -> dict[str, Page]:
    """One page per starter spec, keyed by the spec's key, as the spider would hand them on."""
    outlet = default_outlets(1)[0]
    pages = {}
    for spec in starter_specs(FIXED_ANCHOR):
        url = outlet.url_for(spec)
        pages[spec.key] = Page(url=url, html=render_article(outlet, spec))
    return pages


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def test_examine_sets_aside_what_is_not_a_relevant_arabic_article(analyzer: Analyzer) -> None:
    empty = examine(
        Page("https://x.example/a", "<html><body><nav>قائمة</nav></body></html>"), analyzer
    )
    assert empty.rejected == "empty"
    english = (
        "<html><body><article><h1>News</h1>" + "<p>The minister said the talks went on. </p>" * 20
    )
    assert (
        examine(
            Page("https://x.example/b", english + "</article></body></html>"), analyzer
        ).rejected
        == "not_arabic"
    )

    specs = {s.key: s for s in starter_specs(FIXED_ANCHOR)}
    for key, page in fixture_pages().items():
        verdict = examine(page, analyzer)
        if specs[key].expected.relevant:
            assert verdict.rejected is None, key
            assert verdict.analysis is not None and verdict.analysis.relevant
            assert verdict.fingerprint is not None and verdict.fingerprint.band_keys
            assert verdict.search_body and verdict.search_title
            # A kept page is read in full: what extract_article gives.
            assert verdict.extracted == extract_article(
                page.html, page.url, tz=page.timezone, listed_at=page.listed_at
            )
        else:
            # Includes the page whose sidebar alone names S-400.
            assert verdict.rejected in {"irrelevant", "empty"}, key
            # A page set aside is read no further than deciding that took.
            if verdict.extracted is not None:
                assert verdict.extracted.published_at is None and verdict.extracted.language is None


def pooled_resources(tmp_path: Path, db_url: str, processes: int = 2) -> Resources:
    config_path = tmp_path / "marsad.toml"
    config_path.write_text(
        f'[database]\nurl = "{db_url}"\n\n[crawl]\nworkers = {processes}\nworkers_min_pages = 1\n',
        encoding="utf-8",
    )
    return Resources(load_config(config_path), open_database(db_url))


def test_pool_gives_the_same_verdicts_and_stores_in_the_database(
    tmp_path: Path, db_url: str, analyzer: Analyzer
) -> None:
    resources = pooled_resources(tmp_path, db_url)
    workers = resources.workers
    pages = fixture_pages()

    async def run() -> list[Any]:
        workers.expect(len(pages))
        assert workers.pooled
        verdicts = await asyncio.gather(*(workers.examine(p) for p in pages.values()))
        stored = []
        for verdict in verdicts:
            if verdict.rejected is None:
                record = article_record(verdict, Origin("sawt", FIXED_ANCHOR), None)
                stored.append(await workers.store(record, verdict.fingerprint))
        return [verdicts, stored]

    try:
        verdicts, stored = asyncio.run(run())
    finally:
        resources.close()
    assert verdicts == [examine(p, analyzer) for p in pages.values()]
    assert stored and {r.status for r in stored} <= {"new", "copy"}
    db = Database(db_url)
    try:
        with db.read() as session:
            rows = session.execute(select(Article.id, Article.search_body)).all()
    finally:
        db.dispose()
    assert sorted(r.article_id for r in stored) == sorted(row.id for row in rows)
    assert all(row.search_body for row in rows), "search forms computed in the worker are kept"


def test_a_pooled_page_is_stored_where_it_was_examined(tmp_path: Path, analyzer: Analyzer) -> None:
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    resources = pooled_resources(tmp_path, db_url, processes=1)
    specs = {s.key: s for s in starter_specs(FIXED_ANCHOR)}
    pages = fixture_pages()
    origin = Origin("sawt", FIXED_ANCHOR, "http://127.0.0.1/listed")

    async def run() -> list[Any]:
        resources.workers.start()
        return list(
            await asyncio.gather(
                *(resources.workers.examine(p, store_as=origin) for p in pages.values())
            )
        )

    try:
        verdicts = dict(zip(pages, asyncio.run(run()), strict=True))
    finally:
        resources.close()
    relevant = {key for key in pages if specs[key].expected.relevant}
    assert relevant and {k for k, v in verdicts.items() if v.rejected is None} == relevant
    for key in relevant:
        stored = verdicts[key].stored
        assert stored is not None and stored.status in {"new", "copy"}, key
        # The text's fingerprint and search forms stay in the worker that stored them.
        assert verdicts[key].fingerprint is None and not verdicts[key].search_body
    assert all(v.stored is None for k, v in verdicts.items() if k not in relevant)
    # So does every page's text: the crawl process counts pages, it does not read them.
    assert all(v.extracted is None or v.extracted.text == "" for v in verdicts.values())
    assert any(v.extracted is not None and v.extracted.title for v in verdicts.values())
    db = Database(db_url)
    try:
        with db.read() as session:
            rows = session.execute(select(Article.id, Article.source, Article.fetched_at)).all()
    finally:
        db.dispose()
    assert sorted(row.id for row in rows) == sorted(
        v.stored.article_id for v in verdicts.values() if v.stored is not None
    )
    assert {(row.source, row.fetched_at) for row in rows} == {("sawt", FIXED_ANCHOR)}


def test_a_pool_that_cannot_start_leaves_the_crawl_in_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    resources = pooled_resources(tmp_path, f"sqlite:///{tmp_path / 'm.db'}")
    workers = resources.workers

    def no_processes() -> Any:
        raise OSError("fork server refused: out of file descriptors")

    workers._ensure_pool = no_processes  # type: ignore[method-assign]
    page = next(iter(fixture_pages().values()))

    async def run() -> Any:
        workers.expect(10)
        return await workers.examine(page, store_as=Origin("sawt", FIXED_ANCHOR))

    try:
        verdict = asyncio.run(run())
    finally:
        resources.close()
    assert verdict.extracted is not None and verdict.stored is None
    assert workers.processes == 0 and not workers.pooled
    assert "could not start page worker processes (fork server refused" in caplog.text


def test_each_worker_has_pages_queued_but_not_the_whole_crawl(
    tmp_path: Path, analyzer: Analyzer
) -> None:
    from crawler.crawl.workers import PAGES_QUEUED_PER_WORKER

    resources = pooled_resources(tmp_path, f"sqlite:///{tmp_path / 'm.db'}")
    workers = resources.workers
    pages = list(fixture_pages().values()) * 3
    most_in_pool = 0

    async def watch(done: asyncio.Event) -> None:
        # The executor's own table of submitted, unanswered calls, read while pages flow.
        nonlocal most_in_pool
        while not done.is_set():
            pool = workers._pool
            if pool is not None:
                most_in_pool = max(most_in_pool, len(pool._pending_work_items))
            await asyncio.sleep(0)

    async def run() -> list[Any]:
        workers.expect(len(pages))
        done = asyncio.Event()
        watcher = asyncio.create_task(watch(done))
        try:
            return await asyncio.gather(*(workers.examine(p) for p in pages))
        finally:
            done.set()
            await watcher

    try:
        verdicts = asyncio.run(run())
    finally:
        resources.close()
    assert verdicts == [examine(p, analyzer) for p in pages]
    assert len(pages) > 2 * PAGES_QUEUED_PER_WORKER * 2
    # Enough waiting to keep both workers fed (more than the two per worker that left them
    # idle), and never the whole crawl at once; each worker's start-up probe counts as well.
    probes = workers.processes
    assert 2 * 2 + probes < most_in_pool <= PAGES_QUEUED_PER_WORKER * 2 + probes


def _warm_state() -> tuple[bool, bool]:
    import sys

    import trafilatura.external

    return (
        "crawler.crawl.forkserver_warmup" in sys.modules,
        trafilatura.external.JT_STOPLIST is not None,
    )


def test_workers_inherit_what_the_fork_server_built(tmp_path: Path) -> None:
    import sys

    resources = pooled_resources(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", processes=1)
    try:
        warmed = asyncio.run(resources.workers._in_pool(_warm_state, what="probe"))
    finally:
        resources.close()
    # No page has been extracted in the worker, so only the fork server can have built it.
    assert warmed == (True, True)
    assert "crawler.crawl.forkserver_warmup" not in sys.modules, "imported by the fork server only"


def test_small_crawl_stays_in_process(tmp_path: Path) -> None:
    resources = pooled_resources(tmp_path, f"sqlite:///{tmp_path / 'm.db'}")
    resources.workers.min_pages = 50
    resources.workers.expect(49)
    assert not resources.workers.pooled
    page = next(iter(fixture_pages().values()))
    verdict = asyncio.run(resources.workers.examine(page))
    assert verdict.extracted is not None and not resources.workers.pooled
    resources.close()


def _die_once(marker: str) -> str:
    """Kills its worker the first time (as a segfault in lxml would), succeeds the second."""
    if not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    return "done"


def _always_die() -> None:
    os._exit(1)


def test_a_dead_worker_costs_one_retry_and_a_doubly_fatal_page_fails_alone(
    tmp_path: Path,
) -> None:
    resources = pooled_resources(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", processes=1)
    workers = resources.workers
    marker = str(tmp_path / "died-once")

    async def run() -> tuple[str, BaseException, Any]:
        workers.expect(10)
        first = await workers._in_pool(_die_once, marker, what="page-a")
        with pytest.raises(WorkerError, match="died twice on page-b") as failed:
            await workers._in_pool(_always_die, what="page-b")
        after = await workers.examine(next(iter(fixture_pages().values())))
        return first, failed.value, after

    try:
        first, _error, after = asyncio.run(run())
    finally:
        resources.close()
    assert first == "done" and os.path.exists(marker)
    assert after.extracted is not None, "the crawl goes on with a fresh pool"


def test_worker_count_and_its_config_errors(tmp_path: Path) -> None:
    assert worker_count(3) == 3 and worker_count(0) == 0
    cores = len(os.sched_getaffinity(0))
    assert worker_count("auto") == (0 if cores < 2 else min(cores, 4))
    for bad in ("-1", '"many"'):
        path = tmp_path / "bad.toml"
        path.write_text(f"[crawl]\nworkers = {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"crawl\.workers"):
            load_config(path)


def _hold_write_lock(db_url: str, seconds: float, times: Any) -> None:
    db = Database(db_url)
    with db.write():
        times.put(("held", time.monotonic()))
        time.sleep(seconds)
        times.put(("released", time.monotonic()))
    db.dispose()


def test_sqlite_writers_in_other_processes_queue_on_the_lock_file(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    open_database(db_url).dispose()
    context = multiprocessing.get_context("spawn")
    times = context.Queue()
    holder = context.Process(target=_hold_write_lock, args=(db_url, 1.0, times))
    holder.start()
    assert times.get(timeout=30)[0] == "held"
    db = Database(db_url)
    try:
        with db.write():
            entered = time.monotonic()
    finally:
        db.dispose()
    holder.join(timeout=30)
    kind, released = times.get(timeout=5)
    assert kind == "released"
    assert entered >= released, "the second writer waited for the first to let go"
    assert entered - released < 0.5, "and was woken at once, not by SQLite's sleeping retries"
    assert (tmp_path / "m.db.write-lock").exists()
