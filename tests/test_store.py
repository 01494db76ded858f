"""crawler.storage.store on SQLite and PostgreSQL: copies, revisions, re-pointing, seen URLs, feed
validators, and the races that unique constraints and locks must make harmless."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawler.storage.db import Database, alembic_config
from crawler.storage.dedup import Fingerprint
from crawler.storage.dedup import fingerprint as fingerprint_of
from crawler.storage.models import Article, Base, Development, FeedState, LshBand, SeenUrl
from crawler.storage.originals import OriginalFinder
from crawler.storage.seen import SeenEntry, SeenStatus
from crawler.storage.store import ArticleRecord, Store
from tests.test_dedup_crawl import (
    ALGERIA_COPY_AGENCY,
    ALGERIA_COPY_LEAD,
    ALGERIA_ORIGINAL,
    EGYPT_DENIAL,
    EGYPT_WARNING,
)

T0 = datetime(2021, 9, 14, 9, 30, tzinfo=UTC)


def record(
    url: str,
    paragraphs: list[str],
    *,
    hours: float = 0,
    source: str = "sawt",
    precision: str = "second",
    topics: tuple[str, ...] = ("contract",),
    countries: tuple[str, ...] = ("Algeria", "Russia"),
    listed_at: datetime | None = None,
) -> tuple[ArticleRecord, Fingerprint]:
    text = "\n".join(paragraphs)
    published = T0 + timedelta(hours=hours)
    if precision == "day":
        published = published.replace(hour=0, minute=0)
    rec = ArticleRecord(
        source=source,
        url=url,
        title=paragraphs[0][:60],
        text=text,
        fetched_at=datetime.now(UTC),
        published_at=published,
        published_precision=precision,
        listed_at=listed_at,
        topics=list(topics),
        countries=list(countries),
        evidence={t: paragraphs[0] for t in topics},
    )
    return rec, fingerprint(text)


def fingerprint(text: str, *, with_bands: bool = True) -> Fingerprint:
    fp = fingerprint_of(text)
    return fp if with_bands else Fingerprint(fp.normalized, fp.content_hash, [])


class DevelopmentRecorder:
    """A development hook: each new original opens a development and queues one alert."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, bool]] = []
        self.lock = threading.Lock()

    def __call__(self, session: Session, article: Article, is_revision: bool) -> tuple[int, int]:
        with self.lock:
            self.calls.append((article.id, is_revision))
        if article.development_id is not None:
            return article.development_id, 0
        dev = Development(
            topic=article.topics[0],
            topics=list(article.topics),
            countries=list(article.countries),
            first_article_id=article.id,
            first_published_at=article.published_at,
        )
        session.add(dev)
        session.flush()
        return dev.id, 1


def mark_seen(
    store: Store,
    urls: list[str],
    status: SeenStatus,
    *,
    listed_at: datetime | None = None,
    source: str = "sawt",
) -> None:
    store.mark_seen([SeenEntry(urls, source, status, None, listed_at)])


def rows(database: Database) -> list[Article]:
    with database.read() as session:
        return list(session.scalars(select(Article).order_by(Article.id)))


def originals(database: Database) -> list[Article]:
    return [a for a in rows(database) if a.duplicate_of is None]


# --- copies ---------------------------------------------------------------------------------


def test_exact_duplicate_text_is_a_copy(database: Database) -> None:
    store = Store(database)
    first = store.store_article(*record("http://a.test/1", ALGERIA_ORIGINAL))
    # Same words, other whitespace: the same normalized text hash.
    spaced = [p.replace(" ", "  ") for p in ALGERIA_ORIGINAL]
    second = store.store_article(*record("http://b.test/9", spaced, hours=2, source="bayraq"))
    assert first.status == "new"
    assert (second.status, second.original_id) == ("copy", first.article_id)
    assert second.scores is not None and second.scores.containment == 1.0
    copy = rows(database)[1]
    assert (copy.url, copy.source, copy.duplicate_of) == (
        "http://b.test/9",
        "bayraq",
        first.article_id,
    )
    with database.read() as session:
        # Only originals are candidates: a copy adds nothing to the band index.
        indexed = set(session.scalars(select(LshBand.article_id).distinct()))
        seen = dict(session.execute(select(SeenUrl.url, SeenUrl.status)).all())
    assert indexed == {first.article_id}
    assert seen == {"http://a.test/1": "article", "http://b.test/9": "copy"}


