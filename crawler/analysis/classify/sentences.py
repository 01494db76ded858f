"""An article cut into sentences, each weighted by how much it may speak for a topic.

The title and the lead (first body sentence) always may, a body sentence that mentions a
watched term may, or refers back to it after its first mention ("المنظومة", "الصفقة"), and a
sentence next to one may a little: a background paragraph far from any
watched term cannot turn an S-400 story into, say, a delivery story.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from crawler.analysis.classify.lexicon import Weights
from crawler.analysis.classify.patterns import clean
from crawler.text.arabic import normalize

_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
_TOKEN = re.compile(r"\S+")


class TermLike(Protocol):
    """Where a watched term was found (a `crawler.analysis.matcher.TermMatch`)."""

    @property
    def term(self) -> str: ...

    @property
    def field(self) -> str: ...

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


@dataclass
class Sentence:
    field: str
    start: int
    end: int
    text: str  # original, trimmed
    norm: str
    index: int  # position in the article: title 0, body 1..n
    has_term: bool = False
    weight: float = 0.0
    refers_back: bool = False  # its weight comes from a word that refers back to the system
    # The article names a seller of every weapon, so other weapons may be its news.
    seller_article: bool = False
    # Per-article memos: a sentence's topics and countries are asked for more than once.
    topics: list[tuple[str, bool]] | None = None
    countries: dict[tuple[bool, ...], set[str]] = dataclasses.field(default_factory=dict)
    live_rules: set[int] | None = None  # prefilter candidates among the topic rules
    live_places: set[int] | None = None  # prefilter candidates among the country names
    words: list[tuple[int, int, str]] | None = None  # see `tokens`

    def tokens(self) -> list[tuple[int, int, str]]:
        """(start, end, cleaned word) of every token of `norm`, computed once."""
        if self.words is None:
            self.words = [
                (m.start(), m.end(), clean(m.group())) for m in _TOKEN.finditer(self.norm)
            ]
        return self.words


def _split(text: str, field_name: str, first_index: int) -> list[Sentence]:
    """The sentences of `text`: split at line breaks and sentence-ending punctuation."""
    out: list[Sentence] = []
    pos = 0
    idx = first_index
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        pieces = []
        last = 0
        for m in _SENTENCE_END.finditer(line):
            pieces.append((last, m.start()))
            last = m.end()
        pieces.append((last, len(line)))
        for a, b in pieces:
            raw = line[a:b]
            stripped = raw.strip()
            if not stripped:
                continue
            lead_ws = len(raw) - len(raw.lstrip())
            s = line_start + a + lead_ws
            out.append(
                Sentence(field_name, s, s + len(stripped), stripped, normalize(stripped), idx)
            )
            idx += 1
    return out


def article_sentences(
    title: str,
    body: str,
    matches: Sequence[TermLike],
    weights: Weights,
    refers: Callable[[Sentence], bool] | None = None,
) -> list[Sentence]:
    """The title (as one sentence) and the body's sentences, with their weights.

    `refers` tells whether a sentence refers back to the watched system."""
    # A title spread over lines is still one headline.
    t = title.strip()
    title_s = [Sentence("title", title.find(t), title.find(t) + len(t), t, normalize(t), 0)]
    if not t:
        title_s = []
    body_s = _split(body, "body", 1)
    for m in matches:
        pool = title_s if m.field == "title" else body_s
        for s in pool:
            if s.start <= m.start < max(s.end, s.start + 1):
                s.has_term = True
                break
    for s in title_s:
        s.weight = weights.title
    named = any(s.has_term for s in title_s)
    refers_back = [False] * len(body_s)
    for i, s in enumerate(body_s):
        refers_back[i] = named and not s.has_term and refers is not None and refers(s)
        named = named or s.has_term
    for i, s in enumerate(body_s):
        w = 0.0
        if i == 0:
            w = weights.lead
        if s.has_term:
            w = max(w, weights.term)
        elif refers_back[i]:
            w = max(w, weights.reference)
            s.refers_back = w == weights.reference
        elif (i > 0 and body_s[i - 1].has_term) or (i + 1 < len(body_s) and body_s[i + 1].has_term):
            w = max(w, weights.neighbour)
        s.weight = w
    return title_s + body_s
