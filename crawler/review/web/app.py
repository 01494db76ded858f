"""The read-only review page behind `marsad web`: Starlette, Jinja2 (autoescaped), no JavaScript.

Every page is a GET over one read session. Anything but GET/HEAD is answered 405 before
routing, so no URL, present or future, can be used to write. Responses carry a
Content-Security-Policy that forbids scripts outright: even if escaping ever failed, a
stored ``<script>`` would not run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crawler.analysis.analyzer import Analyzer
from crawler.config import Config
from crawler.review.queries import (
    CSV_FIELDS,
    ArticleFilter,
    FilterError,
    article_json,
    checked_filter,
    copies_of,
    csv_text,
    own_evidence,
    select_articles,
)
from crawler.review.search import find_spans, parse_query, search, segments
from crawler.storage.db import Database
from crawler.storage.models import Alert, Article, Development
from crawler.vocab import ALERT_KIND_LABELS, TOPIC_LABELS, TOPICS

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 50
# Countries are stored as English short names; these are the ones the gazetteer knows best.
COUNTRY_LABELS = {
    "Russia": "روسيا",
    "Turkey": "تركيا",
    "India": "الهند",
    "China": "الصين",
    "United States": "الولايات المتحدة",
    "United Kingdom": "المملكة المتحدة",
    "Saudi Arabia": "السعودية",
    "United Arab Emirates": "الإمارات",
    "Qatar": "قطر",
    "Egypt": "مصر",
    "Algeria": "الجزائر",
    "Iran": "إيران",
    "Iraq": "العراق",
    "Syria": "سوريا",
    "Belarus": "بيلاروسيا",
    "Greece": "اليونان",
    "Israel": "إسرائيل",
    "Ukraine": "أوكرانيا",
    "Vietnam": "فيتنام",
    "Morocco": "المغرب",
    "Pakistan": "باكستان",
    "Indonesia": "إندونيسيا",
    "Serbia": "صربيا",
    "Cyprus": "قبرص",
}
STATUS_LABELS = {"pending": "معلّق", "sent": "أُرسل", "failed": "فشل", "skipped": "تُخطّي"}
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        b"base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class ReadOnly:
    """ASGI middleware: 405 for every method but GET and HEAD; security headers on the rest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            response = PlainTextResponse(
                "read-only: only GET and HEAD", status_code=405, headers={"Allow": "GET, HEAD"}
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- filters from the query string -----------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    q: str = ""
    topic: str = ""
    country: str = ""
    source: str = ""
    date_from: str = ""
    date_to: str = ""
    originals: bool = False
    page: int = 1

    @classmethod
    def from_request(cls, request: Request) -> Filters:
        p = request.query_params
        try:
            page = max(1, int(p.get("page", "1")))
        except ValueError:
            page = 1
        return cls(
            q=p.get("q", "").strip()[:300],
            topic=p.get("topic", "").strip()[:100],
            country=p.get("country", "").strip()[:100],
            source=p.get("source", "").strip()[:200],
            date_from=_valid_day(p.get("from", "")),
            date_to=_valid_day(p.get("to", "")),
            originals=p.get("originals", "") in ("1", "on", "true"),
            page=page,
        )

    def article_filter(self, limit: int | None = None) -> ArticleFilter:
        since = _day(self.date_from)
        return ArticleFilter(
            originals=self.originals,
            topic=self.topic or None,
            country=self.country or None,
            source=self.source or None,
            since=since,
            limit=limit,
        )

    @property
    def until(self) -> datetime | None:
        day = _day(self.date_to)
        # The "to" day is inclusive.
        return day + timedelta(days=1) if day else None

    def params(self, **overrides: Any) -> dict[str, str]:
        values = {
            "q": self.q,
            "topic": self.topic,
            "country": self.country,
            "source": self.source,
            "from": self.date_from,
            "to": self.date_to,
            "originals": "1" if self.originals else "",
            "page": str(self.page) if self.page > 1 else "",
        }
        values.update({k: str(v) if v else "" for k, v in overrides.items()})
        return {k: v for k, v in values.items() if v}

    def qs(self, **overrides: Any) -> str:
        params = self.params(**overrides)
        return "?" + urlencode(params) if params else ""

    @property
    def active(self) -> bool:
        return bool(self.params(page=""))


def _valid_day(value: str) -> str:
    value = value.strip()
    try:
        date.fromisoformat(value)
    except ValueError:
        return ""
    return value


def _day(value: str) -> datetime | None:
    if not value:
        return None
    return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)


