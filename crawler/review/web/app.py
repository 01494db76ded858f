"""The review page behind `marsad web`: Starlette, Jinja2 (autoescaped), no JavaScript.

Every page is a GET over one read session. By default anything but GET/HEAD is answered 405
before routing, so no URL, present or future, can be used to write; with `--allow-edits` the
correction forms post to ``/edit/`` (`crawler.review.web.edits`), CSRF-checked, and write
through a database session of their own. Responses carry a
Content-Security-Policy that forbids scripts outright: even if escaping ever failed, a
stored ``<script>`` would not run.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from crawler.analysis.analyzer import Analyzer
from crawler.analysis.country_names import arabic_country_name
from crawler.config import Config
from crawler.review.charts import stored_countries
from crawler.review.queries import (
    FilterError,
    checked_filter,
    copies_of,
    own_evidence,
    select_articles,
)
from crawler.review.search import find_spans, parse_query, search
from crawler.review.timeline import copy_counts
from crawler.review.web.edits import edit_routes
from crawler.review.web.exports import KINDS, developments_response, export_response
from crawler.review.web.filters import Filters
from crawler.review.web.security import CsrfTokens, ReadOnly, WithEdits
from crawler.review.web.templating import environment
from crawler.review.web.views import charts_context, sources_context, timeline_context
from crawler.storage.db import Database
from crawler.storage.models import MAX_INTEGER, Article, Development
from crawler.text.display import segments

STATIC = Path(__file__).resolve().with_name("static")
PAGE_SIZE = 50


def create_app(
    database: Database, config: Config | None = None, *, edits: Database | None = None
) -> ASGIApp:
    """The review app over an open database. ``config`` names the sources for the sources
    page (the built-in default when omitted). ``edits``, a writable database, turns on the
    correction forms."""
    tokens = CsrfTokens()

    @cache
    def site_config() -> Config:
        from crawler.config import load_config

        return config or load_config(None)

    def outlet_name(source: str) -> str:
        # The one way a page names an outlet: the source's `title`, else its name.
        return site_config().display_name(source)

    env = environment(outlet_name=outlet_name)
    env.globals.update(edits=edits is not None, csrf_token=tokens.current)

    @cache
    def analyzer() -> Analyzer:
        # Only a copy's page needs one (its own evidence); built once, on first use.
        return Analyzer.from_config(site_config())

    def filters(request: Request, session: Session) -> Filters:
        """The query string's filters, the country as its English name; a value that matches
        nothing known raises FilterError (answered 400)."""
        f = Filters.from_request(request)
        flt = checked_filter(session, f.article_filter(), [s.name for s in site_config().sources])
        return replace(f, country=flt.country or "")

    def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status_code)

    def choices(session: Session) -> dict[str, list[str]]:
        sources = sorted(session.scalars(select(Article.source).distinct()))
        return {"sources": sources, "countries": stored_countries(session)}

    def list_page(request: Request) -> Response:
        with database.read() as session:
            f = filters(request, session)
            offset = (f.page - 1) * PAGE_SIZE
            rows = _rows(session, f, offset)
            has_more = len(rows) > PAGE_SIZE
            rows = rows[:PAGE_SIZE]
            copies = copy_counts(
                session, [r["article"].duplicate_of or r["article"].id for r in rows]
            )
            for r in rows:
                a = r["article"]
                r["copies"] = copies.get(a.duplicate_of or a.id, 0)
            return render(
                "list.html",
                f=f,
                rows=rows,
                has_more=has_more,
                choices=choices(session),
                searched=bool(f.q),
                bad_query=bool(f.q) and not parse_query(f.q),
                page="list",
            )

    def _rows(session: Session, f: Filters, offset: int) -> list[dict[str, Any]]:
        # One row more than a page tells whether there is a next page.
        flt = f.article_filter(limit=PAGE_SIZE + 1)
        if f.q:
            if not parse_query(f.q):
                return []
            hits = search(session, f.q, flt, offset=offset)
            return [
                {
                    "article": h.article,
                    "rank": h.rank,
                    "title": segments(h.article.title, h.title_spans),
                    "snippet": segments(h.snippet, h.snippet_spans),
                }
                for h in hits
            ]
        return [
            {"article": a, "rank": None, "title": [(a.title, False)], "snippet": None}
            for a in session.scalars(select_articles(flt).offset(offset))
        ]

    def article_page(request: Request) -> Response:
        article_id = request.path_params["article_id"]
        q = request.query_params.get("q", "").strip()[:300]
        with database.read() as session:
            article = session.get(Article, article_id) if article_id <= MAX_INTEGER else None
            if article is None:
                return render("missing.html", status_code=404, what="المقال", page="")
            title_spans, body_spans = _term_spans(article)
            if q and parse_query(q):
                title_spans += find_spans(article.title, q)
                body_spans += find_spans(article.text, q)
            root_id = article.duplicate_of or article.id
            original = session.get(Article, root_id) if article.duplicate_of else None
            copies = [c for c in copies_of(session, root_id) if c.id != article.id]
            development = (
                session.get(Development, article.development_id) if article.development_id else None
            )
            reports: list[Article] = []
            if development is not None:
                reports = [
                    r
                    for r in session.scalars(
                        select(Article)
                        .where(Article.development_id == development.id)
                        .order_by(
                            func.coalesce(Article.published_at, Article.fetched_at), Article.id
                        )
                    )
                    if r.id != article.id
                ]
            evidence = (
                own_evidence(article, analyzer())
                if article.duplicate_of
                else dict(article.evidence or {})
            )
            return render(
                "article.html",
                a=article,
                evidence=evidence,
                q=q,
                title=segments(article.title, title_spans),
                paragraphs=_paragraphs(article.text, body_spans),
                original=original,
                copies=copies,
                development=development,
                reports=reports,
                page="article",
            )

    def developments_page(request: Request) -> Response:
        with database.read() as session:
            f = filters(request, session)
            return render(
                "developments.html",
                f=f,
                choices=choices(session),
                page="developments",
                **timeline_context(session, f),
            )

    def charts_page(request: Request) -> Response:
        with database.read() as session:
            f = filters(request, session)
            return render(
                "charts.html",
                f=f,
                choices=choices(session),
                page="charts",
                **charts_context(session, f, arabic_country_name, outlet_name),
            )

    def sources_page(request: Request) -> Response:
        from crawler.review.status import collect_status

        status = collect_status(database, site_config())
        with database.read() as session:
            context = sources_context(session, [s["name"] for s in status.data["sources"]])
        return render("sources.html", status=status.data, page="sources", **context)

    def developments_export(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in KINDS:
            return PlainTextResponse("export is .csv or .jsonl", status_code=404)
        with database.read() as session:
            f = filters(request, session)
        return developments_response(database, f, kind)

    def export(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in KINDS:
            return PlainTextResponse("export is .csv or .jsonl", status_code=404)
        # Checked before the response starts: a stream cannot turn into a 400 halfway.
        with database.read() as session:
            f = filters(request, session)
        return export_response(database, f, kind)

    def not_found(request: Request, exc: Exception) -> Response:
        return render("missing.html", status_code=404, what="الصفحة", page="")

    def bad_filter(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(str(exc), status_code=400)

    app = Starlette(
        routes=[
            Route("/", list_page, methods=["GET"]),
            Route("/articles/{article_id:int}", article_page, methods=["GET"]),
            Route("/developments", developments_page, methods=["GET"]),
            Route("/developments/export.{kind:str}", developments_export, methods=["GET"]),
            Route("/charts", charts_page, methods=["GET"]),
            Route("/sources", sources_page, methods=["GET"]),
            Route("/export.{kind:str}", export, methods=["GET"]),
            Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
            *(
                edit_routes(edits, tokens, lambda: [s.name for s in site_config().sources])
                if edits is not None
                else []
            ),
        ],
        exception_handlers={404: not_found, FilterError: bad_filter},
    )
    return ReadOnly(app) if edits is None else WithEdits(app)


def _term_spans(article: Article) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Watchlist term positions from ``articles.terms``, checked against the stored text."""
    title: list[tuple[int, int]] = []
    body: list[tuple[int, int]] = []
    for term in article.terms or []:
        try:
            start, end = int(term["start"]), int(term["end"])
        except (KeyError, TypeError, ValueError):
            continue
        field = term.get("field")
        target, out = (article.title, title) if field == "title" else (article.text, body)
        # A revised text may have moved; a span that no longer holds its term is dropped.
        if 0 <= start < end <= len(target) and target[start:end] == term.get("text", ""):
            out.append((start, end))
    return title, body


def _paragraphs(text: str, spans: list[tuple[int, int]]) -> list[list[tuple[str, bool]]]:
    """The body as paragraphs of (piece, highlighted) pairs; highlights never span lines."""
    paragraphs: list[list[tuple[str, bool]]] = [[]]
    for piece, marked in segments(text, spans):
        parts = piece.split("\n")
        for i, part in enumerate(parts):
            if i:
                paragraphs.append([])
            if part:
                paragraphs[-1].append((part, marked))
    return [p for p in paragraphs if any(piece.strip() for piece, _ in p)]
