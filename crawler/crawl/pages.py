"""What happens to one downloaded article page, in one pass: extract, validate, analyze,
fingerprint, store.

:func:`examine` is the pure part: it reads the page's main text, sets the page aside when that
text is empty, not Arabic or names no watched term, and otherwise reads the page in full and
makes the record the store keeps. :func:`settle` stores a relevant page. The crawl runs both in a
worker process (`crawler.crawl.workers`) on a big crawl and in its own process on a small one,
with the same result; only the small :class:`Outcome` travels back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from crawler.analysis.analyzer import Analyzer
from crawler.analysis.extract import Extracted, find_main_text
from crawler.analysis.searchterms import search_form
from crawler.storage.dedup import Fingerprint, fingerprint
from crawler.storage.store import ArticleRecord, Store, StoreResult

_ARABIC_LETTERS = re.compile(r"[\u0621-\u064A\u0671-\u06D3]+")
_LATIN_LETTERS = re.compile(r"[A-Za-z]+")
MIN_TEXT_CHARS = 80
MIN_ARABIC_SHARE = 0.5


# A relevant page published before a backfill's date: not stored, and not remembered as seen,
# so that a backfill further back still fetches it.
TOO_OLD = "too_old"


@dataclass(frozen=True)
class Page:
    """A downloaded article page as the spider hands it on, and where it was fetched."""

    url: str
    html: str
    source: str
    fetched_at: datetime
    requested_url: str | None = None
    listed_at: datetime | None = None
    timezone: str = "UTC"
    selectors: dict[str, str] | None = None


@dataclass(frozen=True)
class Verdict:
    """What :func:`examine` made of a page: either `rejected` says why it is set aside (empty,
    not_arabic, irrelevant), or `record` and `fingerprint` are what the store keeps of it.

    `extracted` is the page as far as it was read: a page set aside has no date, author or
    language, since deciding did not need them.
    """

    extracted: Extracted | None
    rejected: str | None = None
    record: ArticleRecord | None = None
    fingerprint: Fingerprint | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of a page, as the crawl process counts it: no text, so that a worker process
    sends back little. `url` is the page's canonical URL, None when no text could be read."""

    url: str | None
    title: str | None
    published_at: datetime | None
    rejected: str | None = None
    stored: StoreResult | None = None


def rejection(text: str) -> str | None:
    """Why a main text is not worth analysing: "empty", "not_arabic", or None."""
    if len(text.strip()) < MIN_TEXT_CHARS:
        return "empty"
    arabic = sum(map(len, _ARABIC_LETTERS.findall(text)))
    latin = sum(map(len, _LATIN_LETTERS.findall(text)))
    if arabic < MIN_ARABIC_SHARE * (arabic + latin):
        return "not_arabic"
    return None


def examine(page: Page, analyzer: Analyzer) -> Verdict:
    """Extract, validate, analyze and fingerprint one page."""
    main = find_main_text(
        page.html, page.url, tz=page.timezone, listed_at=page.listed_at, selectors=page.selectors
    )
    if main is None:
        return Verdict(None, rejected="empty")
    reason = rejection(main.text)
    if reason is not None:
        return Verdict(main.without_details(), rejected=reason)
    analysis = analyzer.analyze(main.title, main.text)
    if not analysis.relevant:
        return Verdict(main.without_details(), rejected="irrelevant")
    # Most pages stop above: only a page kept is read for its date, author and language.
    article = main.complete()
    fp = fingerprint(article.text)
    record = ArticleRecord(
        source=page.source,
        url=article.canonical_url,
        requested_url=page.requested_url,
        title=article.title or "",
        text=article.text,
        fetched_at=page.fetched_at,
        published_at=article.published_at,
        published_precision=article.published_precision,
        listed_at=page.listed_at,
        author=article.author,
        terms=analysis.terms_json(),
        topics=analysis.topics,
        countries=analysis.countries,
        evidence=analysis.evidence,
        amounts=analysis.amounts,
        search_forms=(search_form(article.title), search_form(article.text)),
    )
    return Verdict(article, record=record, fingerprint=fp)


def settle(verdict: Verdict, store: Store) -> Outcome:
    """Store a relevant page (its article and the URLs it was fetched by, in one transaction),
    and say what became of the page. A page set aside is recorded by the crawl, in batches."""
    stored = None
    extracted = verdict.extracted
    rejected = verdict.rejected
    if verdict.record is not None and verdict.fingerprint is not None:
        if store.predates_backfill(verdict.record):
            rejected = TOO_OLD
        else:
            stored = store.store_article(verdict.record, verdict.fingerprint)
    if extracted is None:
        return Outcome(None, None, None, rejected)
    return Outcome(
        extracted.canonical_url,
        extracted.title,
        extracted.published_at,
        rejected,
        stored,
    )
