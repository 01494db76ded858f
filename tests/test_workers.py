"""crawler.crawl.pages and crawler.crawl.workers.PageWorkers: the same pass over a page (examine,
then store) in worker processes as in the crawl process, a worker that dies, and the SQLite
write lock that the workers' stores queue on."""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.analysis.analyzer import Analyzer
from crawler.analysis.extract import extract_article
from crawler.config import ConfigError, load_config
from crawler.crawl.pages import Outcome, Page, examine
from crawler.crawl.resources import Resources
from crawler.crawl.workers import WorkerError, worker_count
from crawler.storage.db import Database, open_database
from crawler.storage.models import Article, SeenUrl
from tests.fixtureweb import FIXED_ANCHOR, default_outlets, starter_specs
from tests.fixtureweb.templates import render_article


def fixture_pages() -> dict[str, Page]:
    """One page per starter spec, keyed by the spec's key, as the spider would hand them on."""
    outlet = default_outlets(1)[0]
    pages = {}
    for spec in starter_specs(FIXED_ANCHOR):
        url = outlet.url_for(spec)
        pages[spec.key] = Page(
            url=url, html=render_article(outlet, spec), source="sawt", fetched_at=FIXED_ANCHOR
        )
    return pages


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def test_examine_sets_aside_what_is_not_a_relevant_arabic_article(analyzer: Analyzer) -> None:
    def page(url: str, html: str) -> Page:
        return Page(url, html, source="sawt", fetched_at=FIXED_ANCHOR)

    empty = examine(
        page("https://x.example/a", "<html><body><nav>قائمة</nav></body></html>"), analyzer
    )
    assert empty.rejected == "empty"
    english = (
        "<html><body><article><h1>News</h1>" + "<p>The minister said the talks went on. </p>" * 20
    )
    assert (
        examine(
            page("https://x.example/b", english + "</article></body></html>"), analyzer
        ).rejected
        == "not_arabic"
    )

    specs = {s.key: s for s in starter_specs(FIXED_ANCHOR)}
    for key, fixture in fixture_pages().items():
        verdict = examine(fixture, analyzer)
        if specs[key].expected.relevant:
            assert verdict.rejected is None, key
            record = verdict.record
            assert record is not None and record.terms and record.topics
            assert verdict.fingerprint is not None and verdict.fingerprint.band_keys
            assert record.search_forms and all(record.search_forms)
            assert (record.source, record.fetched_at) == ("sawt", FIXED_ANCHOR)
            # A kept page is read in full: what extract_article gives.
            extracted = extract_article(
                fixture.html, fixture.url, tz=fixture.timezone, listed_at=fixture.listed_at
            )
            assert verdict.extracted == extracted and extracted is not None
            assert (record.url, record.text, record.published_at) == (
                extracted.canonical_url,
                extracted.text,
                extracted.published_at,
            )
        else:
            # Includes the page whose sidebar alone names S-400.
            assert verdict.rejected in {"irrelevant", "empty"}, key
            assert verdict.record is None and verdict.fingerprint is None
            # A page set aside is read no further than deciding that took.
            if verdict.extracted is not None:
                assert verdict.extracted.published_at is None and verdict.extracted.language is None


def pooled_resources(
    tmp_path: Path, db_url: str, processes: int = 2, name: str = "marsad.toml"
) -> Resources:
    config_path = tmp_path / name
    config_path.write_text(
        f'[database]\nurl = "{db_url}"\n\n[crawl]\nworkers = {processes}\nworkers_min_pages = 1\n',
        encoding="utf-8",
    )
    return Resources(load_config(config_path), open_database(db_url))


def handle_all(resources: Resources, pages: list[Page], *, pool: bool) -> list[Outcome]:
    async def run() -> list[Outcome]:
        if pool:
            resources.workers.start()
            assert resources.workers.pooled
        return list(await asyncio.gather(*(resources.workers.handle(p) for p in pages)))

    try:
        return asyncio.run(run())
    finally:
        resources.close()


def stored_rows(db_url: str) -> list[Any]:
    db = Database(db_url)
    try:
        with db.read() as session:
            return list(
                session.execute(
                    select(Article.id, Article.source, Article.fetched_at, Article.search_body)
                )
            )
    finally:
        db.dispose()


