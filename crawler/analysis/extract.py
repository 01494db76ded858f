"""Article extraction: title, main text, publication date, author, canonical URL.

trafilatura finds the main text. Around it this module guards against what
Arabic news templates do to it: "most read" and "related" boxes full of other
headlines on the same subject, a "today's date" in the site header, bylines that
give the date only in Arabic words, titles carrying the outlet's name, and pages
served in windows-1256.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from crawler.text.dates import (
    ParsedDate,
    find_arabic_dates,
    local_date,
    local_to_utc,
    parse_arabic_date,
)
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


def decode_html(body: bytes, content_type_header: str | None) -> str:
    """Bytes to text: the HTTP charset, then the page's own `<meta>` charset, then UTF-8.

    w3lib applies the same order Scrapy's `response.text` does (BOM first, then the
    header, then `<meta charset>` / `<meta http-equiv>`, then detection).
    """
    from w3lib.encoding import html_to_unicode

    _encoding, text = html_to_unicode(content_type_header, body)
    return text


# --- parsing helpers ---------------------------------------------------------------

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def _parse(html: str) -> lxml_html.HtmlElement | None:
    # lxml refuses a str that still carries an XML encoding declaration.
    html = _XML_DECL_RE.sub("", html)
    if not html.strip():
        return None
    try:
        return lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _squash(text: str) -> str:
    return " ".join(text.split())


def _text_of(element: Any) -> str:
    return _squash(element.text_content()) if hasattr(element, "text_content") else ""


@dataclass(frozen=True)
class _Head:
    """What several readers of a page take from its `<meta>` tags and JSON-LD, read once."""

    metas: list[tuple[str, str]]  # (property, name or itemprop lower-cased; content) in order
    http_equiv: list[tuple[str, str]]
    json_ld: list[Any]  # the parsed documents

    @classmethod
    def read(cls, tree: lxml_html.HtmlElement) -> _Head:
        metas, http_equiv = [], []
        for meta in tree.iter("meta"):
            content = (meta.get("content") or "").strip()
            if not content:
                continue
            key = meta.get("property") or meta.get("name") or meta.get("itemprop")
            if key:
                metas.append((key.lower(), content))
            if meta.get("http-equiv"):
                http_equiv.append((meta.get("http-equiv", "").lower(), content))
        json_ld = []
        for script in _JSON_LD_SCRIPTS(tree):
            try:
                json_ld.append(json.loads(script.text or ""))
            except (ValueError, TypeError):
                continue
        return cls(metas, http_equiv, json_ld)

    def values(self, *keys: str) -> list[str]:
        wanted = {key.lower() for key in keys}
        return [content for key, content in self.metas if key in wanted]


_JSON_LD_SCRIPTS = etree.XPath("//script[@type='application/ld+json']")


# Boxes beside the article: their headlines are about the same subject and must
# not reach the article's text (they would make every page look relevant).
_BOX_LABELS = re.compile(
    r"^\s*(?:الأكثر|الاكثر)\s+(?:قراءة|قراءه|مشاهدة|مشاهده|تداولا|تداولاً|شيوعا|تعليقا|مشاركة)"
    r"|^\s*(?:اقرأ|اقرا|إقرأ|طالع|شاهد)\s+(?:أيضا|أيضاً|ايضا|ايضاً|كذلك|المزيد)"
    r"|^\s*(?:أخبار|اخبار|مواضيع|مقالات|موضوعات|قصص)\s+(?:ذات\s+صلة|متعلقة|مشابهة|مرتبطة)"
    r"|^\s*(?:قد\s+يهمك|قد\s+يعجبك|اخترنا\s+لك|ننصحك|المزيد\s+من|آخر\s+الأخبار|أحدث\s+الأخبار"
    r"|اخر\s+الاخبار|احدث\s+الاخبار|أخبار\s+عاجلة|عاجل|تابعونا|تابعنا|الأكثر\s+قراءة)"
    r"|^\s*(?:most\s+read|most\s+popular|related|read\s+more|trending)",
    re.IGNORECASE,
)
_CHROME_RE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|header|masthead|topbar|top-bar|topnav|top-nav|"
    r"footer|sidebar|side|aside|widget|popular|most|trending|related|breadcrumbs?|share|social|"
    r"comments?|ticker|breaking|newsletter|ads?|advert|banner|col-side|subscribe|"
    r"teaser|promo|spotlight|special|"
    r"special-file|dossier|more-news|latest|recommended|outbrain|taboola)(?:$|[\s_-])",
    re.IGNORECASE,
)
# Marks of the article's own container: its header holds the headline and byline.
_ARTICLE_MARKS_RE = re.compile(r"article|story|post|entry|news-detail|content", re.IGNORECASE)
_IN_ARTICLE_OR_MAIN = etree.XPath("boolean(ancestor::article or ancestor::main)")


def _is_chrome(element: Any) -> bool:
    marks = f"{element.get('class') or ''} {element.get('id') or ''} {element.get('role') or ''}"
    if element.tag in ("nav", "aside"):
        return True
    if element.tag in ("header", "footer"):
        # <article><header> is the article's own header, not the site's.
        return not _IN_ARTICLE_OR_MAIN(element) and not (_ARTICLE_MARKS_RE.search(marks))
    if _ARTICLE_MARKS_RE.search(marks) and not re.search(r"related|most|popular", marks, re.I):
        return False
    return bool(_CHROME_RE.search(marks))


def _in_chrome(element: Any) -> bool:
    node = element
    while node is not None and node.tag not in ("body", "html"):
        if isinstance(node.tag, str) and _is_chrome(node):
            return True
        node = node.getparent()
    return False


def _link_density(element: Any) -> float:
    total = len(_text_of(element))
    if not total:
        return 0.0
    linked = sum(len(_text_of(a)) for a in element.iter("a"))
    return linked / total


# Elements whose own text could be a box label: a first text node of 1-60 characters (the
# label test below allows 40 after folding whitespace). Selected in C, so that the thousands
# of other elements never become Python objects.
_LABEL_CANDIDATES = etree.XPath(
    "//*[not(self::a or self::html or self::body)]"
    "[string-length(normalize-space(text()[1])) > 0]"
    "[string-length(normalize-space(text()[1])) <= 60]"
)
# Elements that may be site chrome: the chrome tags, and those with a class, id or role.
_CHROME_CANDIDATES = etree.XPath(
    "//*[self::nav or self::aside or self::header or self::footer or @class or @id or @role]"
)


def _prune_boxes(tree: lxml_html.HtmlElement) -> None:
    """Remove link lists headed "الأكثر قراءة", "اقرأ أيضا", "أخبار ذات صلة" and the like."""
    to_remove = []
    for element in _LABEL_CANDIDATES(tree):
        own = _squash(element.text or "")
        if not own or len(own) > 40 or not _BOX_LABELS.search(own):
            continue
        # Climb to the smallest ancestor that holds the box's links: a heading alone
        # is not the box, and the whole article is not either.
        node = element
        for _ in range(4):
            if node.find(".//a") is not None:
                break
            parent = node.getparent()
            if parent is None or parent.tag in ("html", "body"):
                break
            node = parent
        if node.find(".//a") is not None and _link_density(node) >= 0.5:
            to_remove.append(node)
    for node in to_remove:
        _drop(node)


def _prune_chrome(tree: lxml_html.HtmlElement) -> None:
    """Remove site chrome (sidebars, teasers, menus) before extraction.

    Unlinked teaser paragraphs in a sidebar ("ملف خاص: ...") look like article text to an
    extractor, and they often name the very terms the watchlist looks for. An element that
    holds the article's headline or most of the page's text is never removed.
    """
    body_text = len(_text_of(tree))
    headline = tree.find(".//h1")
    keep = {headline, *headline.iterancestors()} if headline is not None else set()
    to_remove = []
    for element in _CHROME_CANDIDATES(tree):
        if element.tag in ("html", "body", "header") or element in keep:
            continue
        if not _is_chrome(element):
            continue
        if element.find(".//article") is not None:
            continue
        if body_text and len(_text_of(element)) > 0.5 * body_text:
            continue
        to_remove.append(element)
    for node in to_remove:
        if node.getparent() is not None:
            _drop(node)


def _drop(node: Any) -> None:
    """Remove `node` but keep the text that follows it (lxml would drop its tail)."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail and node.tail.strip():
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