def test_edited_copies_join_and_related_stories_stay_apart(database: Database) -> None:
    hook = DevelopmentRecorder()
    store = Store(database, hook)
    original = store.store_article(*record("http://a.test/dz", ALGERIA_ORIGINAL))
    lead = store.store_article(
        *record("http://b.test/dz", ALGERIA_COPY_LEAD, hours=4, topics=("negotiation",))
    )
    agency = store.store_article(*record("http://c.test/dz", ALGERIA_COPY_AGENCY, hours=8))
    assert [lead.status, agency.status] == ["copy", "copy"]
    assert lead.original_id == agency.original_id == original.article_id
    # The copy shares the original's analysis, whatever its own classification said.
    stored = {a.url: a for a in rows(database)}
    assert stored["http://b.test/dz"].topics == ["contract"]
    assert stored["http://b.test/dz"].development_id == original.development_id is not None
    assert hook.calls == [(original.article_id, False)], "a copy never opens a development"

    denial = store.store_article(
        *record("http://a.test/eg1", EGYPT_DENIAL, topics=("negotiation",), countries=("Egypt",))
    )
    warning = store.store_article(
        *record("http://b.test/eg2", EGYPT_WARNING, hours=20, topics=("sanction",))
    )
    assert (denial.status, warning.status) == ("new", "new")
    assert len(originals(database)) == 3


# --- revisions --------------------------------------------------------------------------------


def test_revision_keeps_the_id_and_unchanged_text_is_a_no_op(database: Database) -> None:
    hook = DevelopmentRecorder()
    store = Store(database, hook)
    url = "http://a.test/dz"
    first = store.store_article(*record(url, ALGERIA_ORIGINAL))
    copy = store.store_article(*record("http://b.test/dz", ALGERIA_COPY_LEAD, hours=3))
    again = store.store_article(*record(url, ALGERIA_ORIGINAL))
    assert (again.status, again.article_id) == ("unchanged", first.article_id)

    edited = [*ALGERIA_ORIGINAL, "وأكد المسؤول أن الشحنة الأولى ستصل عبر ميناء وهران."]
    later = T0 + timedelta(hours=6)
    rec, fp = record(url, edited, topics=("contract", "delivery"), listed_at=later)
    revised = store.store_article(rec, fp)
    assert (revised.status, revised.article_id) == ("revision", first.article_id)
    [article] = [a for a in rows(database) if a.url == url]
    assert article.revision == 2 and article.content_hash == fp.content_hash
    assert "ميناء وهران" in article.text
    assert article.published_at == T0
    # The original's new analysis reaches its copies; no second development is opened.
    [copy_row] = [a for a in rows(database) if a.id == copy.article_id]
    assert copy_row.topics == ["contract", "delivery"]
    assert [c for c in hook.calls if not c[1]] == [(first.article_id, False)]
    with database.read() as session:
        seen = session.get(SeenUrl, url)
        assert seen is not None and seen.listed_at == later
        # The band index follows the new text.
        assert session.scalar(
            select(func.count()).select_from(LshBand).where(LshBand.article_id == first.article_id)
        ) == len(set(fp.band_keys))


def test_a_page_from_another_source_never_revises_an_article(database: Database) -> None:
    hook = DevelopmentRecorder()
    store = Store(database, hook)
    url = "http://a.test/dz"
    first = store.store_article(*record(url, ALGERIA_ORIGINAL))
    rec, fp = record(url, EGYPT_WARNING, source="bayraq", topics=("sanction",))
    rec.requested_url = "http://b.test/claims-dz"
    claimed = store.store_article(rec, fp)
    assert (claimed.status, claimed.article_id) == ("foreign", first.article_id)
    [article] = rows(database)
    assert (article.source, article.revision) == ("sawt", 1)
    assert article.text == "\n".join(ALGERIA_ORIGINAL) and article.topics == ["contract"]
    assert hook.calls == [(first.article_id, False)]
    with database.read() as session:
        own = session.get(SeenUrl, url)
        assert own is not None and own.source == "sawt"
        assert session.get(SeenUrl, "http://b.test/claims-dz") is not None