def test_pool_and_crawl_process_make_the_same_pass_over_pages(tmp_path: Path, db_url: str) -> None:
    pages = list(fixture_pages().values())
    pooled = handle_all(pooled_resources(tmp_path, db_url), pages, pool=True)
    local_url = f"sqlite:///{tmp_path / 'local.db'}"
    local = handle_all(
        pooled_resources(tmp_path, local_url, processes=0, name="local.toml"), pages, pool=False
    )

    def seen_from_outside(o: Outcome) -> tuple[Any, ...]:
        return (o.url, o.title, o.published_at, o.rejected, o.stored is not None)

    assert [seen_from_outside(o) for o in pooled] == [seen_from_outside(o) for o in local]
    for outcomes, url in ((pooled, db_url), (local, local_url)):
        stored = [o.stored for o in outcomes if o.stored is not None]
        assert stored and {r.status for r in stored} <= {"new", "copy"}
        rows = stored_rows(url)
        assert sorted(r.article_id for r in stored) == sorted(row.id for row in rows)
        assert {(row.source, row.fetched_at) for row in rows} == {("sawt", FIXED_ANCHOR)}
        assert all(row.search_body for row in rows), "search forms computed in the pass are kept"


def test_a_pooled_page_is_stored_where_it_was_examined_with_its_urls(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    specs = {s.key: s for s in starter_specs(FIXED_ANCHOR)}
    fixtures = fixture_pages()
    listed = {key: f"http://127.0.0.1/listed/{key}" for key in fixtures}
    pages = [dataclasses.replace(p, requested_url=listed[key]) for key, p in fixtures.items()]
    outcomes = dict(
        zip(
            fixtures,
            handle_all(pooled_resources(tmp_path, db_url, 1), pages, pool=True),
            strict=True,
        )
    )
    relevant = {key for key in fixtures if specs[key].expected.relevant}
    assert relevant and {k for k, o in outcomes.items() if o.rejected is None} == relevant
    assert all((o.stored is not None) == (k in relevant) for k, o in outcomes.items())
    db = Database(db_url)
    try:
        with db.read() as session:
            seen = dict(session.execute(select(SeenUrl.url, SeenUrl.article_id)).all())
    finally:
        db.dispose()
    # The article and the URL it was requested by are seen in the same transaction; the pages
    # set aside are the crawl's to record, in batches.
    for key in relevant:
        stored = outcomes[key].stored
        assert stored is not None
        assert seen[listed[key]] == seen[outcomes[key].url] == stored.article_id, key
    assert not {listed[key] for key in fixtures if key not in relevant} & set(seen)


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
        return await workers.handle(page)

    try:
        outcome = asyncio.run(run())
    finally:
        resources.close()
    assert outcome.url is not None and (outcome.stored is None) == (outcome.rejected is not None)
    assert workers.processes == 0 and not workers.pooled
    assert "could not start page worker processes (fork server refused" in caplog.text


def test_each_worker_has_pages_queued_but_not_the_whole_crawl(
    tmp_path: Path, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crawler.crawl.workers import PAGES_QUEUED_PER_WORKER

    resources = pooled_resources(tmp_path, f"sqlite:///{tmp_path / 'm.db'}")
    workers = resources.workers
    pages = list(fixture_pages().values()) * 3
    # Calls submitted to the pool and not yet answered, counted as pages flow.
    lock = threading.Lock()
    in_pool = most_in_pool = 0
    submit = ProcessPoolExecutor.submit

    def answered(_: Future[Any]) -> None:
        nonlocal in_pool
        with lock:
            in_pool -= 1

    def counted_submit(pool: ProcessPoolExecutor, fn: Any, /, *args: Any) -> Future[Any]:
        nonlocal in_pool, most_in_pool
        future = submit(pool, fn, *args)
        with lock:
            in_pool += 1
            most_in_pool = max(most_in_pool, in_pool)
        future.add_done_callback(answered)
        return future

    monkeypatch.setattr(ProcessPoolExecutor, "submit", counted_submit)

    async def run() -> list[Any]:
        workers.expect(len(pages))
        return await asyncio.gather(*(workers.handle(p) for p in pages))

    try:
        outcomes = asyncio.run(run())
    finally:
        resources.close()
    verdicts = [examine(p, analyzer) for p in pages]
    assert [(o.url, o.rejected) for o in outcomes] == [
        (v.extracted and v.extracted.canonical_url, v.rejected) for v in verdicts
    ]
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
    outcome = asyncio.run(resources.workers.handle(page))
    assert outcome.url is not None and not resources.workers.pooled
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
        after = await workers.handle(next(iter(fixture_pages().values())))
        return first, failed.value, after

    try:
        first, _error, after = asyncio.run(run())
    finally:
        resources.close()
    assert first == "done" and os.path.exists(marker)
    assert after.url is not None, "the crawl goes on with a fresh pool"


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
