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

# A headline's ".." joins its halves: it ends no sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?؟])(?<!\.\.)\s+")
_TOKEN = re.compile(r"\S+")

# Page furniture that extraction may leave in a body (on normalized text): it is never
# the lead nor evidence. A line opening with a label of the page's chrome (a link to
# another story, however long: "اقرأ أيضا: ...")...
_LINKS = re.compile(
    r"^\W*(?:اقرا (?:ايضا|المزيد)|شاهد ايضا|طالع ايضا|مواضيع ذات صله|اخبار ذات صله"
    r"|كلمات مفتاحيه|الكلمات المفتاحيه|الوسوم|وسوم)\b"
)
_CHROME = re.compile(
    r"^\W*(?:المصدر|بقلم|كتب|اعداد|تحرير|شارك|تابعونا|اخر تحديث|تاريخ النشر|نشر في"
    r"|تاريخ التحديث)\b"
)
# ... a line of hashtags, a breadcrumb or section name ("العالم | آسيا"), a date or time
# line ("2019/07/12 - 10:45", "منذ 3 ساعات").
_HASHTAGS = re.compile(r"^(?:#\S+\s*)+$")
_BREADCRUMB = re.compile(r"[|»›>]")
_DATE_LINE = re.compile(
    r"^\W*(?:\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|\d{1,2}:\d{2})"
    # "الخميس 29 أبريل 2021 10:44 م": a weekday, a day and a month
    r"|^\W*(?:الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه|السبت|الاحد)\W+\d{1,2}\s+\w+\s+\d{4}"
    r"|منذ \d+ (?:ساعه|ساعات|دقيقه|دقائق|يوم|ايام)"
)
# ... a site's notice or an ad slot's marker left in the text ("هذا الموقع يستخدم ملف تعريف
# الارتباط", "[ad_1]").
_NOTICE = re.compile(
    r"(?:ملف|ملفات) تعريف الارتباط|\bcookies?\b|هذا الموقع يستخدم|\[ad_\d+\]", re.I
)
_FURNITURE_WORDS = 12
# A sentence that opens with a turn ("لكن", "غير أن") goes on about what the one before told.
_CONTRAST = re.compile(r"^\W*(?:و?لكن|غير ان|الا ان|بيد ان)\b")
# ... or a dateline standing on a line of its own, so that the story's lead is the sentence
# after it: a place of up to three words, a dash and the credit ("موسكو - وكالات", "انقره -
# (د ب ا)", "نيودلهي - \"ذا هندو\" / ترجمه"), or the credit in parentheses ("بيروت (رويترز)").
# A credit after the dash opens with a quote or a parenthesis, or is at most three tokens
# ("وام / وكالات"): "موسكو - أعلنت روسيا تسليم الدفعة" is a short lead, not a dateline.
_DATELINE_ONLY = re.compile(
    r"^\W*\w+(?:\s+\w+){0,2}\s*"
    r"(?:-\s+(?:[\"(][^!?؟:،,]*|[^\s.!?؟:،,]+(?:\s+[^\s.!?؟:،,]+){0,2})|\([^()]{1,40}\)\s*-?)"
    r"\s*:?$"
)
_DATELINE_WORDS = 8


