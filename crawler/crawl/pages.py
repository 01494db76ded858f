"""What happens to one downloaded article page before the database sees it.

:func:`examine` extracts the page, checks that it has Arabic main text, matches the watchlist
and classifies it, and computes what storing needs from the text (dedup fingerprint, search
forms). It is a pure function of the page and the analyzer, so the crawl can run it in worker
processes (`crawler.crawl.workers`) as well as in its own process, with the same result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from crawler.analysis.analyzer import Analysis, Analyzer
from crawler.analysis.extract import Extracted, find_main_text
from crawler.storage.dedup import Fingerprint, fingerprint
from crawler.storage.store import ArticleRecord, StoreResult
from crawler.text.searchform import search_form, search_form_of_normalized

_ARABIC_LETTERS = re.compile(r"[\u0621-\u064A\u0671-\u06D3]+")
_LATIN_LETTERS = re.compile(r"[A-Za-z]+")
MIN_TEXT_CHARS = 80
MIN_ARABIC_SHARE = 0.5


@dataclass(frozen=True)
class Page:
    """A downloaded article page, as the spider hands it on."""

    url: str
    html: str
    timezone: str = "UTC"
    listed_at: datetime | None = None
    selectors: dict[str, str] | None = None


@dataclass(frozen=True)
class Origin:
    """Where a page was fetched, as its stored article records it."""

    source: str
    fetched_at: datetime
    requested_url: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`examine`: either `rejected` names why, or the page is relevant.

    `stored` is set when a worker process has stored the relevant page already (see
    :meth:`crawler.crawl.workers.PageWorkers.examine`).
    """

    extracted: Extracted | None
    rejected: str | None = None  # empty | not_arabic | irrelevant
    analysis: Analysis | None = None
    fingerprint: Fingerprint | None = None
    search_title: str = ""
    search_body: str = ""
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
    """The verdict on one page. A page set aside is read only as far as deciding that took: its
    `extracted` has no date, author or language."""
    main = find_main_text(
        page.html,
        page.url,
        tz=page.timezone,
        listed_at=page.listed_at,
        selectors=page.selectors,
    )
    reason = rejection(main.text if main else "")
    if reason is not None:
        return Verdict(main and main.without_details(), rejected=reason)
    assert main is not None  # an absent page has no text, so it was rejected above
    analysis = analyzer.analyze(main.title, main.text)
    if not analysis.relevant:
        return Verdict(main.without_details(), rejected="irrelevant")
    extracted = main.complete()
    fp = fingerprint(extracted.text)
    return Verdict(
        extracted,
        analysis=analysis,
        fingerprint=fp,
        search_title=search_form(extracted.title),
        # The fingerprint has normalized the body already; the index folds the same text.
        search_body=search_form_of_normalized(fp.normalized),
    )


def article_record(verdict: Verdict, origin: Origin, listed_at: datetime | None) -> ArticleRecord:
    """What the store keeps of a relevant page."""
    extracted, analysis = verdict.extracted, verdict.analysis
    assert extracted is not None and analysis is not None, "only a relevant page is stored"
    return ArticleRecord(
        source=origin.source,
        url=extracted.canonical_url,
        requested_url=origin.requested_url,
        title=extracted.title or "",
        text=extracted.text,
        fetched_at=origin.fetched_at,
        published_at=extracted.published_at,
        published_precision=extracted.published_precision,
        listed_at=listed_at,
        author=extracted.author,
        terms=analysis.terms_json(),
        topics=analysis.topics,
        countries=analysis.countries,
        evidence=analysis.evidence,
        amounts=analysis.amounts,
        search_forms=(verdict.search_title, verdict.search_body),
    )
