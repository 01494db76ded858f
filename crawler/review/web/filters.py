"""The filters of the query string (``?q=&topic=&country=&source=&from=&to=&originals=&page=``)
and the links that keep them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from crawler.review.queries import ArticleFilter, FilterError

# Fifty million articles deep: past this a page number is a typo, and its offset could overflow
# the database's integers.
MAX_PAGE = 1_000_000


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
        return cls(
            q=p.get("q", "").strip()[:300],
            topic=p.get("topic", "").strip()[:100],
            country=p.get("country", "").strip()[:100],
            source=p.get("source", "").strip()[:200],
            date_from=_valid_day(p.get("from", "")),
            date_to=_valid_day(p.get("to", "")),
            originals=p.get("originals", "") in ("1", "on", "true"),
            page=_page(p.get("page", "")),
        )

    def article_filter(self, limit: int | None = None) -> ArticleFilter:
        until = _day(self.date_to)
        return ArticleFilter(
            originals=self.originals,
            topic=self.topic or None,
            country=self.country or None,
            source=self.source or None,
            since=_day(self.date_from),
            limit=limit,
            # The "to" day is inclusive.
            until=until + timedelta(days=1) if until else None,
        )

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


def _page(value: str) -> int:
    """The page number; anything but a whole number from 1 to MAX_PAGE is answered 400."""
    value = value.strip()
    if not value:
        return 1
    if not (
        value.isascii()
        and value.isdigit()
        and len(value) <= len(str(MAX_PAGE))
        and 1 <= int(value) <= MAX_PAGE
    ):
        raise FilterError("page", f"page must be a whole number from 1 to {MAX_PAGE}")
    return int(value)


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
