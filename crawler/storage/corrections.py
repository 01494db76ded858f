"""An analyst's corrections: one writer per kind, each a row of its own and its effect, in one
transaction.

The row (`corrections`) says who, when, what and on which rows; the effect is kept on the rows
corrected, where the store, the lists and the alert queue already look: an article's
`not_relevant` and `analyst_topics` (the store keeps both when it revises or re-points the
article), a development's `status`, a source's `muted_until`. Alerts not yet sent that a
correction makes pointless are marked `skipped` in the same transaction.

A verdict on an article is a verdict on its story: the original and its copies share one
analysis, so they are corrected together, and a copy stored later inherits the verdict.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crawler.storage.db import Database
from crawler.storage.models import (
    Alert,
    Article,
    Correction,
    CrawlRun,
    Development,
    SourceHealth,
    utcnow,
)
from crawler.vocab import TOPICS, AlertKind


class CorrectionKind(StrEnum):
    NOT_RELEVANT = "not-relevant"
    TOPICS = "topics"
    MERGE = "merge"
    SPLIT = "split"
    WRONG = "wrong"
    MUTE = "mute"
    UNMUTE = "unmute"


class DevelopmentStatus(StrEnum):
    OPEN = "open"
    WRONG = "wrong"
    MERGED = "merged"
    # Every report was ruled not relevant.
    EMPTY = "empty"


class CorrectionError(ValueError):
    """A correction that cannot be made; the message names the id."""


@dataclass(frozen=True)
class Done:
    """What a correction wrote: its row's id, and the alerts it skipped."""

    correction_id: int
    skipped_alerts: int = 0
    development_id: int | None = None


def current_user() -> str:
    """The OS user, as the corrections' default author."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown"


def mark_not_relevant(db: Database, article_id: int, *, by: str, note: str | None = None) -> Done:
    """Rule an article's story out: listed, searched and alerted nowhere, out of its
    development."""
    with db.write() as session:
        root = _root(session, article_id)
        story = _story(session, root)
        ids = [a.id for a in story]
        old_dev = root.development_id
        for article in story:
            article.not_relevant = True
            article.development_id = None
        session.flush()
        skipped = _report_left(session, old_dev, root.id) if old_dev is not None else 0
        skipped += _skip_alerts(session, Alert.article_id.in_(ids), "not relevant")
        row = _record(
            session,
            CorrectionKind.NOT_RELEVANT,
            by,
            note,
            article_id=article_id,
            development_id=old_dev,
            change={"not_relevant": True, "articles": ids, "left_development": old_dev},
        )
    return Done(row, skipped)


def set_topics(
    db: Database, article_id: int, topics: Sequence[str], *, by: str, note: str | None = None
) -> Done:
    """Replace the detector's topics of an article's story with `topics`, for good."""
    chosen = list(dict.fromkeys(t.strip() for t in topics if t.strip()))
    unknown = [t for t in chosen if t not in TOPICS]
    if not chosen or unknown:
        raise CorrectionError(
            f"article {article_id}: topics must be some of {', '.join(TOPICS)}; "
            f"got {', '.join(unknown or chosen) or 'none'}"
        )
    with db.write() as session:
        root = _root(session, article_id)
        before = list(root.topics or [])
        root.analyst_topics = chosen
        for article in _story(session, root):
            article.topics = chosen
        if root.development_id is not None:
            dev = session.get(Development, root.development_id)
            if dev is not None and dev.first_article_id == root.id:
                dev.topics, dev.topic = chosen, chosen[0]
        row = _record(
            session,
            CorrectionKind.TOPICS,
            by,
            note,
            article_id=article_id,
            development_id=root.development_id,
            change={"from": before, "to": chosen},
        )
    return Done(row)


def merge_developments(
    db: Database, keep_id: int, other_id: int, *, by: str, note: str | None = None
) -> Done:
    """Move every report of development `other_id` into `keep_id`; `other_id` is merged away
    and sends nothing more."""
    if keep_id == other_id:
        raise CorrectionError(f"development {keep_id} cannot be merged into itself")
    with db.write() as session:
        keep = _open_development(session, keep_id)
        other = _open_development(session, other_id)
        moved = list(session.scalars(select(Article.id).where(Article.development_id == other.id)))
        session.execute(
            update(Article).where(Article.development_id == other.id).values(development_id=keep.id)
        )
        keep.report_count += other.report_count
        keep.topics = list(dict.fromkeys([*(keep.topics or []), *(other.topics or [])]))
        keep.countries = list(dict.fromkeys([*(keep.countries or []), *(other.countries or [])]))
        if _before(other.first_published_at, keep.first_published_at):
            keep.first_article_id = other.first_article_id
            keep.first_published_at = other.first_published_at
            keep.evidence = other.evidence
        if _before(keep.last_report_at, other.last_report_at):
            keep.last_report_at = other.last_report_at
        other.status, other.merged_into, other.report_count = DevelopmentStatus.MERGED, keep.id, 0
        # Developments merged into `other` earlier now point where their reports are.
        session.execute(
            update(Development)
            .where(Development.merged_into == other.id)
            .values(merged_into=keep.id)
        )
        skipped = _skip_alerts(
            session, Alert.development_id == other.id, f"merged into development {keep.id}"
        )
        row = _record(
            session,
            CorrectionKind.MERGE,
            by,
            note,
            development_id=keep.id,
            change={"merged": other.id, "into": keep.id, "articles": moved},
        )
    return Done(row, skipped, keep.id)


def split_report(db: Database, article_id: int, *, by: str, note: str | None = None) -> Done:
    """Take an article's story out of its development into a new development of its own."""
    with db.write() as session:
        root = _root(session, article_id)
        if root.development_id is None:
            raise CorrectionError(f"article {article_id} belongs to no development")
        old = _open_development(session, root.development_id)
        others = session.scalar(
            select(func.count()).where(
                Article.development_id == old.id,
                Article.duplicate_of.is_(None),
                Article.id != root.id,
            )
        )
        if not others:
            raise CorrectionError(
                f"article {article_id} is the only report of development {old.id}: "
                "there is nothing to split it from"
            )
        topics = list(root.topics or [])
        new = Development(
            topic=topics[0] if topics else old.topic,
            topics=topics,
            countries=list(root.countries or []),
            evidence=(root.evidence or {}).get(topics[0], "") if topics else "",
            first_article_id=root.id,
            first_published_at=root.published_at,
            last_report_at=root.published_at or root.fetched_at,
            report_count=1,
        )
        session.add(new)
        session.flush()
        story = _story(session, root)
        for article in story:
            article.development_id = new.id
        session.flush()
        skipped = _report_left(session, old.id, root.id)
        ids = [a.id for a in story]
        # The analyst has read the report: its follow-up under the old development is moot.
        skipped += _skip_alerts(
            session,
            Alert.article_id.in_(ids) & (Alert.development_id == old.id),
            f"split into development {new.id}",
        )
        row = _record(
            session,
            CorrectionKind.SPLIT,
            by,
            note,
            article_id=article_id,
            development_id=new.id,
            change={"from": old.id, "to": new.id, "articles": ids},
        )
    return Done(row, skipped, new.id)