def furniture(norm: str, title_norm: str = "") -> bool:
    """Whether a normalized line is page furniture, or the headline repeated in the body."""
    words = norm.split()
    if _LINKS.match(norm):
        return True
    if not words or len(words) > _FURNITURE_WORDS:
        return False
    if _CHROME.match(norm) or _HASHTAGS.match(norm) or _DATE_LINE.search(norm):
        return True
    if _NOTICE.search(norm):
        return True
    if len(words) <= _DATELINE_WORDS and _DATELINE_ONLY.match(norm):
        return True
    if _BREADCRUMB.search(norm) and len(words) <= 6:
        return True
    bare = " ".join(w.strip(".،,:") for w in words)
    return bool(title_norm) and len(bare) > 10 and bare in title_norm


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
    term_texts: list[str] = dataclasses.field(default_factory=list)  # normalized, as found
    furniture: bool = False  # page chrome or the headline repeated: never lead nor evidence
    lead: bool = False  # the first body sentence that is not furniture
    # It threatens, imposes or waives sanctions under the law named (see `TopicRules`):
    # it speaks for a sanction wherever it stands.
    law_sanction: bool = False
    weight: float = 0.0
    refers_back: bool = False  # its weight comes from a word that refers back to the system
    # The article names a seller of every weapon, so other weapons may be its news.
    seller_article: bool = False
    # Per-article memos: a sentence's topics and countries are asked for more than once.
    topics: list[tuple[str, bool]] | None = None
    ahead: frozenset[str] = frozenset()  # topics told as still to come ("ومن المقرر أن تتسلم")
    recalled: set[str] = dataclasses.field(default_factory=set)  # a recap going on (classifier)
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
    continuation: frozenset[str] = frozenset(),
    new_speakers: frozenset[str] = frozenset(),
) -> list[Sentence]:
    """The title (as one sentence) and the body's sentences, with their weights.

    `refers` tells whether a sentence refers back to the watched system; a sentence that
    opens with a verb of `continuation` (normalized, with its "و") right after the lead,
    or after such a sentence, goes on with the lead's statement, unless one of
    `new_speakers` follows the verb ("وأوضح مسؤول في الشركة": someone else speaks)."""
    # A title spread over lines is still one headline.
    t = title.strip()
    title_s = [Sentence("title", title.find(t), title.find(t) + len(t), t, normalize(t), 0)]
    if not t:
        title_s = []
    body_s = _split(body, "body", 1)
    title_norm = " ".join(w.strip(".،,:") for w in normalize(t).split())
    for s in body_s:
        s.furniture = furniture(s.norm, title_norm)
    # The lead is the first sentence that is not furniture.
    lead = next((i for i, s in enumerate(body_s) if not s.furniture), -1)
    for m in matches:
        pool = title_s if m.field == "title" else body_s
        for s in pool:
            if s.start <= m.start < max(s.end, s.start + 1):
                s.has_term = True
                s.term_texts.append(normalize(s.text[m.start - s.start : m.end - s.start]))
                break
    for s in title_s:
        s.weight = weights.title
    named = any(s.has_term for s in title_s)
    refers_back = [False] * len(body_s)
    for i, s in enumerate(body_s):
        refers_back[i] = named and not s.has_term and refers is not None and refers(s)
        named = named or s.has_term
    # "وأضاف ... وأشار إلى أن المحادثات تتناول أيضا ...": the lead's speaker goes on, and
    # the statement's second half is as much the news as its first.
    continued = [False] * len(body_s)
    # A lead that sets the scene without naming the system ("مازالت الجزائر تواصل سباق
    # التسلح.") leaves the news to the sentence after it.
    if 0 <= lead < len(body_s) - 1 and not body_s[lead].has_term:
        nxt = next((i for i in range(lead + 1, len(body_s)) if not body_s[i].furniture), -1)
        if nxt >= 0:
            continued[nxt] = True
    if lead >= 0:
        for i in range(lead + 1, len(body_s)):
            words = body_s[i].norm.split()
            if body_s[i].furniture or not words or words[0] not in continuation:
                break
            if len(words) > 1 and clean(words[1]) in new_speakers:
                break
            continued[i] = True
    for i, s in enumerate(body_s):
        w = 0.0
        if s.furniture:
            s.weight = w
            continue
        if i == lead:
            s.lead = True
            w = weights.lead
        if s.has_term:
            w = max(w, weights.term)
        elif refers_back[i]:
            w = max(w, weights.reference)
            s.refers_back = w == weights.reference
        elif i > 0 and body_s[i - 1].has_term and _CONTRAST.match(s.norm):
            # "لكن عمليات التسليم تأجلت": a turn on what the sentence before told, about the
            # same system.
            w = max(w, weights.reference)
        elif (i > 0 and body_s[i - 1].has_term) or (i + 1 < len(body_s) and body_s[i + 1].has_term):
            w = max(w, weights.neighbour)
        if continued[i]:
            w = max(w, weights.continued)
        s.weight = w
    return title_s + body_s
