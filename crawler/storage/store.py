"""Units of work on the article database: seen URLs, feed validators, and storing an article.

Storing is one transaction: the article or copy, its LSH band keys, its development and its
alert outbox rows. Unique constraints (article URL, original content hash, alert key) make a
double insert impossible; on PostgreSQL the writer also serializes on the article's LSH band
keys, so two near-copies stored at the same moment cannot both become originals.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawler.storage.db import Database
from crawler.storage.dedup import Scores, Shingled, is_near_duplicate, scores, shingled
from crawler.storage.models import Alert, Article, Development, FeedState, LshBand, SeenUrl, utcnow
from crawler.text.searchform import search_form

log = logging.getLogger(__name__)

# How many LSH candidates are confirmed against the stored text, most shared bands first.
MAX_CANDIDATES = 20
# Originals whose shingle sets are kept between stores (a few tens of KB each).
SHINGLE_CACHE_SIZE = 256
# seen_urls status of a child sitemap listed by a source's sitemap index (not an article).
INDEX_STATUS = "sitemap"


@dataclass(frozen=True)
class SeenEntry:
    urls: list[str]
    source: str
    status: str
    article_id: int | None = None
    listed_at: datetime | None = None


@dataclass(frozen=True)
class Fingerprint:
    normalized: str
    content_hash: str
    band_keys: Sequence[tuple[int, int]]


@dataclass
class StoreResult:
    # new | copy | revision | unchanged
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


@dataclass(frozen=True)
class _Original:
    """The columns of a stored original that storing a copy of it reads."""

    id: int
    published_at: datetime | None
    published_precision: str | None
    development_id: int | None
    topics: list[str]
    countries: list[str]
    evidence: dict[str, str]


# Read with the candidate lookup itself: an ORM load would also read the article's text.
_ORIGINAL_COLUMNS = (
    Article.id,
    Article.published_at,
    Article.published_precision,
    Article.development_id,
    Article.topics,
    Article.countries,
    Article.evidence,
)


# Called inside the storing transaction for a new original, or a revision, to create or join a
# development and queue alerts. Returns (development_id, alerts queued).
DevelopmentHook = Callable[[Session, Article, bool], tuple[int | None, int]]


@lru_cache(maxsize=8)
def _candidates_sql(pairs: int) -> Any:
    """Originals sharing LSH buckets with a new text, most shared first.

    One primary-key point lookup per band, joined by UNION ALL: the steadiest of the forms
    measured at a million articles on SQLite (docs/benchmarks.md); PostgreSQL plans it the same.
    """
    one = "SELECT article_id FROM lsh_bands WHERE band = :b{i} AND bucket = :k{i}"
    union = " UNION ALL ".join(one.format(i=i) for i in range(pairs))
    return sql_text(
        f"SELECT article_id FROM ({union}) AS shared_buckets "
        "GROUP BY article_id ORDER BY COUNT(*) DESC, article_id LIMIT :n"
    )


def _lock_key(name: str) -> int:
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Store:
    def __init__(self, db: Database, development_hook: DevelopmentHook | None = None) -> None:
        self.db = db
        self.development_hook = development_hook
        # A story's original is a candidate for each of its copies: keep its shingles.
        self._shingle_cache: OrderedDict[tuple[int, str], Shingled] = OrderedDict()
        self._shingle_lock = threading.Lock()

    def _shingled(self, session: Session, article_id: int, digest: str) -> Shingled:
        """A stored original's shingle set; its text is read only when it is not cached."""
        key = (article_id, digest)
        with self._shingle_lock:
            cached = self._shingle_cache.get(key)
            if cached is not None:
                self._shingle_cache.move_to_end(key)
                return cached
        value = shingled(
            session.connection().scalar(_normalized_text_by_id(), {"id": article_id}) or ""
        )
        with self._shingle_lock:
            self._shingle_cache[key] = value
            while len(self._shingle_cache) > SHINGLE_CACHE_SIZE:
                self._shingle_cache.popitem(last=False)
        return value

    # --- seen URLs -------------------------------------------------------------------------

    def urls_to_fetch(self, listed: Mapping[str, datetime | None]) -> list[str]:
        """The URLs not seen before, plus known ones announced with a newer modified date."""
        if not listed:
            return []
        known: dict[str, datetime | None] = {}
        urls = list(listed)
        with self.db.read() as session:
            for start in range(0, len(urls), 500):
                chunk = urls[start : start + 500]
                rows = session.execute(
                    select(SeenUrl.url, SeenUrl.listed_at).where(SeenUrl.url.in_(chunk))
                )
                known.update(dict(rows.all()))
        fetch = []
        for url, listed_at in listed.items():
            if url not in known or listed_at and known[url] and listed_at > known[url]:
                fetch.append(url)
        return fetch

    def mark_seen(
        self,
        urls: Iterable[str],
        source: str,
        status: str,
        *,
        article_id: int | None = None,
        listed_at: datetime | None = None,
    ) -> None:
        self.mark_seen_many([SeenEntry(list(urls), source, status, article_id, listed_at)])

    def mark_seen_many(self, entries: Sequence[SeenEntry]) -> None:
        """Record many set-aside pages in one transaction."""
        if not entries:
            return
        with self.db.write() as session:
            self._record_seen(session, entries)

    @staticmethod
    def _mark_seen(
        session: Session,
        urls: Iterable[str],
        source: str,
        status: str,
        article_id: int | None,
        listed_at: datetime | None,
    ) -> None:
        Store._record_seen(session, [SeenEntry(list(urls), source, status, article_id, listed_at)])

    @staticmethod
    def _record_seen(session: Session, entries: Sequence[SeenEntry]) -> None:
        now = utcnow()
        first: dict[str, SeenEntry] = {}
        repeated: list[tuple[str, SeenEntry]] = []
        for e in entries:
            for url in dict.fromkeys(u for u in e.urls if u):
                if url in first:
                    repeated.append((url, e))
                else:
                    first[url] = e
        if not first:
            return
        rows = [
            {
                "url": url,
                "source": e.source,
                "status": e.status,
                "article_id": e.article_id,
                "listed_at": e.listed_at,
                "first_seen": now,
                "last_seen": now,
            }
            for url, e in first.items()
        ]
        session.flush()  # the connection does not flush pending objects as the session would
        # One multi-row insert-or-nothing for the URLs new to the table (most of them). A URL
        # already there, or written by another crawl process meanwhile (the loser of that race
        # updates the winner's row instead of failing), is updated one by one.
        stmt = _insert_ignoring_conflict(session.get_bind().dialect.name, SeenUrl.__table__)
        inserted = set(session.connection().scalars(stmt, rows))
        for url, e in first.items():
            if url not in inserted:
                Store._update_seen(session, url, e.status, e.article_id, e.listed_at, now)
        for url, e in repeated:
            Store._update_seen(session, url, e.status, e.article_id, e.listed_at, now)
        session.flush()

    @staticmethod
    def _update_seen(
        session: Session,
        url: str,
        status: str,
        article_id: int | None,
        listed_at: datetime | None,
        now: datetime,
    ) -> None:
        row = session.get(SeenUrl, url, with_for_update=True, populate_existing=True)
        if row is None:  # pragma: no cover - deleted between the two statements
            return
        row.status, row.last_seen = status, now
        row.article_id = article_id or row.article_id
        if listed_at and (row.listed_at is None or listed_at > row.listed_at):
            row.listed_at = listed_at

    # --- index documents remembered per source ------------------------------------------------

    def remember_index_children(self, source: str, urls: Iterable[str]) -> None:
        """Record the child sitemaps an index listed, so a 304 on the index still reaches them."""
        with self.db.write() as session:
            now = utcnow()
            for url in dict.fromkeys(urls):
                if not _insert_if_absent(
                    session,
                    SeenUrl,
                    url=url,
                    source=source,
                    status=INDEX_STATUS,
                    first_seen=now,
                    last_seen=now,
                ):
                    session.execute(
                        update(SeenUrl)
                        .where(SeenUrl.url == url, SeenUrl.status == INDEX_STATUS)
                        .values(last_seen=now)
                    )

    def index_children(self, source: str) -> list[str]:
        with self.db.read() as session:
            return list(
                session.scalars(
                    select(SeenUrl.url)
                    .where(SeenUrl.source == source, SeenUrl.status == INDEX_STATUS)
                    .order_by(SeenUrl.url)
                )
            )

    def forget_index_child(self, url: str) -> None:
        with self.db.write() as session:
            session.execute(
                delete(SeenUrl).where(SeenUrl.url == url, SeenUrl.status == INDEX_STATUS)
            )
            session.execute(delete(FeedState).where(FeedState.url == url))

    # --- feed validators -------------------------------------------------------------------

    def feed_validators(self, url: str) -> tuple[str | None, str | None]:
        with self.db.read() as session:
            row = session.get(FeedState, url)
            return (row.etag, row.last_modified) if row else (None, None)

    def save_feed_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self.db.write() as session:
            now = utcnow()
            # Insert-or-update: two crawl processes may finish the same feed at the same moment.
            if not _insert_if_absent(
                session, FeedState, url=url, etag=etag, last_modified=last_modified, fetched_at=now
            ):
                session.execute(
                    update(FeedState)
                    .where(FeedState.url == url)
                    .values(etag=etag, last_modified=last_modified, fetched_at=now)
                )

    # --- articles --------------------------------------------------------------------------

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

        seen_urls = [record.url, record.requested_url or record.url]
        existing_id = session.connection().scalar(_article_by_url(), {"urls": seen_urls})
        if existing_id is not None:
            existing = session.get(Article, existing_id)
            assert existing is not None  # the write lock is held: nobody deletes it meanwhile
            result = self._revise(session, existing, record, fp)
            # The newer listed date is what the next crawl compares with; without it a revised
            # page would be fetched again on every crawl that lists it.
            status = "copy" if existing.duplicate_of is not None else "article"
            self._mark_seen(
                session, seen_urls, record.source, status, existing.id, record.listed_at
            )
            return result

        original, sc = self._find_original(session, fp)
        if original is None:
            article = self._insert(session, record, fp, duplicate_of=None)
            self._index(session, article.id, fp, fresh=True)
            dev_id, alerts = self._develop(session, article, is_revision=False)
            self._mark_seen(
                session, seen_urls, record.source, "article", article.id, record.listed_at
            )
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
            self._mark_seen(
                session, seen_urls, record.source, "article", article.id, record.listed_at
            )
            return StoreResult("new", article.id, article.id, sc, True, article.development_id)

        copy_id = self._insert_copy(session, record, fp, original)
        self._mark_seen(session, seen_urls, record.source, "copy", copy_id, record.listed_at)
        return StoreResult("copy", copy_id, original.id, sc, False, original.development_id)

    def _find_original(
        self, session: Session, fp: Fingerprint
    ) -> tuple[_Original | None, Scores | None]:
        # Plain column reads on the session's connection: the ORM's per-statement bookkeeping
        # cost more than the queries themselves, and nothing is pending to flush here.
        conn = session.connection()
        exact = conn.execute(_original_by_hash(), {"digest": fp.content_hash}).first()
        if exact is not None:
            return _Original(*exact), Scores(1.0, 1.0)
        if not fp.band_keys:
            return None, None
        params: dict[str, int] = {}
        for i, (band, bucket) in enumerate(fp.band_keys):
            params[f"b{i}"], params[f"k{i}"] = band, bucket
        candidate_ids = list(
            conn.scalars(_candidates_sql(len(fp.band_keys)), {**params, "n": MAX_CANDIDATES})
        )
        if not candidate_ids:
            return None, None
        digests = dict(conn.execute(_original_digests(), {"ids": candidate_ids}).all())
        new_text = shingled(fp.normalized)
        # Most shared LSH bands first: the first candidate that is confirmed is the original.
        for article_id in candidate_ids:
            if article_id not in digests:
                continue
            stored = self._shingled(session, article_id, digests[article_id])
            sc = scores(new_text, stored, lead_if_needed=True)
            if is_near_duplicate(sc):
                columns = conn.execute(_original_by_id(), {"id": article_id}).one()
                return _Original(*columns), sc
        return None, None

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
        self, session: Session, record: ArticleRecord, fp: Fingerprint, original: _Original
    ) -> int:
        """A copy row, sharing its original's analysis: one INSERT, no ORM object to track."""
        values = self._columns(record, fp)
        values.update(
            duplicate_of=original.id,
            topics=original.topics,
            countries=original.countries,
            evidence=original.evidence,
            development_id=original.development_id,
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
            session.connection().execute(LshBand.__table__.insert(), rows)

    def _develop(
        self, session: Session, article: Article, *, is_revision: bool
    ) -> tuple[int | None, int]:
        if self.development_hook is None or not article.topics:
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
        # The story keeps its development; the new first report keeps its own analysis (its
        # evidence sentences are its own text), and the copies share it.
        article.development_id = old.development_id
        session.flush()
        session.execute(
            update(Article)
            .where(Article.duplicate_of == article.id)
            .values(topics=article.topics, countries=article.countries, evidence=article.evidence)
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
            article.topics, article.countries = record.topics, record.countries
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
def _original_by_hash() -> Any:
    return select(*_ORIGINAL_COLUMNS).where(
        Article.content_hash == bindparam("digest"), Article.duplicate_of.is_(None)
    )


@lru_cache(maxsize=1)
def _original_digests() -> Any:
    return select(Article.id, Article.content_hash).where(
        Article.id.in_(bindparam("ids", expanding=True)), Article.duplicate_of.is_(None)
    )


@lru_cache(maxsize=1)
def _normalized_text_by_id() -> Any:
    return select(Article.normalized_text).where(Article.id == bindparam("id"))


@lru_cache(maxsize=1)
def _original_by_id() -> Any:
    return select(*_ORIGINAL_COLUMNS).where(Article.id == bindparam("id"))


@lru_cache(maxsize=1)
def _insert_returning_id() -> Any:
    return insert(Article.__table__).returning(Article.__table__.c.id)


@lru_cache(maxsize=16)
def _insert_ignoring_conflict(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    # RETURNING rather than rowcount: psycopg reports -1 for a conflict-skipped insert.
    return dialect_insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)


def _insert_if_absent(session: Session, model: type[Any], **values: Any) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on the primary key; True when the row was inserted."""
    # One statement per table, values as parameters: built and compiled once, not per row.
    stmt = _insert_ignoring_conflict(session.get_bind().dialect.name, model.__table__)
    session.flush()  # the connection does not flush pending objects as the session would
    return session.connection().execute(stmt, values).first() is not None
