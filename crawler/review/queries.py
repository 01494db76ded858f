"""Read-side queries over stored articles, shared by the CLI, export and the web page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from crawler.analysis.classify import Classifier
from crawler.storage.corrections import DevelopmentStatus
from crawler.storage.models import Article, Development
from crawler.text.dates import parse_machine_date
from crawler.vocab import TOPICS

if TYPE_CHECKING:
    from crawler.analysis.analyzer import Analyzer


@dataclass(frozen=True)
class ArticleFilter:
    originals: bool = False
    topic: str | None = None
    country: str | None = None
    source: str | None = None
    since: datetime | None = None
    limit: int | None = None
    # Exclusive, unlike `since`: the web page's "to" day ends where the next one starts.
    until: datetime | None = None


class FilterError(ValueError):
    """A filter value that matches nothing known; the message lists the valid values."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


def checked_filter(
    session: Session, flt: ArticleFilter, configured_sources: Iterable[str]
) -> ArticleFilter:
    """``flt`` with its country as the gazetteer's English name.

    A topic, country or source that matches nothing known is a :class:`FilterError`, not an
    empty result: a typo must not look like "nothing happened". Known sources are the
    configured ones and those of stored articles.
    """
    if flt.topic and flt.topic not in TOPICS:
        raise FilterError("topic", f"unknown topic {flt.topic!r}; one of: {', '.join(TOPICS)}")
    if flt.country:
        classifier = Classifier.builtin()
        country = classifier.country_named(flt.country)
        if country is None:
            known = ", ".join(sorted(c.name for c in classifier.countries))
            raise FilterError(
                "country",
                f"unknown country {flt.country!r}: write its English short name or its Arabic "
                f'name, e.g. "Turkey" or "تركيا"; known: {known}',
            )
        flt = replace(flt, country=country)
    configured = set(configured_sources)
    if flt.source and flt.source not in configured:
        stored = session.scalar(select(Article.id).where(Article.source == flt.source).limit(1))
        if stored is None:
            sources = sorted({*configured, *session.scalars(select(Article.source).distinct())})
            raise FilterError(
                "source", f"unknown source {flt.source!r}; known: {', '.join(sources) or 'none'}"
            )
    return flt


def parse_since(value: str | None) -> datetime | None:
    """``2024-05-01`` or a full ISO timestamp (or what else a machine writes); a bare date is
    midnight UTC."""
    if not value:
        return None
    parsed = parse_machine_date(value)
    if parsed is None:
        raise ValueError(f"{value!r} is not a date like 2024-05-01")
    return parsed.value


def _json_contains(column: Any, value: str) -> Any:
    # Topics and countries are short JSON lists; a quoted-substring test works the same on
    # SQLite and PostgreSQL and needs no JSON operators.
    return cast(column, String).like(f'%"{value}"%')


def article_time() -> Any:
    """When an article happened: its publication date, else when it was fetched."""
    return func.coalesce(Article.published_at, Article.fetched_at)


def ruled_out_ids() -> Any:
    """The ids of the articles an analyst ruled out (a partial index holds just these)."""
    return select(Article.id).where(Article.not_relevant)


def article_conditions(flt: ArticleFilter, *, with_ruled_out: bool = False) -> list[Any]:
    """The WHERE conditions of ``flt`` on articles: the one place the filters become SQL, for
    the list, search, exports and the charts. An article the analyst ruled out is listed,
    searched and exported nowhere (search leaves it out by id instead, `with_ruled_out`)."""
    when = article_time()
    conditions: list[Any] = []
    if not with_ruled_out:
        conditions.append(Article.not_relevant.is_(False))
    if flt.originals:
        conditions.append(Article.duplicate_of.is_(None))
    if flt.topic:
        conditions.append(_json_contains(Article.topics, flt.topic))
    if flt.country:
        conditions.append(_json_contains(Article.countries, flt.country))
    if flt.source:
        conditions.append(Article.source == flt.source)
    if flt.since:
        conditions.append(when >= flt.since)
    if flt.until:
        conditions.append(when < flt.until)
    return conditions


def select_articles(flt: ArticleFilter, *, with_ruled_out: bool = False) -> Any:
    """Articles matching ``flt``, newest first (see `article_conditions`)."""
    conditions = article_conditions(flt, with_ruled_out=with_ruled_out)
    stmt = select(Article).where(*conditions).order_by(article_time().desc(), Article.id.desc())
    if flt.limit:
        stmt = stmt.limit(flt.limit)
    return stmt


