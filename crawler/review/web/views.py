"""What the timeline, charts and sources pages show, read in one session: the routes in
``app.py`` render these with the page's filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.review.charts import developments_by_country, developments_by_topic, reports_by_outlet
from crawler.review.queries import development_conditions
from crawler.review.runs import run_history
from crawler.review.timeline import TimelineEntry, timeline
from crawler.review.web.filters import Filters
from crawler.review.web.svg import (
    ACCENT,
    COPY_COLOUR,
    Series,
    month_grid,
    month_label,
    outlet_bars,
    stacked_months,
)
from crawler.storage.models import Development
from crawler.text.display import arabic_label
from crawler.vocab import TOPIC_LABELS, TOPICS

TIMELINE_PAGE = 50
TOP_COUNTRIES = 12
TOP_OUTLETS = 25
TOPIC_COLOURS = {
    "contract": "#1f7a3a",
    "negotiation": "#1d5fa8",
    "delivery": "#8a5a00",
    "sanction": "#b02a2a",
    "other": "#6b7280",
}


def timeline_context(session: Session, f: Filters) -> dict[str, Any]:
    flt = f.article_filter(limit=TIMELINE_PAGE + 1)
    entries = timeline(session, flt, offset=(f.page - 1) * TIMELINE_PAGE)
    total = session.scalar(
        select(func.count()).select_from(Development).where(*development_conditions(flt))
    )
    return {
        "months": _by_month(entries[:TIMELINE_PAGE]),
        "has_more": len(entries) > TIMELINE_PAGE,
        "total": total or 0,
    }


def _by_month(entries: list[TimelineEntry]) -> list[tuple[str, list[TimelineEntry]]]:
    def month(e: TimelineEntry) -> str:
        d = e.development
        when = d.first_published_at or d.created_at
        return when.astimezone(UTC).strftime("%Y-%m") if when else ""

    return [(m, list(items)) for m, items in groupby(entries, key=month)]


def charts_context(
    session: Session,
    f: Filters,
    country_label: Callable[[str], str],
    outlet_name: Callable[[str], str],
) -> dict[str, Any]:
    flt = f.article_filter()
    topics = developments_by_topic(session, flt)
    topic_series = [
        Series(t, arabic_label(TOPIC_LABELS, t), TOPIC_COLOURS.get(t, "#6b7280"))
        for t in [*TOPICS, *sorted(set(topics.keys) - set(TOPICS))]
        if t in topics.keys
    ]
    countries = developments_by_country(session, flt)
    country_series = [Series(c, country_label(c), "") for c in countries.keys[:TOP_COUNTRIES]]
    outlets = reports_by_outlet(session, flt)
    return {
        "topics": topics,
        "topic_series": topic_series,
        "topic_chart": stacked_months(
            topics, topic_series, "التطورات شهرياً حسب الموضوع", "development"
        ),
        "countries": countries,
        "country_series": country_series,
        "country_chart": month_grid(
            countries, country_series, "التطورات شهرياً حسب البلد", "development"
        ),
        "outlets": outlets,
        "outlet_chart": outlet_bars(outlets[:TOP_OUTLETS], "التقارير حسب المنفذ", outlet_name),
        "month_label": month_label,
        "original_colour": ACCENT,
        "copy_colour": COPY_COLOUR,
    }


def sources_context(session: Session, names: list[str]) -> dict[str, Any]:
    return {"history": run_history(session, names), "now": datetime.now(UTC)}