# --- main text ---------------------------------------------------------------------

_TRAFILATURA_OPTIONS = {
    "include_comments": False,
    "include_tables": False,
    "favor_precision": True,
    # trafilatura's own metadata pass runs htmldate with extensive search, which
    # tries every dateparser locale on Arabic text (seconds per page); title,
    # date and author are read here instead.
    "with_metadata": False,
}
# Below this many characters the fast (no-fallback) extraction is not trusted, and
# the fallback extractors are consulted; their output is then filtered line by line.
_SHORT_TEXT = 250
_MIN_WORDS = 6
_READ_ALSO_RE = re.compile(
    r"^\s*(?:اقرأ|اقرا|إقرأ|طالع|شاهد|تابع)\s+(?:أيضا|أيضاً|ايضا|ايضاً|كذلك|المزيد|ايضًا|أيضًا)\s*[:：\-]?"
)
_SHARE_LINE_RE = re.compile(
    r"^\s*(?:شارك|مشاركة|شارك\s+الخبر|تابعونا\s+على|فيسبوك|تويتر|واتساب|طباعة|حجم\s+الخط)\b"
)


def _anchor_texts(tree: lxml_html.HtmlElement) -> list[str]:
    texts = set()
    for a in tree.iter("a"):
        text = _text_of(a)
        if len(text) >= 3:
            texts.add(text)
    return sorted(texts, key=len, reverse=True)