def development_time() -> Any:
    """When a development happened: its first report's publication, else when it was made."""
    return func.coalesce(Development.first_published_at, Development.created_at)


# A development merged into another (its reports moved there) or left with no report (all
# ruled out) is no development of its own: the timeline, charts and exports leave it out.
GONE = (DevelopmentStatus.MERGED, DevelopmentStatus.EMPTY)


def development_conditions(flt: ArticleFilter) -> list[Any]:
    """``flt`` on developments: a topic among its topics, a country among its countries, a
    source that ran any of its reports, its first report's date in the range; never one
    merged away or emptied by corrections (`GONE`)."""
    when = development_time()
    conditions: list[Any] = [Development.status.not_in([str(s) for s in GONE])]
    if flt.topic:
        conditions.append(
            or_(Development.topic == flt.topic, _json_contains(Development.topics, flt.topic))
        )
    if flt.country:
        conditions.append(_json_contains(Development.countries, flt.country))
    if flt.source:
        # The developments the outlet ran, read from the (source, development_id) index.
        ran = select(Article.development_id).where(Article.source == flt.source)
        conditions.append(Development.id.in_(ran))
    if flt.since:
        conditions.append(when >= flt.since)
    if flt.until:
        conditions.append(when < flt.until)
    return conditions


def select_developments(flt: ArticleFilter) -> Any:
    """Developments ``flt`` selects, newest first."""
    stmt = (
        select(Development)
        .where(*development_conditions(flt))
        .order_by(development_time().desc(), Development.id.desc())
    )
    if flt.limit:
        stmt = stmt.limit(flt.limit)
    return stmt


def iter_articles(session: Session, flt: ArticleFilter) -> Iterator[Article]:
    yield from session.scalars(select_articles(flt).execution_options(yield_per=500))


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def article_json(article: Article, *, with_text: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": article.id,
        "url": article.url,
        "source": article.source,
        "title": article.title,
        "published_at": iso(article.published_at),
        "published_precision": article.published_precision,
        "fetched_at": iso(article.fetched_at),
        "topics": list(article.topics or []),
        "countries": list(article.countries or []),
        "terms": list(article.terms or []),
        "duplicate_of": article.duplicate_of,
        "development_id": article.development_id,
    }
    if with_text:
        data.update(
            text=article.text,
            author=article.author,
            evidence=dict(article.evidence or {}),
            amounts=list(article.amounts or []),
            revision=article.revision,
            not_relevant=article.not_relevant,
            analyst_topics=article.analyst_topics,
        )
    return data


def own_evidence(copy: Article, analyzer: Analyzer) -> dict[str, str]:
    """Evidence sentences for a copy's topics, cut from the copy's own text.

    A copy stores its original's analysis, whose sentences may be worded differently or be
    missing from the copy; a topic the copy's own text gives no sentence for is left out.
    """
    found = analyzer.analyze(copy.title, copy.text).evidence
    return {topic: found[topic] for topic in copy.topics or [] if topic in found}


def copies_of(session: Session, article_id: int) -> list[Article]:
    return list(
        session.scalars(
            select(Article)
            .where(Article.duplicate_of == article_id)
            .order_by(Article.fetched_at, Article.id)
        )
    )


# The flat shape of an article row for CSV: the JSON fields, with lists joined by ";".
CSV_FIELDS = [
    "id",
    "url",
    "source",
    "title",
    "published_at",
    "published_precision",
    "fetched_at",
    "topics",
    "countries",
    "terms",
    "duplicate_of",
    "development_id",
]


def csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its lists joined by ";" (of the terms, their names) for one CSV cell."""
    flat = {k: ";".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
    flat["terms"] = ";".join(sorted({t["term"] for t in row.get("terms", [])}))
    return flat


def csv_text(rows: Iterable[dict[str, Any]], fields: list[str] = CSV_FIELDS) -> Iterator[str]:
    """Article rows as CSV, a chunk per row, opening with a byte-order mark: without it,
    spreadsheet programs read UTF-8 as a legacy code page and the Arabic comes out garbled."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    buffer.write("\ufeff")
    writer.writeheader()
    for row in rows:
        writer.writerow(csv_row(row))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()