def mark_development_wrong(
    db: Database, development_id: int, *, by: str, note: str | None = None
) -> Done:
    """A development the analyst says is wrong: it stays listed, and sends nothing more."""
    with db.write() as session:
        dev = _open_development(session, development_id)
        before = dev.status
        dev.status = DevelopmentStatus.WRONG
        skipped = _skip_alerts(session, Alert.development_id == dev.id, "development marked wrong")
        row = _record(
            session,
            CorrectionKind.WRONG,
            by,
            note,
            development_id=dev.id,
            change={"status": {"from": before, "to": DevelopmentStatus.WRONG}},
        )
    return Done(row, skipped, dev.id)


def mute_source(
    db: Database, source: str, until: datetime, *, by: str, note: str | None = None
) -> Done:
    """No alert for `source`'s articles before `until`; they are still stored."""
    if until.tzinfo is None:
        raise CorrectionError(f"source {source}: the mute's end needs a time zone")
    if until <= utcnow():
        raise CorrectionError(f"source {source}: the mute's end {until.isoformat()} is past")
    with db.write() as session:
        health = _health(session, source)
        before = health.muted_until
        health.muted_until = until
        skipped = _skip_alerts(
            session,
            Alert.article_id.in_(select(Article.id).where(Article.source == source)),
            f"source {source} muted",
        )
        row = _record(
            session,
            CorrectionKind.MUTE,
            by,
            note,
            source=source,
            change={"until": until.isoformat(), "before": before.isoformat() if before else None},
        )
    return Done(row, skipped)


def unmute_source(db: Database, source: str, *, by: str, note: str | None = None) -> Done:
    with db.write() as session:
        health = session.get(SourceHealth, source)
        if health is None or health.muted_until is None or health.muted_until <= utcnow():
            raise CorrectionError(f"source {source} is not muted")
        before = health.muted_until
        health.muted_until = None
        row = _record(
            session,
            CorrectionKind.UNMUTE,
            by,
            note,
            source=source,
            change={"before": before.isoformat()},
        )
    return Done(row)


