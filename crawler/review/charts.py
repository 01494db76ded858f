"""The figures behind the charts page, each one aggregate query (GROUP BY in the database).

- developments per month by topic (a development counts once, under its main topic);
- developments per month by country (once under each of its countries);
- reports per outlet, originals and copies apart (of the developments the filters select).

All take the page's filters (:class:`ArticleFilter`), through the same conditions as the lists,
and read indexes only where no filter needs a row (migration 0007).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, Text, cast, column, func, literal, select, type_coerce, values
from sqlalchemy.orm import Session

from crawler.review.queries import (
    ArticleFilter,
    development_conditions,
)
from crawler.storage.models import Article, Development, UTCDateTime

# The charts show at most this many months, the latest.
MAX_MONTHS = 36


@dataclass(frozen=True)
class MonthlyCounts:
    """``counts[(month, key)]``, months as ``YYYY-MM``, from the first month to the last."""

    months: list[str]
    keys: list[str]
    counts: dict[tuple[str, str], int]

    def total(self, key: str) -> int:
        return sum(self.counts.get((m, key), 0) for m in self.months)

    def month_total(self, month: str) -> int:
        return sum(self.counts.get((month, k), 0) for k in self.keys)


@dataclass(frozen=True)
class OutletCount:
    source: str
    originals: int
    copies: int

    @property
    def reports(self) -> int:
        return self.originals + self.copies


def developments_by_topic(session: Session, flt: ArticleFilter) -> MonthlyCounts:
    keys = list(
        session.scalars(select(Development.topic).where(*development_conditions(flt)).distinct())
    )
    return _per_month(session, flt, Development.topic, keys)


def developments_by_country(session: Session, flt: ArticleFilter) -> MonthlyCounts:
    """Counted per set of countries (few, and each an index range), then shared out to each
    country of the set: a development counts once under each of its countries."""
    key = _countries_text(session)
    sets = [
        s for s in session.scalars(select(key).where(*development_conditions(flt)).distinct()) if s
    ]
    by_set = _per_month(session, flt, key, sets)
    counts: dict[tuple[str, str], int] = {}
    for (month, text), n in by_set.counts.items():
        for country in json.loads(text):
            counts[(month, country)] = counts.get((month, country), 0) + n
    return _monthly(by_set.months, counts)


def _countries_text(session: Session) -> Any:
    """The stored JSON text of ``countries``, as migration 0007 indexes it."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(Development.countries, Text)
    return type_coerce(Development.countries, Text)


def _per_month(session: Session, flt: ArticleFilter, key: Any, keys: list[str]) -> MonthlyCounts:
    """Developments per (month, key) over the latest MAX_MONTHS months that have any.

    One statement: every (month, key) pair, each counted by a subquery over an index range of
    (key, first_published_at); a development without a publication date counts in the month
    it was made. A GROUP BY over a computed month would read and sort every row instead.
    """
    months = _months(session, flt)
    if not months or not keys:
        return _monthly(months, {})
    month_rows = (
        values(
            column("month", String),
            column("lo", UTCDateTime()),
            column("hi", UTCDateTime()),
            name="months",
        )
        .data([(m, _start(m), _start(_next(m))) for m in months])
        .cte("months")
    )
    key_rows = values(column("key", Text), name="keys").data([(k,) for k in keys]).cte("keys")
    conditions = development_conditions(flt)
    dated = (
        select(func.count())
        .where(
            key == key_rows.c.key,
            Development.first_published_at >= month_rows.c.lo,
            Development.first_published_at < month_rows.c.hi,
            *conditions,
        )
        .scalar_subquery()
    )
    undated = (
        select(func.count())
        .where(
            key == key_rows.c.key,
            Development.first_published_at.is_(None),
            Development.created_at >= month_rows.c.lo,
            Development.created_at < month_rows.c.hi,
            *conditions,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(month_rows.c.month, key_rows.c.key, dated + undated)
        .select_from(month_rows)
        .join(key_rows, literal(True))
    ).all()
    return _monthly(months, {(str(m), str(k)): int(n) for m, k, n in rows if n})


def _months(session: Session, flt: ArticleFilter) -> list[str]:
    """The months from the first development ``flt`` selects to the last, at most the latest
    MAX_MONTHS of them (an outlier date far in the past must not stretch the chart)."""
    conditions = development_conditions(flt)
    published = Development.first_published_at
    undated = [published.is_(None), *conditions]
    # Minimum and maximum of each column apart: each is one end of an index.
    bounds = session.execute(
        select(
            select(func.min(published)).where(*conditions).scalar_subquery(),
            select(func.max(published)).where(*conditions).scalar_subquery(),
            select(func.min(Development.created_at)).where(*undated).scalar_subquery(),
            select(func.max(Development.created_at)).where(*undated).scalar_subquery(),
        )
    ).one()
    known = [b for b in bounds if b is not None]
    if not known:
        return []
    first, last = (b.astimezone(UTC).strftime("%Y-%m") for b in (min(known), max(known)))
    return _month_range(first, last)[-MAX_MONTHS:]


def stored_countries(session: Session) -> list[str]:
    """Every country a development names, read from the index of their sets."""
    key = _countries_text(session)
    found: set[str] = set()
    for text in session.scalars(select(key).distinct()):
        found.update(json.loads(text) if text else [])
    return sorted(found)


def reports_by_outlet(session: Session, flt: ArticleFilter) -> list[OutletCount]:
    """Reports per outlet, most first: every stored report, or, when ``flt`` filters, the
    reports of the developments it selects (the developments the other two charts count).

    Both read only the (source, development_id, duplicate_of) index; the articles' own topic,
    country and date columns would mean reading every article row.
    """
    # Never a report the analyst ruled out (the last column of that index).
    conditions: list[Any] = [Article.not_relevant.is_(False)]
    if flt.topic or flt.country or flt.since or flt.until:
        chosen = select(Development.id).where(*development_conditions(flt))
        conditions.append(Article.development_id.in_(chosen))
    if flt.source:
        conditions.append(Article.source == flt.source)
    total = func.count()
    rows = session.execute(
        select(Article.source, total, func.count(Article.duplicate_of))
        .where(*conditions)
        .group_by(Article.source)
        .order_by(total.desc(), Article.source)
    ).all()
    return [OutletCount(source, int(n) - int(copies), int(copies)) for source, n, copies in rows]


def _monthly(months: list[str], counts: dict[tuple[str, str], int]) -> MonthlyCounts:
    totals: dict[str, int] = {}
    for (_, key), n in counts.items():
        totals[key] = totals.get(key, 0) + n
    return MonthlyCounts(months, sorted(totals, key=lambda k: (-totals[k], k)), counts)


def _start(month: str) -> datetime:
    return datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=UTC)


def _next(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def _month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (``YYYY-MM``), the empty ones too."""
    out = [first]
    while out[-1] < last:
        out.append(_next(out[-1]))
    return out
