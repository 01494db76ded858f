"""An HTML page as the extractor reads it: parsed once, its head's metadata read once, and
the site's chrome (menus, sidebars, "most read" and "related" boxes) told apart and pruned.

Arabic news templates surround the article with boxes of other headlines on the same subject;
they must not reach the article's text, or every page would look relevant.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from crawler.text.selectors import Selector

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def parse_html(html: str) -> lxml_html.HtmlElement | None:
    # lxml refuses a str that still carries an XML encoding declaration.
    html = _XML_DECL_RE.sub("", html)
    if not html.strip():
        return None
    try:
        return lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def squash(text: str) -> str:
    return " ".join(text.split())


def text_of(element: Any) -> str:
    return squash(element.text_content()) if hasattr(element, "text_content") else ""


@dataclass(frozen=True)
class Head:
    """What several readers of a page take from its `<meta>` tags and JSON-LD, read once."""

    metas: list[tuple[str, str]]  # (property, name or itemprop lower-cased; content) in order
    http_equiv: list[tuple[str, str]]
    json_ld: list[Any]  # the parsed documents

    @classmethod
    def read(cls, tree: lxml_html.HtmlElement) -> Head:
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


def in_chrome(element: Any) -> bool:
    node = element
    while node is not None and node.tag not in ("body", "html"):
        if isinstance(node.tag, str) and _is_chrome(node):
            return True
        node = node.getparent()
    return False


def _link_density(element: Any) -> float:
    total = len(text_of(element))
    if not total:
        return 0.0
    linked = sum(len(text_of(a)) for a in element.iter("a"))
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
        own = squash(element.text or "")
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
    body_text = len(text_of(tree))
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
        if body_text and len(text_of(element)) > 0.5 * body_text:
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


def pruned_copy(tree: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    """A copy of `tree` without boxes, chrome, comments and processing instructions."""
    # Parsed once: a copy of the tree costs a fraction of a second parse.
    pruned = copy.deepcopy(tree)
    _prune_boxes(pruned)
    _prune_chrome(pruned)
    # trafilatura drops comments and processing instructions when it parses a string itself.
    etree.strip_elements(pruned, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    return pruned


def anchor_texts(tree: lxml_html.HtmlElement) -> list[str]:
    texts = set()
    for a in tree.iter("a"):
        text = text_of(a)
        if len(text) >= 3:
            texts.add(text)
    return sorted(texts, key=len, reverse=True)


def select(html: str, spec: str) -> list[Any]:
    """The nodes of `html` a source's extraction selector picks (CSS without a prefix)."""
    from parsel import Selector as Document

    return list(Selector.parse(spec, default="css").select(Document(text=html)))