_ALNUM_RUNS_RE = re.compile(r"[^\W_]+")


def _letters(text: str) -> int:
    return sum(map(len, _ALNUM_RUNS_RE.findall(text)))


def _mostly_links(line: str, anchors: list[str]) -> bool:
    # A line that is (almost) only the text of links is a teaser for other pages:
    # a headline from a "most read" list or a menu the extractor kept.
    present = [a for a in anchors if a in line]
    if not present:
        return False
    if any(len(a) >= 12 and len(a) >= 0.8 * len(line) for a in present):
        return True
    rest = line
    for anchor in present:
        rest = rest.replace(anchor, " ")
    return _letters(rest) < 0.2 * _letters(line)


def _clean_lines(text: str, title: str, anchors: list[str]) -> str:
    lines = []
    title_key = _squash(title)
    for raw in text.split("\n"):
        line = _squash(raw)
        if not line:
            continue
        if not lines and title_key and line == title_key:
            continue  # the headline repeated as the body's first line
        if _READ_ALSO_RE.match(line) or _SHARE_LINE_RE.match(line):
            continue
        if anchors and _mostly_links(line, anchors):
            continue
        lines.append(line)
    return "\n".join(lines)


@lru_cache(maxsize=2)
def _trafilatura_options(fast: bool) -> Any:
    from trafilatura.settings import Extractor

    # Building the options reads trafilatura's config file settings one by one, which cost
    # as much as a tenth of an extraction; they are the same for every page but the URL.
    return Extractor(
        output_format="python",
        fast=fast,
        precision=_TRAFILATURA_OPTIONS["favor_precision"],
        comments=_TRAFILATURA_OPTIONS["include_comments"],
        tables=_TRAFILATURA_OPTIONS["include_tables"],
        with_metadata=_TRAFILATURA_OPTIONS["with_metadata"],
    )


def _trafilatura(tree: lxml_html.HtmlElement, url: str, *, fast: bool) -> Any:
    import trafilatura

    options = copy.copy(_trafilatura_options(fast))
    options.url = options.source = url
    try:
        # Given a tree, trafilatura works on its own copy: the pruned tree serves both passes.
        return trafilatura.bare_extraction(tree, options=options)
    except (ValueError, TypeError, AttributeError, etree.LxmlError):
        return None


def _main_text(
    pruned: lxml_html.HtmlElement, url: str, title: str, anchors: list[str]
) -> tuple[str, Any]:
    doc = _trafilatura(pruned, url, fast=True)
    text = _clean_lines(getattr(doc, "text", None) or "", title, anchors)
    if len(text) >= _SHORT_TEXT:
        return text, doc
    fallback = _trafilatura(pruned, url, fast=False)
    fallback_text = _clean_lines(getattr(fallback, "text", None) or "", title, anchors)
    if len(fallback_text) > len(text):
        return fallback_text, fallback
    return text, doc or fallback


# --- selectors ---------------------------------------------------------------------


def _select(html: str, spec: str) -> list[Any]:
    from parsel import Selector

    spec = spec.strip()
    selector = Selector(text=html)
    if spec.startswith("xpath:"):
        return list(selector.xpath(spec[len("xpath:") :].strip()))
    if spec.startswith("css:"):
        spec = spec[len("css:") :]
    return list(selector.css(spec.strip()))