def test_a_revised_url_is_not_fetched_again_for_the_same_listed_date(database: Database) -> None:
    store = Store(database)
    day = T0
    mark_seen(store, ["http://a.test/1"], SeenStatus.IRRELEVANT, listed_at=day)
    mark_seen(store, ["http://a.test/2"], SeenStatus.ARTICLE)
    listed = {
        "http://a.test/1": day,  # same date: seen
        "http://a.test/2": day,  # known without a date: a date alone is no revision
        "http://a.test/3": None,  # new
    }
    assert store.urls_to_fetch(listed) == ["http://a.test/3"]
    assert store.urls_to_fetch({"http://a.test/1": day + timedelta(minutes=5)}) == [
        "http://a.test/1"
    ]
    mark_seen(
        store, ["http://a.test/1"], SeenStatus.IRRELEVANT, listed_at=day + timedelta(minutes=5)
    )
    assert store.urls_to_fetch({"http://a.test/1": day + timedelta(minutes=5)}) == []
    # An older listed date never moves the stored one back.
    mark_seen(store, ["http://a.test/1"], SeenStatus.IRRELEVANT, listed_at=day)
    assert store.urls_to_fetch({"http://a.test/1": day + timedelta(minutes=5)}) == []


def test_a_batch_of_set_aside_pages_inserts_new_urls_and_updates_known_ones(
    database: Database,
) -> None:
    store = Store(database)
    mark_seen(store, ["http://a.test/known"], SeenStatus.ARTICLE, listed_at=T0)
    later = T0 + timedelta(hours=1)
    irrelevant, invalid = SeenStatus.IRRELEVANT, SeenStatus.INVALID
    store.mark_seen(
        [
            SeenEntry(["http://a.test/1", "http://a.test/1?utm_source=x"], "sawt", irrelevant),
            SeenEntry(["http://a.test/known"], "sawt", irrelevant, None, later),
            SeenEntry(["http://a.test/2", None], "ain", invalid, None, T0),  # type: ignore[list-item]
            # The same page twice in one batch: the later verdict is the one kept.
            SeenEntry(["http://a.test/2"], "ain", irrelevant, None, later),
        ]
    )
    with database.read() as session:
        seen = {row.url: row for row in session.scalars(select(SeenUrl))}
    assert sorted(seen) == [
        "http://a.test/1",
        "http://a.test/1?utm_source=x",
        "http://a.test/2",
        "http://a.test/known",
    ]
    assert (
        seen["http://a.test/1"].status == "irrelevant" and seen["http://a.test/1"].source == "sawt"
    )
    assert (seen["http://a.test/known"].status, seen["http://a.test/known"].listed_at) == (
        "irrelevant",
        later,
    )
    assert (seen["http://a.test/2"].status, seen["http://a.test/2"].listed_at) == (
        "irrelevant",
        later,
    )
    assert store.urls_to_fetch(dict.fromkeys(seen, later)) == []


# --- re-pointing ------------------------------------------------------------------------------


def test_an_earlier_copy_repoints_the_original(database: Database) -> None:
    hook = DevelopmentRecorder()
    store = Store(database, hook)
    first = store.store_article(*record("http://a.test/dz", ALGERIA_ORIGINAL, hours=10))
    copy = store.store_article(*record("http://b.test/dz", ALGERIA_COPY_LEAD, hours=14))
    late = store.store_article(*record("http://c.test/dz", ALGERIA_COPY_AGENCY, hours=2))
    assert (late.status, late.repointed, late.original_id) == ("new", True, late.article_id)
    assert late.development_id == first.development_id

    by_id = {a.id: a for a in rows(database)}
    assert by_id[late.article_id].duplicate_of is None
    assert by_id[first.article_id].duplicate_of == late.article_id
    assert by_id[copy.article_id].duplicate_of == late.article_id
    assert {a.development_id for a in by_id.values()} == {first.development_id}
    with database.read() as session:
        [dev] = session.scalars(select(Development)).all()
        indexed = set(session.scalars(select(LshBand.article_id).distinct()))
    assert dev.first_article_id == late.article_id
    assert dev.first_published_at == T0 + timedelta(hours=2)
    assert indexed == {late.article_id}
    assert len(hook.calls) == 1, "re-pointing opens no development and queues no alert"

    # A fourth copy, later than all, joins the new root.
    fourth = store.store_article(
        *record("http://d.test/dz", ALGERIA_ORIGINAL, hours=30, source="d")
    )
    assert (fourth.status, fourth.original_id) == ("copy", late.article_id)