# --- what the alerting side asks -------------------------------------------------------------


def is_muted(session: Session, source: str, now: datetime | None = None) -> bool:
    until = session.scalar(select(SourceHealth.muted_until).where(SourceHealth.source == source))
    return until is not None and until > (now or utcnow())


def muted_sources(session: Session, now: datetime | None = None) -> set[str]:
    return set(
        session.scalars(
            select(SourceHealth.source).where(SourceHealth.muted_until > (now or utcnow()))
        )
    )


def backfilled_articles(session: Session, since: datetime) -> int:
    """Articles and copies stored by backfill runs that ended after `since`: the digest's count."""
    total = session.scalar(
        select(func.coalesce(func.sum(CrawlRun.stored + CrawlRun.copies), 0)).where(
            CrawlRun.backfill.is_(True), CrawlRun.finished_at >= since
        )
    )
    return int(total or 0)


# --- reading corrections ---------------------------------------------------------------------


def correction_json(row: Correction) -> dict[str, Any]:
    return {
        "id": row.id,
        "by": row.by,
        "at": row.at.isoformat(),
        "kind": row.kind,
        "article_id": row.article_id,
        "development_id": row.development_id,
        "source": row.source,
        "change": dict(row.change or {}),
        "note": row.note,
    }


def iter_corrections(session: Session) -> Iterable[Correction]:
    yield from session.scalars(
        select(Correction).order_by(Correction.id).execution_options(yield_per=500)
    )


# --- shared steps ----------------------------------------------------------------------------


def _root(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise CorrectionError(f"article {article_id} does not exist")
    if article.duplicate_of is None:
        return article
    root = session.get(Article, article.duplicate_of)
    if root is None:
        raise CorrectionError(f"article {article_id}: its original is missing")
    return root


def _story(session: Session, root: Article) -> list[Article]:
    copies = session.scalars(select(Article).where(Article.duplicate_of == root.id))
    return [root, *copies]


def _open_development(session: Session, development_id: int) -> Development:
    dev = session.get(Development, development_id)
    if dev is None:
        raise CorrectionError(f"development {development_id} does not exist")
    if dev.status == DevelopmentStatus.MERGED:
        raise CorrectionError(
            f"development {development_id} was merged into development {dev.merged_into}"
        )
    return dev


def _report_left(session: Session, development_id: int, article_id: int) -> int:
    """Development bookkeeping after report `article_id` left it; returns the alerts skipped
    (those of a development left with no report)."""
    dev = session.get(Development, development_id)
    if dev is None:
        return 0
    dev.report_count = max(0, dev.report_count - 1)
    if dev.first_article_id != article_id:
        return 0
    when = func.coalesce(Article.published_at, Article.fetched_at)
    first = session.scalars(
        select(Article)
        .where(Article.development_id == dev.id, Article.duplicate_of.is_(None))
        .order_by(when, Article.id)
        .limit(1)
    ).first()
    if first is None:
        dev.first_article_id, dev.report_count = None, 0
        dev.status = DevelopmentStatus.EMPTY
        return _skip_alerts(session, Alert.development_id == dev.id, "no report left")
    dev.first_article_id, dev.first_published_at = first.id, first.published_at
    return 0


def _skip_alerts(session: Session, condition: Any, reason: str) -> int:
    """Alerts about articles or developments not yet sent (follow-ups parked for the digest
    included) are skipped; digests, summaries and source-health rows are left alone."""
    result = session.execute(
        update(Alert)
        .where(
            condition,
            Alert.status == "pending",
            Alert.kind.in_([AlertKind.NEW, AlertKind.FOLLOW_UP]),
        )
        .values(status="skipped", lease_until=None, last_error=f"correction: {reason}")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _health(session: Session, source: str) -> SourceHealth:
    health = session.get(SourceHealth, source)
    if health is None:
        health = SourceHealth(source=source, error_streak=0, down_alerted=False)
        session.add(health)
        session.flush()
    return health


def _record(
    session: Session,
    kind: CorrectionKind,
    by: str,
    note: str | None,
    *,
    article_id: int | None = None,
    development_id: int | None = None,
    source: str | None = None,
    change: dict[str, Any],
) -> int:
    row = Correction(
        by=by[:200],
        at=utcnow(),
        kind=kind,
        article_id=article_id,
        development_id=development_id,
        source=source,
        change=change,
        note=note,
    )
    session.add(row)
    session.flush()
    return row.id


def _before(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and (b is None or a < b)
