"""The article's main text: trafilatura on the pruned page, or the source's body selector,
cleaned line by line of "read also" lines, share buttons and teasers for other pages.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from crawler.analysis.extract.page import squash

TRAFILATURA_OPTIONS = {
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
MIN_WORDS = 6
_READ_ALSO_RE = re.compile(
    r"^\s*(?:اقرأ|اقرا|إقرأ|طالع|شاهد|تابع)\s+(?:أيضا|أيضاً|ايضا|ايضاً|كذلك|المزيد|ايضًا|أيضًا)\s*[:：\-]?"
)
_SHARE_LINE_RE = re.compile(
    r"^\s*(?:شارك|مشاركة|شارك\s+الخبر|تابعونا\s+على|فيسبوك|تويتر|واتساب|طباعة|حجم\s+الخط)\b"
)


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


def clean_lines(text: str, title: str, anchors: list[str]) -> str:
    lines: list[str] = []
    title_key = squash(title)
    for raw in text.split("\n"):
        line = squash(raw)
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
        precision=TRAFILATURA_OPTIONS["favor_precision"],
        comments=TRAFILATURA_OPTIONS["include_comments"],
        tables=TRAFILATURA_OPTIONS["include_tables"],
        with_metadata=TRAFILATURA_OPTIONS["with_metadata"],
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


def main_text(
    pruned: lxml_html.HtmlElement, url: str, title: str, anchors: list[str]
) -> tuple[str, Any]:
    doc = _trafilatura(pruned, url, fast=True)
    text = clean_lines(getattr(doc, "text", None) or "", title, anchors)
    if len(text) < _SHORT_TEXT:
        fallback = _trafilatura(pruned, url, fast=False)
        fallback_text = clean_lines(getattr(fallback, "text", None) or "", title, anchors)
        if len(fallback_text) > len(text):
            text, doc = fallback_text, fallback
        else:
            doc = doc or fallback
    lead = lead_block(pruned, text, title)
    return (f"{lead}\n{text}" if lead and text else text), doc


# Where a standfirst or lead stands apart from the body ("<div class=lead>", "<p><strong>"),
# trafilatura's precision mode often drops it, and the lead is where a story names its
# development and the watched system first. Blocks a lead may sit in, in document order:
# Blocks without blocks inside: a wrapper holds the text's first line as much as its own block
# does, and would end the search before it began.
_LEAD_CANDIDATES_XPATH = (
    ".//*[self::h1 or self::p or self::div or self::strong or self::b or self::h2 or self::h3"
    " or self::span or self::section][not(ancestor-or-self::a)"
    " and not(ancestor::figure) and not(ancestor::figcaption)"
    " and not(.//p | .//div | .//section | .//h1)]"
)
_LEAD_MIN_WORDS = 8
# A photo caption or credit outside <figure> (by its own class or its parent's) is no lead; nor
# is a block past the first this many.
_NOT_LEAD = re.compile(r"caption|credit|photo|image|img|share|related|breadcrumb", re.I)
_LEAD_SCAN = 300
_SENTENCE_END = re.compile(r"[.!?؟…]\s*$")


def lead_block(pruned: lxml_html.HtmlElement, text: str, title: str) -> str:
    """A lead the extracted `text` left out: the last block of full sentences that stands on its
    own between the headline and the block holding the text's first line."""
    first = text.split("\n", 1)[0][:60] if text else ""
    if not first:
        return ""
    title_key = squash(title)
    lead = ""
    # A ticker or a teaser above the headline is no lead: with a headline, only what follows it.
    after_headline = not pruned.xpath(".//h1")
    for element in pruned.xpath(_LEAD_CANDIDATES_XPATH)[:_LEAD_SCAN]:
        if element.tag == "h1":
            after_headline = True
            continue
        value = squash(element.text_content())
        if first in value:
            return lead
        if (
            after_headline
            and len(value.split()) >= _LEAD_MIN_WORDS
            and _SENTENCE_END.search(value)
            and value != title_key
            and value not in text
            and not _NOT_LEAD.search(" ".join(element.xpath("@class | ../@class")))
        ):
            lead = value
    # The text's first line was not found in the page (the extractor rewrote it): there is no
    # telling what stands before it.
    return ""


def selected_string(nodes: list[Any]) -> str:
    for node in nodes:
        value = squash(node.xpath("string()").get() or "")
        if value:
            return value
    return ""


_BLOCKS_XPATH = ".//p | .//h2 | .//h3 | .//h4 | .//blockquote[not(.//p)] | .//li[not(.//p)]"


def selected_body(nodes: list[Any]) -> str:
    lines: list[str] = []
    for node in nodes:
        node_lines = []
        for block in node.xpath(_BLOCKS_XPATH):
            value = squash(block.xpath("string()").get() or "")
            if value:
                node_lines.append(value)
        if not node_lines:
            raw = "\n".join(
                node.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]").getall()
            )
            node_lines = [squash(line) for line in raw.split("\n") if squash(line)]
        lines.extend(node_lines)
    return "\n".join(lines)