def test_a_day_only_date_on_the_same_day_does_not_repoint(database: Database) -> None:
    store = Store(database)
    first = store.store_article(*record("http://a.test/dz", ALGERIA_ORIGINAL, hours=1))
    # "14 September" from a page that writes no time is stored as 00:00; it is no proof that
    # the copy came first.
    same_day = store.store_article(
        *record("http://b.test/dz", ALGERIA_COPY_LEAD, hours=1, precision="day")
    )
    assert (same_day.status, same_day.original_id) == ("copy", first.article_id)
    day_before = store.store_article(
        *record("http://c.test/dz", ALGERIA_COPY_AGENCY, hours=-24, precision="day")
    )
    assert day_before.repointed


# --- races ------------------------------------------------------------------------------------


def test_integrity_error_on_insert_is_retried_as_a_copy(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(database)
    first = store.store_article(*record("http://a.test/dz", ALGERIA_ORIGINAL))
    # As if another writer committed the same text between our lookup and our insert: the
    # first lookup misses, the unique index on originals' hashes refuses the second original.
    real = OriginalFinder.find
    misses = iter([True])
    errors: list[BaseException] = []

    def stale_lookup(
        self: OriginalFinder, session: Session, fp: Fingerprint, at: datetime | None = None
    ) -> Any:
        if next(misses, False):
            return None, None
        return real(self, session, fp, at)

    def spy(self: Store, session: Session, rec: ArticleRecord, fp: Fingerprint) -> Any:
        try:
            return real_store(self, session, rec, fp)
        except IntegrityError as exc:
            errors.append(exc)
            raise

    real_store = Store._store
    monkeypatch.setattr(OriginalFinder, "find", stale_lookup)
    monkeypatch.setattr(Store, "_store", spy)
    result = store.store_article(*record("http://b.test/dz", ALGERIA_ORIGINAL, hours=1))
    assert len(errors) == 1
    assert (result.status, result.original_id) == ("copy", first.article_id)
    assert len(originals(database)) == 1 and len(rows(database)) == 2


def assert_one_story(database: Database, root_url: str, count: int) -> None:
    stored = rows(database)
    assert len(stored) == count
    [root] = originals(database)
    assert root.url == root_url, "the earliest one ends up the original"
    assert {a.duplicate_of for a in stored if a.id != root.id} == {root.id}
    with database.read() as session:
        # Only the root is a candidate for later copies (the band-less test indexes nothing).
        assert set(session.scalars(select(LshBand.article_id).distinct())) <= {root.id}


def _race(
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    jobs: list[tuple[ArticleRecord, Fingerprint]],
) -> list[str]:
    """Store `jobs` from one thread each, all at once, with every lookup held open a moment
    so that each writer has checked before any has inserted (unless something serializes)."""
    store = Store(database)
    real = OriginalFinder.find
    barrier = threading.Barrier(len(jobs))

    def slow_lookup(
        self: OriginalFinder, session: Session, fp: Fingerprint, at: datetime | None = None
    ) -> Any:
        found = real(self, session, fp, at)
        threading.Event().wait(0.3)
        return found

    monkeypatch.setattr(OriginalFinder, "find", slow_lookup)
    results: list[Any] = [None] * len(jobs)

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = store.store_article(*jobs[i]).status
        except Exception as exc:  # noqa: BLE001 - reported below
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_same_text_stored_at_once_leaves_one_original(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No band keys: only the lock on the text's hash (PostgreSQL) or BEGIN IMMEDIATE (SQLite),
    # and the unique index on originals' hashes, stand between the writers and two originals.
    jobs = []
    for i in range(3):
        rec, fp = record(f"http://o{i}.test/dz", ALGERIA_ORIGINAL, hours=i)
        jobs.append((rec, Fingerprint(fp.normalized, fp.content_hash, [])))
    results = _race(database, monkeypatch, jobs)
    # Whoever wins, an earlier copy arriving later re-points ("new" again): what must hold is
    # the stored state.
    assert set(results) <= {"new", "copy"}, results
    assert_one_story(database, "http://o0.test/dz", 3)


def test_near_copies_stored_at_once_leave_one_original(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Different texts, so no unique index helps: the band-key lock must serialize them.
    jobs = [
        record("http://a.test/dz", ALGERIA_ORIGINAL),
        record("http://b.test/dz", ALGERIA_COPY_LEAD, hours=1),
        record("http://c.test/dz", ALGERIA_COPY_AGENCY, hours=2),
    ]
    results = _race(database, monkeypatch, jobs)
    assert set(results) <= {"new", "copy"}, results
    assert_one_story(database, "http://a.test/dz", 3)


def test_same_url_stored_at_once_is_one_row(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two processes fetched the same page; the second one's text differs slightly (a counter
    # in the page), so the band keys differ and only the unique URL stops a double row.
    a = record("http://a.test/dz", ALGERIA_ORIGINAL)
    b = record("http://a.test/dz", [*ALGERIA_ORIGINAL, "عدد القراءات 1520"])
    b = (b[0], Fingerprint(b[1].normalized, b[1].content_hash, []))
    a = (a[0], Fingerprint(a[1].normalized, a[1].content_hash, []))
    results = _race(database, monkeypatch, [a, b])
    assert sorted(results) in (["new", "revision"], ["new", "unchanged"]), results
    assert len(rows(database)) == 1


# --- seen URLs and feed validators under concurrency -------------------------------------------


def _at_once(n: int, fn: Callable[[int], None]) -> list[BaseException]:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        barrier.wait()
        try:
            fn(i)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_seen_urls_and_validators_are_upserts(database: Database) -> None:
    store = Store(database)
    urls = [f"http://a.test/{i}" for i in range(20)]
    errors = _at_once(
        4,
        lambda i: mark_seen(
            store, urls, SeenStatus.IRRELEVANT, listed_at=T0 + timedelta(minutes=i)
        ),
    )
    assert errors == []
    assert store.urls_to_fetch(dict.fromkeys(urls, T0 + timedelta(minutes=3))) == []

    feed = "http://a.test/rss.xml"
    errors = _at_once(4, lambda i: store.save_feed_validators(feed, f'"v{i}"', None))
    assert errors == []
    etag, last_modified = store.feed_validators(feed)
    assert etag in {'"v0"', '"v1"', '"v2"', '"v3"'} and last_modified is None
    store.save_feed_validators(feed, '"v9"', "Tue, 14 Sep 2021 09:30:00 GMT")
    assert store.feed_validators(feed) == ('"v9"', "Tue, 14 Sep 2021 09:30:00 GMT")
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(FeedState)) == 1


def test_child_sitemaps_are_remembered_per_source(database: Database) -> None:
    store = Store(database)
    children = ["http://a.test/news-sitemap.xml", "http://a.test/sitemap-2021.xml"]
    store.remember_index_children("sawt", children)
    store.remember_index_children("sawt", children[:1])
    store.remember_index_children("other", ["http://b.test/news-sitemap.xml"])
    assert store.index_children("sawt") == children
    # A child sitemap is not an article URL: listing it never counts as seen-article.
    store.save_feed_validators(children[1], '"x"', None)
    store.forget_index_child(children[1])
    assert store.index_children("sawt") == children[:1]
    assert store.feed_validators(children[1]) == (None, None)


def test_a_page_seen_as_an_article_stays_one_when_an_index_lists_it(database: Database) -> None:
    store = Store(database)
    page = "http://a.test/2021/09/s400.html"
    mark_seen(store, [page], SeenStatus.ARTICLE, listed_at=T0)
    store.remember_index_children("sawt", [page, "http://a.test/news-sitemap.xml"])
    assert store.index_children("sawt") == ["http://a.test/news-sitemap.xml"]
    with database.read() as session:
        row = session.get(SeenUrl, page)
        assert row is not None and (row.status, row.listed_at) == ("article", T0)


def test_migrations_go_down_past_the_corrections_and_up_again(db_url: str) -> None:
    """0007 (the charts' indexes) follows 0006 (corrections); both go down and up again, and the
    indexes the models declare are those the migrations build."""
    db = Database(db_url)
    cfg = alembic_config(db)
    try:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            assert _index_columns(conn)["ix_developments_topic_first"][-1] == "status"
            assert _index_columns(conn)["ix_articles_source_development"][-1] == "not_relevant"
            command.downgrade(cfg, "0005")
            indexes = _index_columns(conn)
            assert "ix_developments_topic_first" not in indexes
            assert "not_relevant" not in {c["name"] for c in inspect(conn).get_columns("articles")}
            command.upgrade(cfg, "head")
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == (
                "0007"
            )
            declared = {
                index.name: [c.name for c in index.columns]
                for table in Base.metadata.sorted_tables
                for index in table.indexes
            }
            built = _index_columns(conn)
            assert {name: built.get(name) for name in declared} == declared
    finally:
        db.dispose()


def _index_columns(conn: Any) -> dict[str, list[str | None]]:
    inspector = inspect(conn)
    return {
        index["name"]: list(index["column_names"])
        for table in inspector.get_table_names()
        for index in inspector.get_indexes(table)
        if index["name"]
    }
