"""``/export.csv`` and ``/export.jsonl``: every article the page's filters select, streamed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from starlette.responses import StreamingResponse

from crawler.review.queries import CSV_FIELDS, article_json, csv_text, iter_articles
from crawler.review.search import parse_query, search
from crawler.review.web.filters import Filters
from crawler.storage.db import Database

KINDS = ("csv", "jsonl")
# A search export is ranked, so it has to stop somewhere; a plain listing streams everything.
SEARCH_LIMIT = 10_000


def export_response(database: Database, f: Filters, kind: str) -> StreamingResponse:
    """The export as a download; ``f`` is checked already (a stream cannot turn into a 400)."""
    body = _csv(database, f) if kind == "csv" else _jsonl(database, f)
    media = "text/csv; charset=utf-8" if kind == "csv" else "application/x-ndjson"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="marsad-{stamp}.{kind}"'},
    )


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


def _jsonl(database: Database, f: Filters) -> Iterator[str]:
    for row in _rows(database, f):
        yield json.dumps(row, ensure_ascii=False) + "\n"


def _csv(database: Database, f: Filters) -> Iterator[str]:
    return csv_text(_rows(database, f), CSV_FIELDS + (["rank"] if f.q else []))
