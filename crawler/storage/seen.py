"""What the crawl remembers of URLs between runs: the URLs it has seen (stored, copied, set aside,
or listed as a child sitemap), and each index document's HTTP validators.

:func:`mark_seen` is the one writer of seen URLs: the storing transaction records an article's
URLs with it, and :class:`SeenUrls` records set-aside pages and child sitemaps with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.orm import Session

from crawler.storage.db import Database
from crawler.storage.models import Base, FeedState, SeenUrl, utcnow


class SeenStatus(StrEnum):
    """What a seen URL turned out to be (`seen_urls.status`)."""

    ARTICLE = "article"
    COPY = "copy"
    IRRELEVANT = "irrelevant"
    # Empty or not Arabic.
    INVALID = "invalid"
    # A child sitemap listed by a source's sitemap index, not an article.
    SITEMAP = "sitemap"


@dataclass(frozen=True)
class SeenEntry:
    """The URLs one page was known by (canonical, requested), and what it turned out to be."""

    urls: list[str]
    source: str
    status: SeenStatus
    article_id: int | None = None
    listed_at: datetime | None = None


def mark_seen(session: Session, entries: Sequence[SeenEntry]) -> None:
    """Record `entries` in `session`'s transaction: a URL new to the table is inserted, a known
    one takes the entry's status and keeps the latest listed date."""
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
    stmt = insert_ignoring_conflict(session.get_bind().dialect.name, SeenUrl)
    inserted = set(session.connection().scalars(stmt, rows))
    for url, e in first.items():
        if url not in inserted:
            _update_seen(session, url, e, now)
    for url, e in repeated:
        _update_seen(session, url, e, now)
    session.flush()


def _update_seen(session: Session, url: str, entry: SeenEntry, now: datetime) -> None:
    row = session.get(SeenUrl, url, with_for_update=True, populate_existing=True)
    if row is None:  # pragma: no cover - deleted between the two statements
        return
    # A page seen as an article stays one when an index also lists its URL as a sitemap.
    if entry.status == SeenStatus.SITEMAP and row.status != SeenStatus.SITEMAP:
        return
    row.status, row.last_seen = entry.status, now
    row.article_id = entry.article_id or row.article_id
    if entry.listed_at and (row.listed_at is None or entry.listed_at > row.listed_at):
        row.listed_at = entry.listed_at


class SeenUrls:
    """Seen URLs and index validators, each call its own short transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

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
                known.update(rows.all())
        fetch = []
        for url, listed_at in listed.items():
            if url not in known:
                fetch.append(url)
                continue
            seen_listed = known[url]
            if listed_at and seen_listed and listed_at > seen_listed:
                fetch.append(url)
        return fetch

    def mark_seen(self, entries: Sequence[SeenEntry]) -> None:
        """Record many pages in one transaction."""
        if entries:
            with self.db.write() as session:
                mark_seen(session, entries)

    # --- index documents ---------------------------------------------------------------------

    def remember_index_children(self, source: str, urls: Iterable[str]) -> None:
        """Record the child sitemaps an index listed, so a 304 on the index still reaches them."""
        self.mark_seen([SeenEntry(list(urls), source, SeenStatus.SITEMAP)])

    def index_children(self, source: str) -> list[str]:
        with self.db.read() as session:
            return list(
                session.scalars(
                    select(SeenUrl.url)
                    .where(SeenUrl.source == source, SeenUrl.status == SeenStatus.SITEMAP)
                    .order_by(SeenUrl.url)
                )
            )

    def forget_index_child(self, url: str) -> None:
        with self.db.write() as session:
            session.execute(
                delete(SeenUrl).where(SeenUrl.url == url, SeenUrl.status == SeenStatus.SITEMAP)
            )
            session.execute(delete(FeedState).where(FeedState.url == url))

    def feed_validators(self, url: str) -> tuple[str | None, str | None]:
        with self.db.read() as session:
            row = session.get(FeedState, url)
            return (row.etag, row.last_modified) if row else (None, None)

    def save_feed_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        values = {"etag": etag, "last_modified": last_modified, "fetched_at": utcnow()}
        with self.db.write() as session:
            upsert(session, FeedState, {"url": url}, values)


def upsert(
    session: Session, model: type[Base], key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    """Insert-or-update one row by its primary key, race-free on SQLite and PostgreSQL: two
    crawl processes may write the same row (a feed's validators, a site's robots.txt) at once."""
    stmt = insert_ignoring_conflict(session.get_bind().dialect.name, model)
    if session.connection().execute(stmt, {**key, **values}).first() is None:
        session.execute(update(model).filter_by(**key).values(**values))


@lru_cache(maxsize=16)
def insert_ignoring_conflict(dialect: str, model: type[Base]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the primary key, for a connection's execute:
    a row comes back only when it was inserted (psycopg reports a rowcount of -1 for a skipped
    one). Built once per table, values as parameters, so that it is compiled once."""
    key = inspect(model).primary_key
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model).on_conflict_do_nothing().returning(*key)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model).on_conflict_do_nothing().returning(*key)
