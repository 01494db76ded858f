"""Article extraction: title, main text, publication date, author, canonical URL.

trafilatura finds the main text. Around it this package guards against what Arabic news
templates do to it: "most read" and "related" boxes full of other headlines on the same subject
(`page`), a "today's date" in the site header, bylines that give the date only in Arabic words
(`published`), titles carrying the outlet's name (`metadata`), and pages served in
windows-1256 (`decode_html`).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lxml import html as lxml_html

from crawler.analysis.extract.maintext import (
    MIN_WORDS,
    clean_lines,
    main_text,
    selected_body,
    selected_string,
)
from crawler.analysis.extract.metadata import author, language, title_of
from crawler.analysis.extract.page import Head, anchor_texts, parse_html, pruned_copy, select
from crawler.analysis.extract.published import published
from crawler.text.urls import resolve_canonical


@dataclass
class Extracted:
    title: str
    text: str
    published_at: datetime | None
    published_precision: str | None
    author: str | None
    canonical_url: str
    language: str | None


# Arabic single-byte charsets, as codecs names them.
_ARABIC_SINGLE_BYTE = {"cp1256", "iso8859-6"}


def decode_html(body: bytes, content_type_header: str | None) -> str:
    """Bytes to text: the HTTP charset, then the page's own `<meta>` charset, then UTF-8.

    w3lib applies the same order Scrapy's `response.text` does (BOM first, then the
    header, then `<meta charset>` / `<meta http-equiv>`, then detection). One exception: a
    header that says UTF-8 over bytes that are not, on a page whose `<meta>` names an Arabic
    single-byte charset, is an old CMS behind a newer server, and the `<meta>` is right.
    """
    from w3lib.encoding import html_body_declared_encoding, html_to_unicode

    encoding, text = html_to_unicode(content_type_header, body)
    if "\ufffd" not in text or codecs.lookup(encoding).name != "utf-8":
        return text
    declared = html_body_declared_encoding(body)
    if declared is None or codecs.lookup(declared).name not in _ARABIC_SINGLE_BYTE:
        return text
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode(declared, "replace")
    return text


def extract_article(
    html: str,
    url: str,
    *,
    tz: str = "UTC",
    listed_at: datetime | None = None,
    selectors: dict[str, str] | None = None,
) -> Extracted | None:
    """Extract one article page; None when the page has no main text.

    Dates come from page metadata first, then `listed_at` (the feed's or
    sitemap's own date), then Arabic dates written on the page. `selectors`
    ({"title"|"body"|"date": "css:..." or "xpath:..."}) override extraction.
    """
    main = find_main_text(html, url, tz=tz, listed_at=listed_at, selectors=selectors)
    return main.complete() if main is not None else None


@dataclass
class MainText:
    """A page's title and main text, found before the rest of :func:`extract_article`.

    Most crawled news does not name a watched term, and its date, author and language are
    never stored: the crawl reads them (`complete`) only for a page it keeps.
    """

    title: str
    text: str
    canonical_url: str
    html: str
    tree: lxml_html.HtmlElement
    head: Head
    doc: Any
    tz: str
    listed_at: datetime | None
    selectors: dict[str, str]
    now: datetime

    def without_details(self) -> Extracted:
        """The page as far as it was read: no date, author or language."""
        return Extracted(self.title, self.text, None, None, None, self.canonical_url, None)

    def complete(self) -> Extracted:
        parsed = published(
            self.tree,
            self.head,
            self.html,
            title=self.title,
            text=self.text,
            tz=self.tz,
            now=self.now,
            listed_at=self.listed_at,
            date_selector=self.selectors.get("date"),
        )
        return Extracted(
            title=self.title,
            text=self.text,
            published_at=parsed.value if parsed else None,
            published_precision=parsed.precision if parsed else None,
            author=author(self.tree, self.head, self.doc),
            canonical_url=self.canonical_url,
            language=language(self.tree, self.head, self.title + "\n" + self.text),
        )


def find_main_text(
    html: str,
    url: str,
    *,
    tz: str = "UTC",
    listed_at: datetime | None = None,
    selectors: dict[str, str] | None = None,
) -> MainText | None:
    """The first half of :func:`extract_article`: title, main text and canonical URL."""
    tree = parse_html(html)
    if tree is None:
        return None
    selectors = selectors or {}
    canonical = resolve_canonical(url, tree)
    head = Head.read(tree)
    anchors = anchor_texts(tree)

    pruned = pruned_copy(tree)

    doc = None
    title = ""
    if selectors.get("title"):
        title = selected_string(select(html, selectors["title"]))
    if selectors.get("body"):
        pruned_html = lxml_html.tostring(pruned, encoding="unicode")
        text = selected_body(select(pruned_html, selectors["body"]))
        text = clean_lines(text, title, anchors)
        if not title:
            title = title_of(tree, head, None)
    else:
        provisional_title = title or title_of(tree, head, None)
        text, doc = main_text(pruned, url, provisional_title, anchors)
        title = title or title_of(tree, head, doc)
        if provisional_title != title:
            text = clean_lines(text, title, anchors)
    # A few words are a caption or a menu the extractor settled on, not an article.
    if len(text.split()) < MIN_WORDS:
        return None
    return MainText(
        title=title,
        text=text,
        canonical_url=canonical,
        html=html,
        tree=tree,
        head=head,
        doc=doc,
        tz=tz,
        listed_at=listed_at,
        selectors=selectors,
        now=datetime.now(UTC),
    )
