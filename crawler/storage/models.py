"""The database schema, as typed SQLAlchemy models.

Every table that two processes may write at once carries the unique constraint that makes a
double insert impossible, so dedup never relies on a check in Python alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware.

    SQLite has no time zones, so without this a value read back would be naive.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The largest id an Integer column holds on PostgreSQL (32 bits; SQLite holds 64): an id or a row
# count past it is an input error, never a query that the driver or the server rejects.
MAX_INTEGER = 2**31 - 1


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Article(Base):
    """A relevant article: an original, or a copy pointing at its original."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    # Normalized title + text: what search and near-duplicate confirmation read.
    normalized_text: Mapped[str] = mapped_column(Text)
    # Search forms (crawler.review.search.search_form) of title and text; triggers index them.
    search_title: Mapped[str] = mapped_column(Text, default="")
    search_body: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    published_precision: Mapped[str | None] = mapped_column(String(10))
    listed_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    author: Mapped[str | None] = mapped_column(String(500))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    terms: Mapped[list[Any]] = mapped_column(default=list)
    topics: Mapped[list[Any]] = mapped_column(default=list)
    countries: Mapped[list[Any]] = mapped_column(default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    amounts: Mapped[list[Any]] = mapped_column(default=list)
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    development_id: Mapped[int | None] = mapped_column(
        ForeignKey("developments.id", ondelete="SET NULL"), index=True
    )
    # An analyst's verdicts (crawler.storage.corrections), kept when the store revises the
    # article: not relevant (it is listed, searched and alerted nowhere), and the topics set by
    # hand, which replace the detector's on every revision.
    not_relevant: Mapped[bool] = mapped_column(default=False, server_default=sql_text("false"))
    analyst_topics: Mapped[list[Any] | None] = mapped_column(JSON)

    __table_args__ = (
        # Reports per outlet, originals and copies apart, and the developments an outlet ran,
        # read from the index alone (the charts and the source filter of developments), the
        # reports ruled out left out by its last column.
        Index(
            "ix_articles_source_development",
            "source",
            "development_id",
            "duplicate_of",
            "not_relevant",
        ),
        # Two originals with the same text cannot both exist: the second writer loses the race
        # and becomes a copy.
        Index(
            "uq_articles_original_hash",
            "content_hash",
            unique=True,
            sqlite_where=sql_text("duplicate_of IS NULL"),
            postgresql_where=sql_text("duplicate_of IS NULL"),
        ),
        # The few articles ruled out, which search leaves out without reading the others' rows.
        Index(
            "ix_articles_ruled_out",
            "id",
            sqlite_where=sql_text("not_relevant = 1"),
            postgresql_where=sql_text("not_relevant"),
        ),
    )


class LshBand(Base):
    """MinHash LSH band keys of originals: candidates for near-duplicate lookup."""

    __tablename__ = "lsh_bands"

    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SeenUrl(Base):
    """Every URL ever fetched, whatever came of it, so that it is never fetched again."""

    __tablename__ = "seen_urls"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    # article | copy | irrelevant | invalid
    status: Mapped[str] = mapped_column(String(20))
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    listed_at: Mapped[datetime | None]
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class FeedState(Base):
    """HTTP validators per feed or sitemap URL, for conditional requests."""

    __tablename__ = "feed_state"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Development(Base):
    """One event: created by its first report, joined by every later report."""

    __tablename__ = "developments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(20), index=True)
    topics: Mapped[list[Any]] = mapped_column(default=list)
    countries: Mapped[list[Any]] = mapped_column(default=list)
    evidence: Mapped[str] = mapped_column(Text, default="")
    # No foreign key: articles already reference developments, and a cycle would need ALTERs.
    first_article_id: Mapped[int | None] = mapped_column(Integer)
    first_published_at: Mapped[datetime | None] = mapped_column(index=True)
    last_report_at: Mapped[datetime | None]
    report_count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # open | wrong (an analyst said so: no more follow-ups) | merged (into `merged_into`)
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    merged_into: Mapped[int | None] = mapped_column(Integer)
    # Opened by a backfill: the digest counts it, and lists it not among the day's news.
    backfilled: Mapped[bool] = mapped_column(default=False, server_default=sql_text("false"))

    # The charts count developments per month as index ranges, `status` last to leave out
    # those merged away or emptied. Migration 0007 also indexes (countries,
    # first_published_at, status), on PostgreSQL over the column cast to text (`json` has no
    # btree order), which a model-level Index cannot say for both databases.
    __table_args__ = (
        Index("ix_developments_topic_first", "topic", "first_published_at", "status"),
    )


class Alert(Base):
    """The outbox: one row per channel per alert, written with the article that caused it."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Makes queuing idempotent: the same alert on the same channel is queued once.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    development_id: Mapped[int | None] = mapped_column(
        ForeignKey("developments.id", ondelete="SET NULL"), index=True
    )
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    # pending | sent | failed | skipped
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The transport's id of what it sent (a Slack ts), so follow-ups can thread under it.
    external_id: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # running | ok | error | timeout | stopped | abandoned
    status: Mapped[str] = mapped_column(String(20), default="running")
    # The crawl process, so that a run left `running` by a process that died can be told from
    # one still under way.
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    relevant: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    copies: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error_kinds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A `marsad backfill` run: it queues no alerts and leaves the source's health alone.
    backfill: Mapped[bool] = mapped_column(default=False, server_default=sql_text("false"))


class SourceHealth(Base):
    __tablename__ = "source_health"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    error_streak: Mapped[int] = mapped_column(Integer, default=0)
    last_run_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set when a source-health alert went out for the current streak, so it goes out once.
    down_alerted: Mapped[bool] = mapped_column(default=False)
    # Muted by an analyst: its articles are stored, and raise no alert before this time.
    muted_until: Mapped[datetime | None]


class RobotsCache(Base):
    """robots.txt per site, so that a re-crawl of an unchanged web fetches only its indexes."""

    __tablename__ = "robots_cache"

    site: Mapped[str] = mapped_column(String(500), primary_key=True)
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Correction(Base):
    """An analyst's correction, kept as its own row: who, when, what, on which rows.

    No foreign keys: the record outlives the rows it names (a development merged away)."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # crawler.vocab.CorrectionKind
    kind: Mapped[str] = mapped_column(String(30), index=True)
    article_id: Mapped[int | None] = mapped_column(Integer, index=True)
    development_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source: Mapped[str | None] = mapped_column(String(200), index=True)
    change: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)
