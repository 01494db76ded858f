"""The one writer of articles: storing an article or copy, with its seen URLs, in one transaction.

Storing is one transaction: the article or copy, its LSH band keys, its development and its
alert outbox rows, and the URLs it was fetched by. Unique constraints (article URL, original
content hash, alert key) make a double insert impossible; on PostgreSQL the writer also
serializes on the article's LSH band keys, so two near-copies stored at the same moment cannot
both become originals.

Re-edited copies are found through the publication window (`crawler.storage.originals`), not a
shared band key, so on PostgreSQL two rewritten copies of one story stored at the same moment by
two writers may both become originals: neither sees the other's uncommitted row. Nothing is
lost or doubled in the data: each is a complete original, development grouping joins the two
reports of one event as it joins independent reports, and later copies file under whichever the
window proposes first. Locking the window would serialize every store of the same days, so it is
not done. SQLite writers take turns (BEGIN IMMEDIATE) and never race.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawler.analysis.searchterms import search_form
from crawler.storage.db import Database
from crawler.storage.dedup import Fingerprint, Scores
from crawler.storage.models import Alert, Article, Development, LshBand
from crawler.storage.originals import Original, OriginalFinder
from crawler.storage.seen import SeenEntry, SeenStatus, SeenUrls, mark_seen

log = logging.getLogger(__name__)


@dataclass
class StoreResult:
    # new | copy | revision | unchanged | foreign (another source's article: left alone)
    status: str
    article_id: int
    original_id: int
    scores: Scores | None = None
    repointed: bool = False
    development_id: int | None = None
    alerts: int = 0


@dataclass
class ArticleRecord:
    """What the pipelines hand to :meth:`Store.store_article`."""

    source: str
    url: str
    title: str
    text: str
    fetched_at: datetime
    published_at: datetime | None = None
    published_precision: str | None = None
    listed_at: datetime | None = None
    author: str | None = None
    requested_url: str | None = None
    terms: list[dict[str, Any]] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)
    amounts: list[dict[str, Any]] = field(default_factory=list)
    # (title, body) as the search index holds them; the crawl computes them outside the
    # transaction, in a worker process.
    search_forms: tuple[str, str] | None = None

    def searchable(self) -> tuple[str, str]:
        return self.search_forms or (search_form(self.title), search_form(self.text))


# Called inside the storing transaction for a new original, or a revision, to create or join a
# development and queue alerts. Returns (development_id, alerts queued).
DevelopmentHook = Callable[[Session, Article, bool], tuple[int | None, int]]


def _lock_key(name: str) -> int:
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Store(SeenUrls):
    """Stores articles, and (as :class:`SeenUrls`) the URLs the crawl has seen."""

    def __init__(
        self,
        db: Database,
        development_hook: DevelopmentHook | None = None,
        *,
        oldest: datetime | None = None,
    ) -> None:
        super().__init__(db)
        self.development_hook = development_hook
        self.originals = OriginalFinder()
        # A backfill's date: what was published before it is not stored.
        self.oldest = oldest

    def predates_backfill(self, record: ArticleRecord) -> bool:
        return self.oldest is not None and (record.published_at or record.fetched_at) < self.oldest

    def store_article(self, record: ArticleRecord, fp: Fingerprint) -> StoreResult:
        for attempt in range(3):
            try:
                with self.db.write() as session:
                    return self._store(session, record, fp)
            except IntegrityError:
                # Another writer stored the same URL or text first; its row is visible now.
                if attempt == 2:
                    raise
                log.debug("store race on %s, retrying", record.url)
        raise AssertionError("unreachable")

    def _store(self, session: Session, record: ArticleRecord, fp: Fingerprint) -> StoreResult:
        if self.db.dialect == "postgresql":
            # Writers of the same text, or of texts sharing a band bucket, take turns: each
            # must see the other's article before it decides between original and copy.
            names = {f"{b}:{k}" for b, k in fp.band_keys} | {f"text:{fp.content_hash}"}
            keys = sorted(_lock_key(name) for name in names)
            session.execute(
                sql_text(
                    "SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"
                ),
                {"keys": keys},
            ).all()

        urls = [record.url, record.requested_url or record.url]
        result = self._place(session, record, fp, urls)
        if result.status == "foreign":
            # Only the URL this source requested is remembered (so it is not fetched again);
            # the other source's URLs keep their own rows.
            urls = [u for u in urls if u != record.url]
        # Under the URLs it was requested and found by, with the listed date the next crawl
        # compares with: without it a revised page would be fetched again on every crawl.
        is_copy = result.article_id != result.original_id
        status = SeenStatus.COPY if is_copy else SeenStatus.ARTICLE
        entry = SeenEntry(urls, record.source, status, result.article_id, record.listed_at)
        mark_seen(session, [entry])
        return result

    def _place(
        self, session: Session, record: ArticleRecord, fp: Fingerprint, urls: list[str]
    ) -> StoreResult:
        """Revise the article stored under one of `urls`, or store a new original or copy."""
        existing_id = session.connection().scalar(_article_by_url(), {"urls": urls})
        if existing_id is not None:
            existing = session.get(Article, existing_id)
            assert existing is not None  # the write lock is held: nobody deletes it meanwhile
            if existing.source != record.source:
                # A page revises only its own source's article: another outlet (or anyone who
                # gets a page into a crawled feed) must not rewrite what analysts read.
                log.warning(
                    "[%s] %s claims article %s of source %s; not revised",
                    record.source,
                    record.requested_url or record.url,
                    existing.id,
                    existing.source,
                )
                return StoreResult("foreign", existing.id, existing.duplicate_of or existing.id)
            return self._revise(session, existing, record, fp)

        original, sc = self.originals.find(session, fp, record.published_at or record.fetched_at)
        if original is None:
            article = self._insert(session, record, fp, duplicate_of=None)
            self._index(session, article.id, fp, fresh=True)
            dev_id, alerts = self._develop(session, article, is_revision=False)
            return StoreResult("new", article.id, article.id, None, False, dev_id, alerts)

        if _earlier(
            record.published_at,
            record.published_precision,
            original.published_at,
            original.published_precision,
        ):
            old = session.get(Article, original.id)
            assert old is not None
            article = self._repoint(session, old, record, fp)
            return StoreResult("new", article.id, article.id, sc, True, article.development_id)

        copy_id = self._insert_copy(session, record, fp, original)
        return StoreResult("copy", copy_id, original.id, sc, False, original.development_id)

    @staticmethod
    def _columns(record: ArticleRecord, fp: Fingerprint) -> dict[str, Any]:
        search_title, search_body = record.searchable()
        return {
            "url": record.url,
            "source": record.source,
            "title": record.title,
            "text": record.text,
            "normalized_text": fp.normalized,
            "search_title": search_title,
            "search_body": search_body,
            "content_hash": fp.content_hash,
            "published_at": record.published_at,
            "published_precision": record.published_precision,
            "listed_at": record.listed_at,
            "fetched_at": record.fetched_at,
            "author": record.author,
            "terms": record.terms,
            "topics": record.topics,
            "countries": record.countries,
            "evidence": record.evidence,
            "amounts": record.amounts,
        }

    def _insert(
        self, session: Session, record: ArticleRecord, fp: Fingerprint, *, duplicate_of: int | None
    ) -> Article:
        article = Article(**self._columns(record, fp), duplicate_of=duplicate_of)
        session.add(article)
        session.flush()
        return article

    def _insert_copy(
        self, session: Session, record: ArticleRecord, fp: Fingerprint, original: Original
    ) -> int:
        """A copy row, sharing its original's analysis: one INSERT, no ORM object to track."""
        values = self._columns(record, fp)
        values.update(
            duplicate_of=original.id,
            topics=original.topics,
            countries=original.countries,
            evidence=original.evidence,
            development_id=original.development_id,
            not_relevant=original.not_relevant,
        )
        return int(session.connection().execute(_insert_returning_id(), values).scalar_one())

    @staticmethod
    def _index(session: Session, article_id: int, fp: Fingerprint, *, fresh: bool = False) -> None:
        if not fresh:
            session.execute(delete(LshBand).where(LshBand.article_id == article_id))
        rows = [
            {"band": b, "bucket": k, "article_id": article_id}
            for b, k in dict.fromkeys(fp.band_keys)
        ]
        if rows:
            # A plain executemany on the connection: the ORM's bulk path costs more than the
            # rest of the store, and there are no objects to keep in step here.
            session.connection().execute(insert(LshBand), rows)

    def _develop(
        self, session: Session, article: Article, *, is_revision: bool
    ) -> tuple[int | None, int]:
        if self.development_hook is None or not article.topics or article.not_relevant:
            # An article the analyst ruled out joins no development and raises no alert.
            return article.development_id, 0
        dev_id, alerts = self.development_hook(session, article, is_revision)
        article.development_id = dev_id
        session.flush()
        return dev_id, alerts

    def _repoint(
        self, session: Session, old: Article, record: ArticleRecord, fp: Fingerprint
    ) -> Article:
        """A copy published earlier than the stored original becomes the original."""
        # Swap in steps so that the original-hash unique index never sees two originals.
        article = self._insert(session, record, fp, duplicate_of=old.id)
        old.duplicate_of = article.id
        session.flush()
        article.duplicate_of = None
        session.flush()
        session.execute(
            update(Article).where(Article.duplicate_of == old.id).values(duplicate_of=article.id)
        )
        session.execute(delete(LshBand).where(LshBand.article_id == old.id))
        self._index(session, article.id, fp, fresh=True)
        # The story keeps its development and the analyst's verdicts; the new first report
        # keeps its own analysis (its evidence sentences are its own text), and the copies
        # share it.
        article.development_id = old.development_id
        article.not_relevant, article.analyst_topics = old.not_relevant, old.analyst_topics
        if old.analyst_topics is not None:
            article.topics = list(old.analyst_topics)
        session.flush()
        session.execute(
            update(Article)
            .where(Article.duplicate_of == article.id)
            .values(
                topics=article.topics,
                countries=article.countries,
                evidence=article.evidence,
                not_relevant=article.not_relevant,
            )
        )
        if old.development_id is not None:
            dev = session.get(Development, old.development_id)
            if dev is not None and dev.first_article_id == old.id:
                dev.first_article_id = article.id
                dev.first_published_at = article.published_at
        # An alert not yet sent names the story's first report, which is now this one.
        session.execute(
            update(Alert)
            .where(Alert.article_id == old.id, Alert.status == "pending")
            .values(article_id=article.id)
        )
        session.flush()
        log.info("re-pointed original %s -> %s (%s)", old.id, article.id, record.url)
        return article

    def _revise(
        self, session: Session, article: Article, record: ArticleRecord, fp: Fingerprint
    ) -> StoreResult:
        original_id = article.duplicate_of or article.id
        if article.content_hash == fp.content_hash:
            return StoreResult("unchanged", article.id, original_id)
        article.title, article.text = record.title, record.text
        article.normalized_text, article.content_hash = fp.normalized, fp.content_hash
        article.search_title, article.search_body = record.searchable()
        article.published_at = article.published_at or record.published_at
        article.terms = record.terms
        article.revision += 1
        if article.duplicate_of is None:
            # Topics an analyst set outlast every re-analysis.
            article.topics = (
                record.topics if article.analyst_topics is None else list(article.analyst_topics)
            )
            article.countries = record.countries
            article.evidence, article.amounts = record.evidence, record.amounts
            self._index(session, article.id, fp)
            self._develop(session, article, is_revision=True)
            session.execute(
                update(Article)
                .where(Article.duplicate_of == article.id)
                .values(
                    topics=article.topics,
                    countries=article.countries,
                    development_id=article.development_id,
                )
            )
        session.flush()
        return StoreResult(
            "revision", article.id, original_id, development_id=article.development_id
        )


def _earlier(
    a: datetime | None, a_precision: str | None, b: datetime | None, b_precision: str | None
) -> bool:
    """Whether publication time `a` is surely before `b`.

    A day-only date is stored as 00:00 UTC; it stands for the whole day, so it is earlier only
    when that day ends before `b` starts (else a copy dated "today" would re-point an original
    published at 10:00 the same day).
    """
    if a is None or b is None:
        return False
    last = a + timedelta(days=1) - timedelta(microseconds=1) if a_precision == "day" else a
    return last < b


@lru_cache(maxsize=1)
def _article_by_url() -> Any:
    return select(Article.id).where(Article.url.in_(bindparam("urls", expanding=True)))


@lru_cache(maxsize=1)
def _insert_returning_id() -> Any:
    return insert(Article).returning(Article.id)