# --- template helpers ------------------------------------------------------------------------


def _fmt_dt(value: datetime | None, precision: str | None = None) -> Markup:
    """A UTC date, isolated left-to-right so that RTL text around it cannot reorder it."""
    if value is None:
        return Markup("—")
    value = value.astimezone(UTC)
    text = (
        value.strftime("%Y-%m-%d") if precision == "day" else value.strftime("%Y-%m-%d %H:%M UTC")
    )
    return Markup('<bdi dir="ltr">{}</bdi>').format(text)


def _safe_href(url: str | None) -> str | None:
    """Only http(s) URLs become links; a stored ``javascript:`` URL stays plain text."""
    if not url:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dt"] = _fmt_dt
    env.globals.update(
        topic_label=lambda t: TOPIC_LABELS[t][0] if t in TOPIC_LABELS else t,
        country_label=lambda c: COUNTRY_LABELS.get(c, c),
        status_label=lambda s: STATUS_LABELS.get(s, s),
        kind_label=lambda k: ALERT_KIND_LABELS[k][0] if k in ALERT_KIND_LABELS else k,
        safe_href=_safe_href,
        TOPICS=TOPICS,
    )
    return env


# --- the application -------------------------------------------------------------------------


def create_app(database: Database, config: Config | None = None) -> ASGIApp:
    """The review app over an open database. ``config`` names the sources for the sources
    page (the built-in default when omitted)."""
    env = _environment()

    @cache
    def site_config() -> Config:
        from crawler.config import load_config

        return config or load_config(None)

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
        countries: set[str] = set()
        for row in session.scalars(select(Development.countries)):
            countries.update(row or [])
        for row in session.scalars(
            select(Article.countries).where(Article.duplicate_of.is_(None)).limit(2000)
        ):
            countries.update(row or [])
        return {"sources": sources, "countries": sorted(countries)}

    def list_page(request: Request) -> Response:
        with database.read() as session:
            f = filters(request, session)
            offset = (f.page - 1) * PAGE_SIZE
            rows = _rows(session, f, offset)
            has_more = len(rows) > PAGE_SIZE
            rows = rows[:PAGE_SIZE]
            copies = _copy_counts(session, [r["article"] for r in rows])
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
            hits = search(session, f.q, flt, until=f.until, offset=offset)
            return [
                {
                    "article": h.article,
                    "rank": h.rank,
                    "title": segments(h.article.title, h.title_spans),
                    "snippet": segments(h.snippet, h.snippet_spans),
                }
                for h in hits
            ]
        stmt = select_articles(flt).offset(offset)
        if f.until:
            when = func.coalesce(Article.published_at, Article.fetched_at)
            stmt = stmt.where(when < f.until)
        return [
            {"article": a, "rank": None, "title": [(a.title, False)], "snippet": None}
            for a in session.scalars(stmt)
        ]

    def article_page(request: Request) -> Response:
        article_id = request.path_params["article_id"]
        q = request.query_params.get("q", "").strip()[:300]
        with database.read() as session:
            article = session.get(Article, article_id)
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
            stmt = select(Development).order_by(
                Development.first_published_at.desc().nulls_last(), Development.id.desc()
            )
            devs = [
                d
                for d in session.scalars(stmt.limit(1000))
                if (not f.topic or f.topic in (d.topics or [d.topic]))
                and (not f.country or f.country in (d.countries or []))
            ][:300]
            ids = [d.id for d in devs]
            reports: dict[int, list[Article]] = defaultdict(list)
            alerts: dict[int, list[Alert]] = defaultdict(list)
            if ids:
                when = func.coalesce(Article.published_at, Article.fetched_at)
                for a in session.scalars(
                    select(Article)
                    .where(Article.development_id.in_(ids))
                    .order_by(when, Article.id)
                ):
                    reports[a.development_id].append(a)  # type: ignore[index]
                for al in session.scalars(
                    select(Alert).where(Alert.development_id.in_(ids)).order_by(Alert.id)
                ):
                    alerts[al.development_id].append(al)  # type: ignore[index]
            by_topic: dict[str, list[dict[str, Any]]] = {t: [] for t in TOPICS}
            for d in devs:
                items = reports.get(d.id, [])
                first = next((a for a in items if a.id == d.first_article_id), None)
                first = first or (items[0] if items else None)
                follow_ups = [a for a in items if first is None or a.id != first.id]
                by_topic.setdefault(d.topic, []).append(
                    {"dev": d, "first": first, "follow_ups": follow_ups, "alerts": alerts[d.id]}
                )
            return render(
                "developments.html",
                f=f,
                by_topic=[(t, items) for t, items in by_topic.items() if items],
                choices=choices(session),
                count=len(devs),
                page="developments",
            )

    def sources_page(request: Request) -> Response:
        from crawler.review.status import collect_status

        status = collect_status(database, site_config())
        return render("sources.html", status=status.data, page="sources")

    def export(request: Request) -> Response:
        kind = request.path_params["kind"]
        # Checked before the response starts: a stream cannot turn into a 400 halfway.
        with database.read() as session:
            f = filters(request, session)
        body = _export_csv(f) if kind == "csv" else _export_jsonl(f)
        media = "text/csv; charset=utf-8" if kind == "csv" else "application/x-ndjson"
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        return StreamingResponse(
            body,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="marsad-{stamp}.{kind}"'},
        )

    def _export_rows(f: Filters) -> Iterator[dict[str, Any]]:
        with database.read() as session:
            if f.q:
                if not parse_query(f.q):
                    return
                limit = 10_000
                for h in search(session, f.q, f.article_filter(limit=limit), until=f.until):
                    row = article_json(h.article, with_text=True)
                    row.update(rank=round(h.rank, 1), snippet=h.snippet)
                    yield row
                return
            stmt = select_articles(f.article_filter())
            if f.until:
                when = func.coalesce(Article.published_at, Article.fetched_at)
                stmt = stmt.where(when < f.until)
            for a in session.scalars(stmt.execution_options(yield_per=500)):
                yield article_json(a, with_text=True)

    def _export_jsonl(f: Filters) -> Iterator[str]:
        for row in _export_rows(f):
            yield json.dumps(row, ensure_ascii=False) + "\n"

    def _export_csv(f: Filters) -> Iterator[str]:
        return csv_text(_export_rows(f), CSV_FIELDS + (["rank"] if f.q else []))

    def not_found(request: Request, exc: Exception) -> Response:
        return render("missing.html", status_code=404, what="الصفحة", page="")

    def bad_filter(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(str(exc), status_code=400)

    app = Starlette(
        routes=[
            Route("/", list_page, methods=["GET"]),
            Route("/articles/{article_id:int}", article_page, methods=["GET"]),
            Route("/developments", developments_page, methods=["GET"]),
            Route("/sources", sources_page, methods=["GET"]),
            Route("/export.{kind:str}", _only_exports(export), methods=["GET"]),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        exception_handlers={404: not_found, FilterError: bad_filter},
    )
    return ReadOnly(app)


def _only_exports(endpoint: Any) -> Any:
    def wrapped(request: Request) -> Response:
        if request.path_params["kind"] not in ("csv", "jsonl"):
            return PlainTextResponse("export is .csv or .jsonl", status_code=404)
        return endpoint(request)

    return wrapped


def _copy_counts(session: Session, articles: list[Article]) -> dict[int, int]:
    """Copies per story root, for the list's "copies" column."""
    roots = {a.duplicate_of or a.id for a in articles}
    if not roots:
        return {}
    rows = session.execute(
        select(Article.duplicate_of, func.count())
        .where(Article.duplicate_of.in_(roots))
        .group_by(Article.duplicate_of)
    ).all()
    return {root: count for root, count in rows}


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
