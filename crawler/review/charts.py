"""The figures behind the charts page, each one aggregate query (GROUP BY in the database).

- developments per month by topic (a development counts once, under its main topic);
- developments per month by country (once under each of its countries);
- reports per outlet, originals and copies apart.

All take the page's filters (:class:`ArticleFilter`), through the same conditions as the lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from crawler.review.queries import (
    ArticleFilter,
    article_conditions,
    development_conditions,
    development_time,
)
from crawler.storage.models import Article, Development


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


def _month(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        # SQLite keeps datetimes as "YYYY-MM-DD HH:MM:SS" text, in UTC.
        return func.substr(column, 1, 7)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM")


def developments_by_topic(session: Session, flt: ArticleFilter) -> MonthlyCounts:
    month = _month(session, development_time()).label("month")
    rows = session.execute(
        select(month, Development.topic, func.count())
        .where(*development_conditions(flt))
        .group_by(month, Development.topic)
    ).all()
    return _monthly(rows)


def developments_by_country(session: Session, flt: ArticleFilter) -> MonthlyCounts:
    if session.get_bind().dialect.name == "sqlite":
        each = func.json_each(Development.countries).table_valued("value")
    else:
        each = func.json_array_elements_text(Development.countries).table_valued("value")
    month = _month(session, development_time()).label("month")
    rows = session.execute(
        select(month, each.c.value, func.count())
        .select_from(Development)
        .join(each, literal(True))
        .where(*development_conditions(flt))
        .group_by(month, each.c.value)
    ).all()
    return _monthly(rows)


def reports_by_outlet(session: Session, flt: ArticleFilter) -> list[OutletCount]:
    """Reports per outlet, most first."""
    total = func.count()
    rows = session.execute(
        select(Article.source, total, func.count(Article.duplicate_of))
        .where(*article_conditions(flt))
        .group_by(Article.source)
        .order_by(total.desc(), Article.source)
    ).all()
    return [OutletCount(source, int(n) - int(copies), int(copies)) for source, n, copies in rows]


def _monthly(rows: Any) -> MonthlyCounts:
    counts = {(str(m), str(k)): int(n) for m, k, n in rows if m and k}
    keys: dict[str, int] = {}
    for (_, key), n in counts.items():
        keys[key] = keys.get(key, 0) + n
    present = sorted({m for m, _ in counts})
    return MonthlyCounts(
        _month_range(present[0], present[-1]) if present else [],
        sorted(keys, key=lambda k: (-keys[k], k)),
        counts,
    )


def _month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (``YYYY-MM``), the empty ones too."""
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
