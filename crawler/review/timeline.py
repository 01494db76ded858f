"""The developments timeline: each development with its reports in the order they appeared.

A development's reports are its first report, the follow-ups (other outlets' own reports of the
same event) and the copies (rows whose ``duplicate_of`` names the report they copy). They are
read for one page of developments at a time, without their texts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only

from crawler.review.queries import ArticleFilter, article_time, iso, select_developments
from crawler.storage.models import Alert, Article, Development

ReportKind = Literal["first", "follow-up", "copy"]

# The columns a timeline row shows; the texts stay on disk.
_SHOWN = (
    Article.id,
    Article.url,
    Article.source,
    Article.title,
    Article.published_at,
    Article.published_precision,
    Article.fetched_at,
    Article.duplicate_of,
    Article.development_id,
)


@dataclass
class Report:
    article: Article
    kind: ReportKind
    # For a copy: the report it copies, when that is in the same development.
    copy_of: Article | None = None


@dataclass
class TimelineEntry:
    development: Development
    reports: list[Report] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    @property
    def first(self) -> Article | None:
        return self.reports[0].article if self.reports else None

    @property
    def copies(self) -> int:
        return sum(r.kind == "copy" for r in self.reports)

    @property
    def follow_ups(self) -> int:
        return sum(r.kind == "follow-up" for r in self.reports)

    @property
    def outlets(self) -> list[str]:
        """Every outlet that ran the story, in the order they ran it."""
        return list(dict.fromkeys(r.article.source for r in self.reports))

    def to_json(self) -> dict[str, Any]:
        d = self.development
        first = self.first
        return {
            "id": d.id,
            "topic": d.topic,
            "topics": list(d.topics or [d.topic]),
            "countries": list(d.countries or []),
            "first_published_at": iso(d.first_published_at),
            "last_report_at": iso(d.last_report_at),
            "reports": len(self.reports),
            "follow_ups": self.follow_ups,
            "copies": self.copies,
            "outlets": self.outlets,
            "first_article_id": first.id if first else None,
            "first_source": first.source if first else None,
            "first_title": first.title if first else None,
            "first_url": first.url if first else None,
            "evidence": d.evidence,
        }


def timeline(
    session: Session, flt: ArticleFilter, *, offset: int = 0, with_alerts: bool = True
) -> list[TimelineEntry]:
    """The developments ``flt`` selects, newest first (``flt.limit`` of them from ``offset``),
    each with its reports oldest first (none the analyst ruled out)."""
    devs = list(session.scalars(select_developments(flt).offset(offset)))
    entries = {d.id: TimelineEntry(d) for d in devs}
    if not entries:
        return []
    found: dict[int, list[Article]] = defaultdict(list)
    for ids in _chunks(list(entries), 500):
        for a in session.scalars(
            select(Article)
            .options(load_only(*_SHOWN))
            .where(Article.development_id.in_(ids), Article.not_relevant.is_(False))
            .order_by(article_time(), Article.id)
        ):
            if a.development_id is not None:
                found[a.development_id].append(a)
        if with_alerts:
            for al in session.scalars(
                select(Alert).where(Alert.development_id.in_(ids)).order_by(Alert.id)
            ):
                if al.development_id is not None:
                    entries[al.development_id].alerts.append(al)
    for dev_id, entry in entries.items():
        entry.reports = _ordered(entry.development, found[dev_id])
    return list(entries.values())


def _ordered(development: Development, articles: list[Article]) -> list[Report]:
    """The first report, then the rest in time order, each named for what it is."""
    first = next((a for a in articles if a.id == development.first_article_id), None)
    if first is None:
        first = next((a for a in articles if a.duplicate_of is None), None)
    by_id = {a.id: a for a in articles}
    reports = [Report(first, "first")] if first is not None else []
    for a in articles:
        if a is first:
            continue
        if a.duplicate_of is not None:
            reports.append(Report(a, "copy", by_id.get(a.duplicate_of)))
        else:
            reports.append(Report(a, "follow-up"))
    return reports


def copy_counts(session: Session, roots: Iterable[int]) -> dict[int, int]:
    """How many copies each story root has (a root without copies is absent); a copy the
    analyst ruled out is none."""
    counts: dict[int, int] = {}
    for ids in _chunks(sorted(set(roots)), 500):
        rows = session.execute(
            select(Article.duplicate_of, func.count())
            .where(Article.duplicate_of.in_(ids), Article.not_relevant.is_(False))
            .group_by(Article.duplicate_of)
        ).all()
        counts.update({int(root): int(n) for root, n in rows if root is not None})
    return counts


def _chunks(values: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]
