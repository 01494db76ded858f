"""The correction forms' routes, for `marsad web --allow-edits`: each POST checks its CSRF
token, makes one correction with `crawler.storage.corrections` on the writable database (the
pages keep reading through the read-only one), and sends the browser back to the page it came
from (303)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from crawler.config import parse_duration
from crawler.review.web.security import CSRF_FIELD, SESSION_COOKIE, CsrfTokens
from crawler.storage import corrections
from crawler.storage.corrections import CorrectionError, Done, current_user
from crawler.storage.db import Database
from crawler.storage.models import MAX_INTEGER, utcnow

# A mute from the page is at most a month: longer is a config change (disable the source).
MAX_MUTE = timedelta(days=31)

Write = Callable[[Database, str, FormData], Done]
# The forms post a token, a few ids and a note.
MAX_FORM_BYTES = 16_384


def edit_routes(
    edits: Database, tokens: CsrfTokens, sources: Callable[[], list[str]]
) -> list[Route]:
    """POST routes under ``/edit/``; `sources` names the configured sources (for mutes)."""
    by = f"{current_user()} (web)"

    def route(
        path: str, make: Callable[[Request], Write], back: Callable[[Request, Done], str]
    ) -> Route:
        async def handle(request: Request) -> Response:
            form = await _form(request)
            token = form.get(CSRF_FIELD)
            session_id = request.cookies.get(SESSION_COOKIE)
            if not tokens.valid(session_id, token if isinstance(token, str) else None):
                return PlainTextResponse("invalid or missing CSRF token", status_code=403)
            try:
                done = await run_in_threadpool(make(request), edits, by, form)
            except (CorrectionError, ValueError) as exc:
                return PlainTextResponse(str(exc), status_code=400)
            return RedirectResponse(back(request, done), status_code=303)

        return Route(path, handle, methods=["POST"])

    def article_id(request: Request) -> int:
        value: int = request.path_params["article_id"]
        if value > MAX_INTEGER:
            raise CorrectionError(f"article {value} does not exist")
        return value

    def development_id(request: Request) -> int:
        value: int = request.path_params["development_id"]
        if value > MAX_INTEGER:
            raise CorrectionError(f"development {value} does not exist")
        return value

    def note(form: FormData) -> str | None:
        value = form.get("note")
        return value.strip()[:2000] or None if isinstance(value, str) else None

    def to_article(request: Request, done: Done) -> str:
        return f"/articles/{request.path_params['article_id']}"

    def to_development(request: Request, done: Done) -> str:
        return f"/developments#d{done.development_id}"

    def not_relevant(request: Request) -> Write:
        return lambda db, who, form: corrections.mark_not_relevant(
            db, article_id(request), by=who, note=note(form)
        )

    def topics(request: Request) -> Write:
        return lambda db, who, form: corrections.set_topics(
            db,
            article_id(request),
            [t for t in form.getlist("topics") if isinstance(t, str)],
            by=who,
            note=note(form),
        )

    def split(request: Request) -> Write:
        return lambda db, who, form: corrections.split_report(
            db, article_id(request), by=who, note=note(form)
        )

    def wrong(request: Request) -> Write:
        return lambda db, who, form: corrections.mark_development_wrong(
            db, development_id(request), by=who, note=note(form)
        )

    def merge(request: Request) -> Write:
        def write(db: Database, who: str, form: FormData) -> Done:
            other = str(form.get("other") or "").strip().lstrip("#")
            if not other.isdigit() or int(other) > MAX_INTEGER:
                raise CorrectionError(f"development {other or '?'}: give the number to merge")
            keep = development_id(request)
            return corrections.merge_developments(db, keep, int(other), by=who, note=note(form))

        return write

    def mute(request: Request) -> Write:
        def write(db: Database, who: str, form: FormData) -> Done:
            name = str(form.get("source") or "")
            if name not in sources():
                raise CorrectionError(f"source {name!r} is not configured")
            length = parse_duration(str(form.get("duration") or ""))
            if length > MAX_MUTE:
                raise CorrectionError(f"source {name}: mute for at most 31d from the page")
            until = utcnow() + length
            return corrections.mute_source(db, name, until, by=who, note=note(form))

        return write

    def unmute(request: Request) -> Write:
        return lambda db, who, form: corrections.unmute_source(
            db, str(form.get("source") or ""), by=who, note=note(form)
        )

    def to_sources(request: Request, done: Done) -> str:
        return "/sources"

    return [
        route("/edit/articles/{article_id:int}/not-relevant", not_relevant, to_article),
        route("/edit/articles/{article_id:int}/topics", topics, to_article),
        route("/edit/articles/{article_id:int}/split", split, to_development),
        route("/edit/developments/{development_id:int}/wrong", wrong, to_development),
        route("/edit/developments/{development_id:int}/merge", merge, to_development),
        route("/edit/sources/mute", mute, to_sources),
        route("/edit/sources/unmute", unmute, to_sources),
    ]


async def _form(request: Request) -> FormData:
    """The posted URL-encoded form (the only kind the page's forms send); anything else, or
    anything too large, is an empty form, which fails the token check."""
    if request.headers.get("content-type", "").split(";")[0].strip() != (
        "application/x-www-form-urlencoded"
    ):
        return FormData()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return FormData()
    fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return FormData([(name, value) for name, value in fields])