def _selected_string(nodes: list[Any]) -> str:
    for node in nodes:
        value = _squash(node.xpath("string()").get() or "")
        if value:
            return value
    return ""


_BLOCKS_XPATH = ".//p | .//h2 | .//h3 | .//h4 | .//blockquote[not(.//p)] | .//li[not(.//p)]"


def _selected_body(nodes: list[Any]) -> str:
    lines: list[str] = []
    for node in nodes:
        node_lines = []
        for block in node.xpath(_BLOCKS_XPATH):
            value = _squash(block.xpath("string()").get() or "")
            if value:
                node_lines.append(value)
        if not node_lines:
            raw = "\n".join(
                node.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]").getall()
            )
            node_lines = [_squash(line) for line in raw.split("\n") if _squash(line)]
        lines.extend(node_lines)
    return "\n".join(lines)


# --- title -------------------------------------------------------------------------

_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " « ", " » ", " || ", " / ")


def _strip_outlet(title: str, site_name: str | None, h1: str | None) -> str:
    title = _squash(title)
    if h1 and h1 != title and (title.startswith(h1) or title.endswith(h1)):
        rest = title.replace(h1, "", 1).strip(" |-–—:«»/")
        if len(rest) <= 40:
            return h1
    if site_name:
        site = _squash(site_name)
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
        text = _text_of(h1)
        if not text:
            continue
        if not _in_chrome(h1):
            return text
        fallback = fallback or text
    return fallback


def _title(tree: lxml_html.HtmlElement, head: _Head, doc: Any) -> str:
    h1 = _first_h1(tree)
    site_names = head.values("og:site_name", "application-name")
    site_name = site_names[0] if site_names else getattr(doc, "sitename", None)
    for candidate in (
        *head.values("og:title", "twitter:title"),
        h1,
        getattr(doc, "title", None),
        _squash(tree.findtext(".//title") or ""),
    ):
        if candidate and _squash(candidate):
            return _strip_outlet(candidate, site_name, h1)
    return ""


# --- dates -------------------------------------------------------------------------

_META_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "dc.date.issued",
    "dcterms.issued",
    "dcterms.created",
    "dc.date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "cxenseparse:recs:publishtime",
    "date",
)
_NEWS_TYPES = re.compile(r"article|posting|report", re.IGNORECASE)


def _parse_machine_date(value: str, tz: str) -> ParsedDate | None:
    """An ISO 8601, RFC 2822 or epoch value from metadata; a naive time is in `tz`."""
    value = value.strip()
    if not value:
        return None
    if re.fullmatch(r"\d{10}(?:\d{3})?", value):
        seconds = int(value[:10])
        return ParsedDate(datetime.fromtimestamp(seconds, UTC), "second")
    iso = value.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", value) else value
    try:
        parsed = datetime.fromisoformat(iso.replace("z", "Z"))
    except ValueError:
        parsed = None
    if parsed is not None:
        if re.fullmatch(r"\d{4}-?\d\d-?\d\d", value):
            return ParsedDate(datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC), "day")
        if parsed.tzinfo is None:
            return ParsedDate(local_to_utc(parsed, tz), "second")
        return ParsedDate(parsed.astimezone(UTC), "second")
    try:
        rfc = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        rfc = None
    if rfc is not None:
        if rfc.tzinfo is None:
            return ParsedDate(local_to_utc(rfc, tz), "second")
        return ParsedDate(rfc.astimezone(UTC), "second")
    return parse_arabic_date(value, tz)


