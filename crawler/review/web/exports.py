"""Downloads of what a page's filters select, streamed: ``/export.csv`` and ``/export.jsonl``
(articles), ``/developments/export.csv`` and ``.jsonl`` (developments, one row each)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from starlette.responses import StreamingResponse

from crawler.review.queries import CSV_FIELDS, article_json, csv_text, iter_articles
from crawler.review.search import parse_query, search
from crawler.review.timeline import timeline
from crawler.review.web.filters import Filters
from crawler.storage.db import Database

KINDS = ("csv", "jsonl")
# A search export is ranked, so it has to stop somewhere; a plain listing streams everything.
SEARCH_LIMIT = 10_000


DEVELOPMENT_FIELDS = [
    "id",
    "topic",
    "topics",
    "countries",
    "first_published_at",
    "last_report_at",
    "reports",
    "follow_ups",
    "copies",
    "outlets",
    "first_article_id",
    "first_source",
    "first_title",
    "first_url",
    "evidence",
]
# Developments are read a batch at a time, each with its reports.
BATCH = 500


def export_response(database: Database, f: Filters, kind: str) -> StreamingResponse:
    """The articles as a download; ``f`` is checked already (a stream cannot turn into a 400)."""
    rows = _rows(database, f)
    fields = CSV_FIELDS + (["rank"] if f.q else [])
    return _download(rows, kind, fields, "marsad")


def developments_response(database: Database, f: Filters, kind: str) -> StreamingResponse:
    """The developments the timeline's filters select, newest first, as a download."""
    return _download(
        _development_rows(database, f), kind, DEVELOPMENT_FIELDS, "marsad-developments"
    )


def _download(
    rows: Iterator[dict[str, Any]], kind: str, fields: list[str], name: str
) -> StreamingResponse:
    body = csv_text(rows, fields) if kind == "csv" else _jsonl(rows)
    media = "text/csv; charset=utf-8" if kind == "csv" else "application/x-ndjson"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.{kind}"'},
    )


def _development_rows(database: Database, f: Filters) -> Iterator[dict[str, Any]]:
    flt = replace(f.article_filter(), limit=BATCH)
    offset = 0
    with database.read() as session:
        while True:
            entries = timeline(session, flt, offset=offset, with_alerts=False)
            for entry in entries:
                yield entry.to_json()
            if len(entries) < BATCH:
                return
            offset += BATCH
            session.expunge_all()


def _rows(database: Database, f: Filters) -> Iterator[dict[str, Any]]:
    with database.read() as session:
        if not f.q:
            for a in iter_articles(session, f.article_filter()):
                yield article_json(a, with_text=True)
            return
        if not parse_query(f.q):
            return
        for h in search(session, f.q, f.article_filter(limit=SEARCH_LIMIT)):
            yield h.to_json(with_text=True)


def _jsonl(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"
