"""Title, author and language of an article page.

Titles carry the outlet's name ("... | الوطن"), bylines carry "بقلم" and dates, and templates
often declare the wrong language: each is cleaned here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from crawler.analysis.extract.page import Head, in_chrome, squash, text_of

_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " « ", " » ", " || ", " / ")


def _strip_outlet(title: str, site_name: str | None, h1: str | None) -> str:
    title = squash(title)
    if h1 and h1 != title and (title.startswith(h1) or title.endswith(h1)):
        rest = title.replace(h1, "", 1).strip(" |-–—:«»/")
        if len(rest) <= 40:
            return h1
    if site_name:
        site = squash(site_name)
        for sep in _TITLE_SEPARATORS:
            if title.endswith(sep + site):
                return title[: -len(sep + site)].strip()
            if title.startswith(site + sep):
                return title[len(site + sep) :].strip()
    for sep in _TITLE_SEPARATORS:
        if sep in title:
            head, _, tail = title.rpartition(sep)
            # An outlet's name is short; a headline with a dash keeps its dash.
            if len(tail.split()) <= 3 and len(head) >= 2 * len(tail):
                return head.strip()
            first, _, rest = title.partition(sep)
            if sep in (" :: ", " || ") and len(first.split()) <= 3 and len(rest) >= 2 * len(first):
                return rest.strip()
    return title


def _first_h1(tree: lxml_html.HtmlElement) -> str | None:
    fallback = None
    for h1 in tree.iter("h1"):
        text = text_of(h1)
        if not text:
            continue
        if not in_chrome(h1):
            return text
        fallback = fallback or text
    return fallback


def title_of(tree: lxml_html.HtmlElement, head: Head, doc: Any) -> str:
    h1 = _first_h1(tree)
    site_names = head.values("og:site_name", "application-name")
    site_name = site_names[0] if site_names else getattr(doc, "sitename", None)
    for candidate in (
        *head.values("og:title", "twitter:title"),
        h1,
        getattr(doc, "title", None),
        squash(tree.findtext(".//title") or ""),
    ):
        if candidate and squash(candidate):
            return _strip_outlet(candidate, site_name, h1)
    return ""


_BYLINE_PREFIX_RE = re.compile(
    r"^\s*(?:بقلم|كتب|كتبت|بواسطة|إعداد|اعداد|تحرير|المحرر|by)\s*[:：\-]?\s*", re.IGNORECASE
)
_NOT_A_NAME_RE = re.compile(
    r"\d|(?:^|\s)(?:ال)?(?:أحد|احد|اثنين|إثنين|ثلاثاء|أربعاء|اربعاء|خميس|جمعة|سبت)(?:\s|$)"
)


def _clean_author(value: str | None) -> str | None:
    if not value:
        return None
    value = _BYLINE_PREFIX_RE.sub("", squash(value)).strip(" ،,;|-")
    if not value or value.startswith("http") or len(value) > 80 or _NOT_A_NAME_RE.search(value):
        return None
    return value


def _json_ld_author(head: Head) -> str | None:
    for data in head.json_ld:
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                author = node.get("author")
                if isinstance(author, list) and author:
                    author = author[0]
                if isinstance(author, dict):
                    author = author.get("name")
                if isinstance(author, str) and author.strip():
                    return author
                stack.extend(node.get(key) for key in ("@graph", "mainEntity") if key in node)
    return None


_AUTHOR_ELEMENTS = etree.XPath(
    "//*[@itemprop='author'] | //*[@rel='author'] | //*[contains(@class, 'author')]"
    " | //*[contains(@class, 'writer')] | //*[contains(@class, 'byline')]"
)


def author(tree: lxml_html.HtmlElement, head: Head, doc: Any) -> str | None:
    def candidates() -> Iterator[str | None]:
        # In order of trust, and lazily: most pages name the author in their metadata, and
        # the byline search walks the whole page.
        yield from head.values("author", "article:author", "dc.creator", "parsely-author")
        yield _json_ld_author(head)
        for element in _AUTHOR_ELEMENTS(tree):
            if not in_chrome(element):
                yield text_of(element)
        yield getattr(doc, "author", None)

    for candidate in candidates():
        cleaned = _clean_author(candidate)
        if cleaned:
            return cleaned
    return None


# Runs, not single characters: counting matched runs' lengths builds a few strings, not one
# per letter.
_LETTER_RUNS_RE = re.compile(r"[^\W\d_]+")
_ARABIC_RUNS_RE = re.compile(r"[\u0600-\u06ff\u0750-\u077f]+")
_ARABIC_SCRIPT_LANGS = {"ar", "fa", "ur", "ps", "ku", "ckb", "sd", "ug"}


def language(tree: lxml_html.HtmlElement, head: Head, text: str) -> str | None:
    declared = tree.get("lang") or tree.get("xml:lang")
    if not declared:
        values = [c for key, c in head.http_equiv if key == "content-language"][-1:]
        values += head.values("content-language", "og:locale", "language")
        declared = values[0] if values else None
    code = re.split(r"[-_]", declared.strip().lower())[0] if declared and declared.strip() else None
    letters = "".join(_LETTER_RUNS_RE.findall(text))
    if not letters:
        return code
    arabic = sum(map(len, _ARABIC_RUNS_RE.findall(letters)))
    # Templates often declare the wrong language; the text itself decides.
    if arabic / len(letters) >= 0.5:
        return code if code in _ARABIC_SCRIPT_LANGS else "ar"
    return code if code and code not in _ARABIC_SCRIPT_LANGS else None