def _json_ld_dates(head: _Head) -> list[str]:
    found: list[tuple[int, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            value = node.get("datePublished")
            if isinstance(value, str):
                kind = node.get("@type", "")
                kind = " ".join(kind) if isinstance(kind, list) else str(kind)
                found.append((0 if _NEWS_TYPES.search(kind) else 1, value))
            for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
                if key in node:
                    walk(node[key])

    walk(head.json_ld)
    return [value for _rank, value in sorted(found, key=lambda item: item[0])]


_TIME_ELEMENTS = etree.XPath("//time[@datetime] | //*[@itemprop='datePublished']")
_IN_LINK = etree.XPath("boolean(ancestor::a)")


def _time_elements(tree: lxml_html.HtmlElement) -> list[str]:
    marked, plain = [], []
    for element in _TIME_ELEMENTS(tree):
        value = element.get("datetime") or element.get("content")
        if not value or _in_chrome(element) or _IN_LINK(element):
            continue
        marks = f"{element.get('itemprop') or ''} {element.get('class') or ''}".lower()
        if element.get("pubdate") is not None or "publish" in marks or "datepublished" in marks:
            marked.append(value)
        else:
            plain.append(value)
    return marked + plain


def _plausible(parsed: ParsedDate | None, now: datetime) -> ParsedDate | None:
    if parsed is None:
        return None
    if parsed.value > now + timedelta(days=1) or parsed.value.year < 1995:
        return None
    return parsed


def _metadata_date(
    tree: lxml_html.HtmlElement, head: _Head, tz: str, now: datetime, *, with_htmldate: bool
) -> ParsedDate | None:
    candidates = [
        *head.values(*_META_DATE_KEYS[:5]),
        *_json_ld_dates(head),
        *head.values(*_META_DATE_KEYS[5:]),
        *_time_elements(tree),
    ]
    for value in candidates:
        parsed = _plausible(_parse_machine_date(value, tz), now)
        if parsed is not None:
            return parsed
    if not with_htmldate:
        return None
    try:
        from htmldate import find_date

        # Given a tree, htmldate prunes its own copy instead of parsing the page again.
        day = find_date(tree, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    except (ValueError, TypeError, etree.LxmlError):
        day = None
    if day:
        return _plausible(_parse_machine_date(day, tz), now)
    return None


_DATE_MARKS_RE = re.compile(r"date|time|publish|posted|byline|meta|info|تاريخ", re.IGNORECASE)
_PUBLISHED_WORD_RE = re.compile(r"نشر|تاريخ\s+النشر|بتاريخ|published|posted", re.IGNORECASE)


def _text_date(
    tree: lxml_html.HtmlElement, title: str, body: str, tz: str, now: datetime
) -> ParsedDate | None:
    """An Arabic date written on the page: a byline, a date label, a "نُشر في" line."""
    # 1. Elements marked as dates or bylines, outside the site's header and sidebars
    #    (a header often shows today's date, which is not the article's).
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "body", "script", "style"):
            continue
        marks = f"{element.get('class') or ''} {element.get('id') or ''} {element.get('itemprop') or ''}"
        if not _DATE_MARKS_RE.search(marks):
            continue
        text = _text_of(element)
        if not text or len(text) > 200 or _in_chrome(element):
            continue
        parsed = _plausible(parse_arabic_date(text, tz, now=now), now)
        if parsed is not None:
            return parsed
    # 2. A line of the page that says it was published on a date.
    body_root = tree.find("body")
    if body_root is None:
        return None
    lines = []
    for element in body_root.iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style"):
            continue
        for chunk in (element.text, element.tail):
            if chunk and chunk.strip():
                lines.append((_in_chrome(element), _squash(chunk)))
    for in_chrome, line in lines:
        if not in_chrome and _PUBLISHED_WORD_RE.search(line):
            for parsed in find_arabic_dates(line, tz):
                if _plausible(parsed, now):
                    return parsed
    # 3. The first date between the headline and the article's first paragraph.
    first_line = body.split("\n", 1)[0][:60] if body else ""
    started = not title
    for in_chrome, line in lines:
        if title and title in line:
            started = True
            continue
        if first_line and line.startswith(first_line[:30]):
            break
        if started and not in_chrome:
            for parsed in find_arabic_dates(line, tz):
                if _plausible(parsed, now):
                    return parsed
    return None


def _listed(listed_at: datetime | None, tz: str) -> ParsedDate | None:
    if listed_at is None:
        return None
    if listed_at.tzinfo is None:
        return ParsedDate(local_to_utc(listed_at, tz), "second")
    return ParsedDate(listed_at.astimezone(UTC), "second")


# --- author and language -----------------------------------------------------------

_BYLINE_PREFIX_RE = re.compile(
    r"^\s*(?:بقلم|كتب|كتبت|بواسطة|إعداد|اعداد|تحرير|المحرر|by)\s*[:：\-]?\s*", re.IGNORECASE
)
_NOT_A_NAME_RE = re.compile(
    r"\d|(?:^|\s)(?:ال)?(?:أحد|احد|اثنين|إثنين|ثلاثاء|أربعاء|اربعاء|خميس|جمعة|سبت)(?:\s|$)"
)


def _clean_author(value: str | None) -> str | None:
    if not value:
        return None
    value = _BYLINE_PREFIX_RE.sub("", _squash(value)).strip(" ،,;|-")
    if not value or value.startswith("http") or len(value) > 80 or _NOT_A_NAME_RE.search(value):
        return None
    return value


def _json_ld_author(head: _Head) -> str | None:
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


def _author(tree: lxml_html.HtmlElement, head: _Head, doc: Any) -> str | None:
    def candidates() -> Iterator[str | None]:
        # In order of trust, and lazily: most pages name the author in their metadata, and
        # the byline search walks the whole page.
        yield from head.values("author", "article:author", "dc.creator", "parsely-author")
        yield _json_ld_author(head)
        for element in _AUTHOR_ELEMENTS(tree):
            if not _in_chrome(element):
                yield _text_of(element)
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


def _language(tree: lxml_html.HtmlElement, head: _Head, text: str) -> str | None:
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


# --- entry point -------------------------------------------------------------------


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
    head: _Head
    doc: Any
    tz: str
    listed_at: datetime | None
    selectors: dict[str, str]
    now: datetime

    def without_details(self) -> Extracted:
        """The page as far as it was read: no date, author or language."""
        return Extracted(self.title, self.text, None, None, None, self.canonical_url, None)

    def complete(self) -> Extracted:
        parsed = self._published()
        return Extracted(
            title=self.title,
            text=self.text,
            published_at=parsed.value if parsed else None,
            published_precision=parsed.precision if parsed else None,
            author=_author(self.tree, self.head, self.doc),
            canonical_url=self.canonical_url,
            language=_language(self.tree, self.head, self.title + "\n" + self.text),
        )

    def _published(self) -> ParsedDate | None:
        tz, now, tree = self.tz, self.now, self.tree
        parsed: ParsedDate | None = None
        if self.selectors.get("date"):
            nodes = _select(self.html, self.selectors["date"])
            for node in nodes:
                raw = (
                    node.attrib.get("datetime") or node.attrib.get("content")
                    if hasattr(node, "attrib")
                    else None
                )
                value = raw or _squash(node.xpath("string()").get() or "")
                parsed = _plausible(
                    _parse_machine_date(value, tz)
                    if raw
                    else parse_arabic_date(value, tz, now=now),
                    now,
                )
                if parsed is not None:
                    break
        if parsed is None:
            listed = _listed(self.listed_at, tz)
            # Past the page's own metadata, htmldate reads dates written in the text, which
            # come after the feed's date; with a feed date it would only cost time or
            # override it.
            parsed = _metadata_date(tree, self.head, tz, now, with_htmldate=listed is None)
            if parsed is None:
                parsed = listed
            elif (
                parsed.precision == "day"
                and listed is not None
                and local_date(listed.value, tz) == parsed.value.date()
            ):
                # The page gives the day, the feed gives the moment on that day.
                parsed = listed
        if parsed is None:
            parsed = _text_date(tree, self.title, self.text, tz, now)
        return parsed


def find_main_text(
    html: str,
    url: str,
    *,
    tz: str = "UTC",
    listed_at: datetime | None = None,
    selectors: dict[str, str] | None = None,
) -> MainText | None:
    """The first half of :func:`extract_article`: title, main text and canonical URL."""
    tree = _parse(html)
    if tree is None:
        return None
    selectors = selectors or {}
    canonical = resolve_canonical(url, tree)
    head = _Head.read(tree)
    anchors = _anchor_texts(tree)

    # Parsed once: a copy of the tree costs a fraction of a second parse.
    pruned = copy.deepcopy(tree)
    _prune_boxes(pruned)
    _prune_chrome(pruned)
    # trafilatura drops comments and processing instructions when it parses a string itself.
    etree.strip_elements(pruned, etree.Comment, etree.ProcessingInstruction, with_tail=False)

    doc = None
    title = ""
    if selectors.get("title"):
        title = _selected_string(_select(html, selectors["title"]))
    if selectors.get("body"):
        pruned_html = lxml_html.tostring(pruned, encoding="unicode")
        text = _selected_body(_select(pruned_html, selectors["body"]))
        text = _clean_lines(text, title, anchors)
        if not title:
            title = _title(tree, head, None)
    else:
        provisional_title = title or _title(tree, head, None)
        text, doc = _main_text(pruned, url, provisional_title, anchors)
        title = title or _title(tree, head, doc)
        if provisional_title != title:
            text = _clean_lines(text, title, anchors)
    # A few words are a caption or a menu the extractor settled on, not an article.
    if len(text.split()) < _MIN_WORDS:
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
