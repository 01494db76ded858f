"""Topics, evidence, acting countries and money amounts of a relevant article.

The rules live in `crawler/analysis/lexicons/*.toml` so an analyst can read and extend them;
this module only knows how to apply them. Everything is matched on text folded by
:func:`crawler.text.arabic.normalize` (lexicon entries are folded the same way), while
evidence sentences and amount texts are cut from the original text.

How a topic is decided, in short:

- The article is cut into sentences: the title, then the body split at line breaks
  and sentence-ending punctuation.
- Only some sentences may speak for a topic: the title and the lead (first body
  sentence) always, a body sentence that mentions a watched term, and, weakly, a
  sentence next to one. A background paragraph far from any watched term cannot
  turn an S-400 story into, say, a delivery story.
- A trigger is dropped when negated ("لم يتم تسليم"), passing ("رغم العقوبات"),
  preparatory ("تمهيداً لاستلام"), or background ("وكانت أنقرة قد تسلمت", "في
  ديسمبر 2017") without a future cue. A future delivery inside a contract
  sentence is that contract's terms, and a signed framework agreement or
  memorandum is a negotiation step.
- Each sentence adds its weight to the topics it supports; a topic needs the
  threshold from `topics.toml`. "other" is given when nothing else is.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from crawler.analysis.prefilter import FilteredPattern, Prefilter
from crawler.text.arabic import normalize, normalize_with_map_shared
from crawler.vocab import EVENT_TOPICS

DEFAULT_LEXICON_DIR = Path(__file__).with_name("lexicons")

# Proclitics that may stand before a lexicon word: a conjunction (و ف), then a
# preposition or the future prefix (ب ل ك س), or the article in its joined forms.
_CONJ = "(?:[وف])?"
_ARTICLE = "(?:[بك]?ال|لل)"
_STEM_PREFIX = "(?:[بك]?ال|لل|[بلكس])?"
_EXACT_PREFIX = "(?:[بلك])?"
# Between two words of one entry: punctuation may cling to either word.
_JOIN = r"[^\w\s]*\s+[^\w\s]*"
_CLAUSE_END = ("،", ",", "؛", ";", ":", ".", "!", "?", "؟")
_STRIP = "\"'()[]{}«»<>،,؛;:.!?؟-"
_WORDS = re.compile(r"\([^)]*\)\S*|\S+")
_GAP = re.compile(r" \.\.(\d*) ")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")


class _TermLike(Protocol):
    term: str
    field: str
    start: int
    end: int


@dataclass
class Classification:
    topics: list[str] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)
    countries: list[str] = field(default_factory=list)
    amounts: list[dict[str, Any]] = field(default_factory=list)


# --------------------------------------------------------------------------- patterns


def compile_entry(entry: str, *, exact: bool = False, max_gap: int = 8) -> re.Pattern[str]:
    """Compile one lexicon entry (syntax in `lexicons/topics.toml`) to a regex on normalized text.

    `exact` makes every word end where the entry ends (names in the gazetteer);
    otherwise words are stems and take any suffix.
    """
    return re.compile(entry_regex(entry, exact=exact, max_gap=max_gap))


def entry_regex(entry: str, *, exact: bool = False, max_gap: int = 8) -> str:
    """The source of :func:`compile_entry`'s regex."""
    norm = normalize(entry)
    pieces = _GAP.split(norm)
    out = _JOIN.join(_word_regex(w, exact) for w in _WORDS.findall(pieces[0]))
    for size, part in zip(pieces[1::2], pieces[2::2], strict=True):
        n = int(size) if size else max_gap
        out += r"[^\w\s]*(?:\s+\S+){0," + str(n) + r"}?\s+[^\w\s]*"
        out += _JOIN.join(_word_regex(w, exact) for w in _WORDS.findall(part))
    return out


def _word_regex(word: str, exact: bool) -> str:
    alts = word[1:-1].split("|") if word.startswith("(") and word.endswith(")") else [word]
    out = [_JOIN.join(_single_word(w, exact) for w in alt.split()) for alt in alts]
    return "(?:" + "|".join(out) + ")"


def _single_word(word: str, exact: bool) -> str:
    ends_here = exact or word.endswith("$")
    word = word.rstrip("$")
    if word.startswith("ال") and len(word) > 3:
        core = _ARTICLE + _escape(word[2:])
    else:
        core = (_EXACT_PREFIX if exact else _STEM_PREFIX) + _escape(word)
    return r"(?<!\w)" + _CONJ + core + (r"(?!\w)" if ends_here else r"\w*")


def _escape(text: str) -> str:
    return re.escape(text).replace(r"\*", r"\w*")


def _clean(token: str) -> str:
    return token.strip(_STRIP)


def _window(prefix: str, size: int) -> list[str]:
    """The last `size` words before a position, stopping at a clause boundary."""
    out: list[str] = []
    for tok in reversed(prefix.split()):
        if len(out) >= size or tok.endswith(_CLAUSE_END):
            break
        word = _clean(tok)
        if word:
            out.append(word)
    out.reverse()
    return out


def _cue_in(words: Sequence[str], cues: frozenset[str], phrases: Sequence[str]) -> bool:
    for w in words:
        if w in cues or (len(w) > 2 and w[0] in "وف" and w[1:] in cues):
            return True
    if phrases:
        joined = " " + " ".join(words) + " "
        return any(" " + p + " " in joined for p in phrases)
    return False


# --------------------------------------------------------------------------- sentences


@dataclass
class _Sentence:
    field: str
    start: int
    end: int
    text: str  # original, trimmed
    norm: str
    index: int  # position in the article: title 0, body 1..n
    has_term: bool = False
    weight: float = 0.0
    # Per-article memos: a sentence's topics and countries are asked for more than once.
    topics: list[tuple[str, bool]] | None = None
    countries: dict[tuple[bool, bool], set[str]] = field(default_factory=dict)
    live_rules: set[int] | None = None  # Prefilter candidates among the topic rules
    live_places: set[int] | None = None  # Prefilter candidates among the country names


def _split(text: str, field_name: str, first_index: int) -> list[_Sentence]:
    out: list[_Sentence] = []
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
                _Sentence(field_name, s, s + len(stripped), stripped, normalize(stripped), idx)
            )
            idx += 1
    return out


# --------------------------------------------------------------------------- classifier


@dataclass
class _Topic:
    name: str
    triggers: list[FilteredPattern]
    robust: list[FilteredPattern]
    exceptions: list[FilteredPattern]
    buyer: list[FilteredPattern]


@dataclass
class _Country:
    name: str
    names: list[FilteredPattern]  # names and capitals
    institutions: list[FilteredPattern]
    adjectives: list[FilteredPattern]


@dataclass
class _Hit:
    topic: str
    start: int
    future: bool
    kind: str = "plain"


class Classifier:
    """Applies the lexicon rules. Build it once (`Classifier.load()`); `classify` is pure."""

    def __init__(self, topics: dict[str, Any], countries: dict[str, Any], amounts: dict[str, Any]):
        max_gap = int(topics.get("max_gap", 8))
        w = topics.get("weights", {})
        self.w_title = float(w.get("title", 3.0))
        self.w_lead = float(w.get("lead", 2.0))
        self.w_term = float(w.get("term", 1.0))
        self.w_neighbour = float(w.get("neighbour", 0.5))
        self.w_lead_background = float(w.get("lead_background", 0.5))
        self.threshold = float(w.get("threshold", 1.0))

        # Sentence-level rules (topics, background, denials) and country names each
        # share one prefilter, so a sentence is scanned once per family.
        self._rule_filter = Prefilter()
        self._place_filter = Prefilter()

        def rule(e: str) -> FilteredPattern:
            source = entry_regex(e, max_gap=max_gap)
            return FilteredPattern(self._rule_filter, source)

        def place(e: str) -> FilteredPattern:
            source = entry_regex(e, exact=True)
            return FilteredPattern(self._place_filter, source)

        self.topics: list[_Topic] = []
        for name in EVENT_TOPICS:
            spec = topics.get("topics", {}).get(name, {})
            self.topics.append(
                _Topic(
                    name,
                    [rule(e) for e in spec.get("triggers", [])],
                    [rule(e) for e in spec.get("robust", [])],
                    [rule(e) for e in spec.get("exceptions", [])],
                    [rule(e) for e in spec.get("buyer_triggers", [])],
                )
            )

        cues = topics.get("cues", {})

        def words(key: str) -> tuple[frozenset[str], list[str]]:
            items = [normalize(x) for x in cues.get(key, [])]
            return frozenset(x for x in items if " " not in x), [x for x in items if " " in x]

        self.neg_window = int(cues.get("negation_window", 3))
        self.negation = words("negation")
        self.passing_window = int(cues.get("passing_window", 3))
        self.passing = words("passing")
        self.preparatory = words("preparatory")
        self.conditional_window = int(cues.get("conditional_window", 3))
        self.conditional = words("conditional")
        self.neg_after_window = int(cues.get("negation_after_window", 2))
        self.neg_after = words("negation_after")
        self.descriptive_window = int(cues.get("descriptive_window", 1))
        self.descriptive = words("descriptive")
        self.future_window = int(cues.get("future_window", 4))
        self.future = words("future")
        self.background = [rule(e) for e in cues.get("background", [])]
        self.year_before = frozenset(normalize(x) for x in cues.get("background_year_before", []))
        self.demote = [rule(e) for e in cues.get("contract_to_negotiation", [])]
        self.neg_bridge = frozenset(normalize(x) for x in cues.get("negation_bridge", []))
        self.hypothetical_after = words("hypothetical_after")
        self.inquiry_window = int(cues.get("inquiry_window", 10))
        self.inquiry = words("inquiry")
        denial = topics.get("denial", {})
        self.denial_verbs = frozenset(normalize(x) for x in denial.get("verbs", []))
        self.denial_predicates = [rule(e) for e in denial.get("predicates", [])]
        self.denial_scope_end = frozenset(normalize(x) for x in denial.get("scope_end", []))
        self.denial_scope_end_phrases = [rule(e) for e in denial.get("scope_end_phrases", [])]
        self.deal_objects = [rule(e) for e in denial.get("deal_objects", [])]

        ctx = countries.get("context", {})
        self.actor_nouns = frozenset(normalize(x) for x in ctx.get("actor_nouns", []))
        self.product_nouns = frozenset(normalize(x) for x in ctx.get("product_nouns", []))
        self.location_words = frozenset(normalize(x) for x in ctx.get("location_words", []))
        self.adjective_walk = int(ctx.get("adjective_walk", 4))
        self.countries: list[_Country] = []
        self._country_aliases: dict[str, str] = {}
        for c in countries.get("country", []):
            names = [*c.get("names", []), *c.get("capitals", [])]
            adjs: list[str] = []
            for a in c.get("adjectives", []):
                a = normalize(a)
                for form in (a, a + "ه", a + "ين", a + "ون", a + "ان", a + "تين", a + "تان"):
                    adjs += [form, "ال" + form]
            adjs += [normalize(p) for p in c.get("plurals", [])]
            for alias in (c["name"], *names, *c.get("institutions", []), *adjs):
                self._country_aliases.setdefault(" ".join(normalize(alias).split()), c["name"])
            self.countries.append(
                _Country(
                    c["name"],
                    [place(n) for n in names if n.strip()],
                    [place(n) for n in c.get("institutions", [])],
                    [place(a) for a in adjs],
                )
            )
        self.source_words = frozenset(normalize(x) for x in ctx.get("source_words", []))
        self.origins: dict[str, tuple[str, frozenset[str], bool]] = {
            term: (
                spec["country"],
                frozenset(spec.get("topics", ["*"])),
                bool(spec.get("alone", False)),
            )
            for term, spec in countries.get("origins", {}).items()
        }

        self._sellers = frozenset(spec[0] for spec in self.origins.values())
        # Which country each place regex belongs to, so that a sentence only visits the
        # countries something of which occurs in it.
        self._place_owner: dict[int, int] = {
            p.id: ci
            for ci, c in enumerate(self.countries)
            for p in (*c.names, *c.institutions, *c.adjectives)
        }
        self._amounts = _AmountFinder(amounts)

    def _prefiltered(self) -> list[tuple[Prefilter, list[FilteredPattern]]]:
        """Each prefilter with the regexes registered in it (for tests of the prefilter)."""
        rules: list[FilteredPattern] = []
        for t in self.topics:
            rules += t.triggers + t.robust + t.exceptions + t.buyer
        rules += self.background + self.demote + self.denial_predicates
        rules += self.denial_scope_end_phrases + self.deal_objects
        places = [p for c in self.countries for p in c.names + c.institutions + c.adjectives]
        return [(self._rule_filter, rules), (self._place_filter, places)]

    @classmethod
    def load(cls, lexicon_dir: Path | None = None) -> Classifier:
        """Read `topics.toml`, `countries.toml` and `amounts.toml` from `lexicon_dir`."""
        d = Path(lexicon_dir) if lexicon_dir is not None else DEFAULT_LEXICON_DIR
        data = []
        for name in ("topics", "countries", "amounts"):
            with (d / f"{name}.toml").open("rb") as fh:
                data.append(tomllib.load(fh))
        return cls(*data)

    @staticmethod
    @lru_cache(maxsize=1)
    def builtin() -> Classifier:
        """The classifier of the lexicons shipped with Marsad, built once per process."""
        return Classifier.load()

    # ----------------------------------------------------------------- public

    def country_named(self, text: str) -> str | None:
        """The English short name of a country as a person writes it: its English name in any
        case, or an Arabic name, capital or adjective of the gazetteer ("تركيا", "أنقرة",
        "التركية"). None when the gazetteer knows no such country."""
        return self._country_aliases.get(" ".join(normalize(text).split()))

    def classify(self, title: str, body: str, matches: Sequence[_TermLike]) -> Classification:
        """Topics, evidence, acting countries and amounts; empty when `matches` is empty."""
        if not matches:
            return Classification()
        title = title or ""
        body = body or ""
        sentences = self._sentences(title, body, matches)

        scores: dict[str, float] = {}
        evidence: dict[str, tuple[float, int, str]] = {}
        for s in sentences:
            if s.weight <= 0:
                continue
            for topic, background in self._sentence_topics(s):
                weight = s.weight
                if background:
                    if s.field == "title":
                        pass
                    elif s.index == 1:
                        weight = min(weight, self.w_lead_background)
                    else:
                        continue
                scores[topic] = scores.get(topic, 0.0) + weight
                best = evidence.get(topic)
                if best is None or weight > best[0]:
                    evidence[topic] = (weight, s.index, s.text)

        topics = [t for t in EVENT_TOPICS if scores.get(t, 0.0) >= self.threshold]
        if not topics:
            topics = ["other"]
            term_sentences = [s for s in sentences if s.has_term]
            pick = max(term_sentences or sentences, key=lambda s: (s.weight, -s.index))
            evidence["other"] = (0.0, pick.index, pick.text)

        return Classification(
            topics=topics,
            evidence={t: evidence[t][2] for t in topics},
            countries=self._countries(sentences, matches, topics),
            amounts=self._amounts.find(title) + self._amounts.find(body),
        )

    # ----------------------------------------------------------------- sentences

    def _sentences(self, title: str, body: str, matches: Sequence[_TermLike]) -> list[_Sentence]:
        # A title spread over lines is still one headline.
        t = title.strip()
        title_s = [_Sentence("title", title.find(t), title.find(t) + len(t), t, normalize(t), 0)]
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
            s.weight = self.w_title
        for i, s in enumerate(body_s):
            w = 0.0
            if i == 0:
                w = self.w_lead
            if s.has_term:
                w = max(w, self.w_term)
            elif (i > 0 and body_s[i - 1].has_term) or (
                i + 1 < len(body_s) and body_s[i + 1].has_term
            ):
                w = max(w, self.w_neighbour)
            s.weight = w
        return title_s + body_s

    def _sentence_topics(self, s: _Sentence) -> list[tuple[str, bool]]:
        """The topics one sentence supports, each with whether it reads as background."""
        if s.topics is None:
            s.topics = self._sentence_topics_uncached(s)
        return s.topics

    def _live(self, s: _Sentence, pats: list[FilteredPattern]) -> list[re.Pattern[str]]:
        """The rules of `pats` that can match in `s` (the others have no match there)."""
        if s.live_rules is None:
            s.live_rules = self._rule_filter.candidates(s.norm)
        live = s.live_rules
        return [p.regex for p in pats if p.id in live]

    def _sentence_topics_uncached(self, s: _Sentence) -> list[tuple[str, bool]]:
        text = s.norm
        background_cue = any(
            p.search(text) for p in self._live(s, self.background)
        ) or self._year_background(text)
        hits: list[_Hit] = []
        buyer_acts: bool | None = None
        for topic in self.topics:
            idioms = [
                (x.start(), x.end())
                for p in self._live(s, topic.exceptions)
                for x in p.finditer(text)
            ]
            kinds = (
                [(p, "plain") for p in self._live(s, topic.triggers)]
                + [(p, "robust") for p in self._live(s, topic.robust)]
                + [(p, "buyer") for p in self._live(s, topic.buyer)]
            )
            for pat, kind in kinds:
                for m in pat.finditer(text):
                    hit = self._hit(topic.name, kind, text, m, idioms)
                    if hit is None:
                        continue
                    if kind == "buyer":
                        if buyer_acts is None:
                            buyer_acts = bool(self._sentence_countries(s) - self._sellers)
                        if not buyer_acts:
                            continue
                    hits.append(hit)
        hits = self._apply_denials(s, hits)
        if not hits:
            return []
        names = {h.topic for h in hits}
        if "contract" in names and any(p.search(text) for p in self._live(s, self.demote)):
            hits = [
                _Hit("negotiation", h.start, h.future) if h.topic == "contract" else h for h in hits
            ]
            names = {h.topic for h in hits}
        if "contract" in names:
            hits = [h for h in hits if not (h.topic == "delivery" and h.future)]
        out: dict[str, bool] = {}
        for h in hits:
            background = background_cue and not h.future
            out[h.topic] = out.get(h.topic, True) and background
        return [(t, out[t]) for t in EVENT_TOPICS if t in out]

    def _apply_denials(self, s: _Sentence, hits: list[_Hit]) -> list[_Hit]:
        """Rewrite the hits that sit inside a denial ("نفى صحة تقارير عن توقيع عقد").

        A denial reaches further than a negation particle: everything it governs up
        to the next turn of the sentence ("مؤكداً", "لكن") is denied. A denied
        deal, purchase or talk is a negotiation item (the denial is the news); a
        denied shipment did not happen. Sanctions and robust triggers (a denied
        delay is still a delivery story) are left alone.
        """
        text = s.norm
        spans = self._denial_spans(s)
        if not spans:
            return hits

        def inside(pos: int) -> bool:
            return any(a <= pos < b for a, b in spans)

        out: list[_Hit] = []
        for h in hits:
            if not inside(h.start) or h.topic in ("negotiation", "sanction"):
                out.append(h)
            elif h.topic == "contract":
                out.append(_Hit("negotiation", h.start, False, h.kind))
            elif h.kind == "robust":
                out.append(h)
        for p in self._live(s, self.deal_objects):
            for m in p.finditer(text):
                if inside(m.start()):
                    out.append(_Hit("negotiation", m.start(), False, "denial"))
                    break
        return out

    def _denial_spans(self, s: _Sentence) -> list[tuple[int, int]]:
        """Stretches of a normalized sentence that a denial governs."""
        text = s.norm
        tokens = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
        ends = [
            a
            for p in self._live(s, self.denial_scope_end_phrases)
            for a in (x.start() for x in p.finditer(text))
        ]
        for a, _, tok in tokens:
            w = _clean(tok)
            if w in self.denial_scope_end or (
                len(w) > 2 and w[0] in "وف" and w[1:] in self.denial_scope_end
            ):
                ends.append(a)
        ends.sort()
        spans: list[tuple[int, int]] = []
        for a, b, tok in tokens:
            w = _clean(tok)
            base = w[1:] if len(w) > 2 and w[0] in "وف" else w
            if w in self.denial_verbs or base in self.denial_verbs:
                stop = next((e for e in ends if e > a), len(text))
                spans.append((b, stop))
        for p in self._live(s, self.denial_predicates):
            for m in p.finditer(text):
                start = max((e for e in ends if e < m.start()), default=0)
                spans.append((start, m.start()))
        return spans

    def _hit(
        self, topic: str, kind: str, text: str, m: re.Match[str], idioms: list[tuple[int, int]]
    ) -> _Hit | None:
        """One trigger occurrence, or None when its context says it did not happen."""
        if any(a <= m.start() < b for a, b in idioms):
            return None
        prefix = text[: m.start()]
        if _cue_in(_window(prefix, self.descriptive_window), *self.descriptive):
            return None
        if _cue_in(_window(prefix, self.passing_window), *self.passing):
            return None
        if topic != "negotiation" and _cue_in(
            _window(prefix, self.passing_window), *self.preparatory
        ):
            return None
        after = [_clean(w) for w in text[m.end() :].split()[: self.neg_after_window]]
        if topic in ("contract", "delivery"):
            if _cue_in(_window(prefix, self.conditional_window), *self.conditional):
                return None
            # "استفسارات حول مواعيد التسليم المحتملة": a question about a delivery
            # or a deal is a step in the talks, not the event.
            if _cue_in(_window(prefix, self.inquiry_window), *self.inquiry) or (
                kind != "robust" and _cue_in(after, *self.hypothetical_after)
            ):
                return _Hit("negotiation", m.start(), False, kind)
        if kind != "robust" and (self._negated(prefix) or _cue_in(after, *self.neg_after)):
            # "لم يتم توقيع أي عقد" denies a deal: that is a negotiation item.
            if topic == "contract":
                return _Hit("negotiation", m.start(), False, kind)
            return None
        return _Hit(topic, m.start(), self._future(prefix), kind)

    def _negated(self, prefix: str) -> bool:
        """A negation cue within `neg_window` words, not counting the words that only
        carry the negated verb to its object ("لم يجر الانتقال إلى مرحلة العقد")."""
        words: list[str] = []
        counted = 0
        for tok in reversed(prefix.split()):
            if tok.endswith(_CLAUSE_END):
                break
            w = _clean(tok)
            if not w:
                continue
            words.append(w)
            if w not in self.neg_bridge:
                counted += 1
            if counted >= self.neg_window:
                break
        return _cue_in(words, *self.negation)

    def _future(self, prefix: str) -> bool:
        words = _window(prefix, self.future_window)
        single, phrases = self.future
        for w in words:
            base = w[1:] if len(w) > 2 and w[0] in "وف" else w
            if base == "قد":
                # "قد" + verb is "may" unless a preceding كان makes it "had already".
                if not any(x.lstrip("وف").startswith("كان") for x in prefix.split()):
                    return True
                continue
            if w in single or base in single:
                return True
        joined = " " + " ".join(words) + " "
        return any(" " + p + " " in joined for p in phrases)

    def _year_background(self, text: str) -> bool:
        for m in _YEAR.finditer(text):
            before = text[: m.start()].split()
            if before and _clean(before[-1]).lstrip("وفب") in self.year_before:
                return True
            if before and _clean(before[-1]) in self.year_before:
                return True
        return False

    # ----------------------------------------------------------------- countries

    def _countries(
        self, sentences: list[_Sentence], matches: Sequence[_TermLike], topics: list[str]
    ) -> list[str]:
        # In a story only about sanctions the seller is named as the origin of what
        # was bought ("بسبب شرائها المنظومة من روسيا"); that does not make it act.
        origin_only = topics == ["sanction"]
        chosen = set(topics)
        found: set[str] = set()
        for s in sentences:
            if s.field == "title" or s.index == 1 or s.has_term:
                found |= self._sentence_countries(s, origin_only=origin_only)
            elif s.weight > 0 and chosen & {t for t, _ in self._sentence_topics(s)}:
                # A further sentence that speaks for a topic names who acts in it
                # ("وذكرت وزارة الدفاع التركية أن الشحنات ستتواصل"), but only
                # through an actor phrase: a bare name there is as often an object
                # ("العدوان على أوكرانيا").
                found |= self._sentence_countries(s, origin_only=origin_only, names=False)
        alone = not found
        for m in matches:
            origin = self.origins.get(m.term)
            if not origin:
                continue
            if "*" in origin[1] or origin[1] & chosen:
                found.add(origin[0])
            elif origin[2] and alone and self._mentioned(origin[0], sentences):
                # An exercise or deployment of the system with no other actor is
                # the seller's own; a piece that never names the seller (a
                # capability explainer) has no actor at all.
                found.add(origin[0])
        return sorted(found)

    def _mentioned(self, name: str, sentences: list[_Sentence]) -> bool:
        country = next((c for c in self.countries if c.name == name), None)
        if country is None:
            return True
        pats = country.names + country.institutions + country.adjectives
        return any(p.search(s.norm) for s in sentences for p in self._live_places(s, pats))

    def _live_places(self, s: _Sentence, pats: list[FilteredPattern]) -> list[re.Pattern[str]]:
        """The country regexes of `pats` that can match in `s`."""
        if s.live_places is None:
            s.live_places = self._place_filter.candidates(s.norm)
        live = s.live_places
        return [p.regex for p in pats if p.id in live]

    def _sentence_countries(
        self, s: _Sentence, *, origin_only: bool = False, names: bool = True
    ) -> set[str]:
        """States acting in one sentence (see `countries.toml`); the caller may not modify it."""
        key = (origin_only, names)
        found = s.countries.get(key)
        if found is None:
            found = s.countries[key] = self._sentence_countries_uncached(s, origin_only, names)
        return found

    def _sentence_countries_uncached(
        self, s: _Sentence, origin_only: bool, names: bool
    ) -> set[str]:
        text = s.norm
        if s.live_places is None:
            s.live_places = self._place_filter.candidates(text)
        owners = {self._place_owner[pid] for pid in s.live_places}
        found: set[str] = set()
        for ci in sorted(owners):
            c = self.countries[ci]
            skip_source = origin_only and c.name in self._sellers
            if (
                any(p.search(text) for p in self._live_places(s, c.institutions))
                or any(
                    names
                    and not self._is_location(text[: m.start()])
                    and not (skip_source and self._is_source(text[: m.start()]))
                    for p in self._live_places(s, c.names)
                    for m in p.finditer(text)
                )
                or any(
                    self._is_actor_adjective(text[: m.start()])
                    for p in self._live_places(s, c.adjectives)
                    for m in p.finditer(text)
                )
            ):
                found.add(c.name)
        return found

    def _is_source(self, prefix: str) -> bool:
        words = prefix.split()
        return bool(words) and _clean(words[-1]) in self.source_words

    def _is_location(self, prefix: str) -> bool:
        words = [_clean(w) for w in prefix.split()[-2:]]
        return any(w in self.location_words or w.lstrip("وف") in self.location_words for w in words)

    def _is_actor_adjective(self, prefix: str) -> bool:
        for tok in reversed(prefix.split()[-self.adjective_walk :]):
            if tok.endswith(_CLAUSE_END):
                return False
            w = _clean(tok)
            base = w[1:] if len(w) > 2 and w[0] in "وف" else w
            if w in self.product_nouns or base in self.product_nouns:
                return False
            if w in self.actor_nouns or base in self.actor_nouns:
                return True
        return False


# --------------------------------------------------------------------------- amounts


class _AmountFinder:
    """Money amounts: a figure (digits or number words), a magnitude, and a currency."""

    def __init__(self, spec: dict[str, Any]):
        self.currencies = {normalize(k): v or None for k, v in spec.get("currencies", {}).items()}
        self.magnitudes = {normalize(k): float(v) for k, v in spec.get("magnitudes", {}).items()}
        self.numbers = {normalize(k): float(v) for k, v in spec.get("numbers", {}).items()}
        self.value_words = frozenset(
            normalize(x) for x in spec.get("context", {}).get("value_words", [])
        )

        def alt(words: Sequence[str]) -> str:
            return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

        digits = r"\d+(?:[.,٫٬]\d+)*"
        number = rf"(?P<num>{digits}|(?<!\w)(?:{alt(self.numbers)})(?!\w))"
        magnitude = rf"(?:\s*(?P<mag>(?<!\w)(?:[وب]?)(?:{alt(self.magnitudes)})(?!\w)))"
        currency = (
            rf"(?:\s*(?:من\s+)?(?P<cur>(?<!\w)(?:ب?ال|[ب])?(?:{alt(self.currencies)})(?!\w)|[$€]))"
        )
        self.pattern = re.compile(rf"(?:[$€]\s*)?{number}{magnitude}?{currency}?")
        # A lone magnitude with a currency ("مليار دولار") means one of it.
        self.bare = re.compile(rf"(?P<mag>(?<!\w)(?:{alt(self.magnitudes)})(?!\w)){currency}")

    def find(self, text: str) -> list[dict[str, Any]]:
        if not text:
            return []
        norm, mapping = normalize_with_map_shared(text)
        found: list[tuple[int, dict[str, Any]]] = []
        taken: list[tuple[int, int]] = []
        for m in self.pattern.finditer(norm):
            if not (m.group("mag") or m.group("cur")):
                continue
            num = m.group("num")
            if num in self.numbers and not m.group("mag"):
                continue  # "خمسة دولارات" is too small to matter and too easy to misread
            if not m.group("cur"):
                before = norm[: m.start()].split()[-2:]
                if not any(
                    _clean(w).lstrip("وب") in self.value_words or _clean(w) in self.value_words
                    for w in before
                ):
                    continue
            value = self._value(num, m.group("mag"))
            if value is None:
                continue
            start, end = m.start(), m.end()
            if norm[start] in "$€" and not m.group("cur"):
                cur = "USD" if norm[start] == "$" else "EUR"
            else:
                cur = self._currency(m.group("cur")) if m.group("cur") else None
            found.append((start, self._item(text, mapping, start, end, value, cur)))
            taken.append((start, end))
        for m in self.bare.finditer(norm):
            if any(a <= m.start() < b for a, b in taken):
                continue
            value = self._value(None, m.group("mag"))
            if value is None:
                continue
            cur = self._currency(m.group("cur"))
            found.append((m.start(), self._item(text, mapping, m.start(), m.end(), value, cur)))
        found.sort(key=lambda x: x[0])
        out: list[dict[str, Any]] = []
        seen: set[tuple[float, str | None]] = set()
        for _, item in found:
            key = (item["value"], item["currency"])
            if key not in seen:
                seen.add(key)
                out.append(item)
        return out

    @staticmethod
    def _item(
        text: str, mapping: Sequence[int], start: int, end: int, value: float, cur: str | None
    ) -> dict[str, Any]:
        a = mapping[start]
        b = mapping[end - 1] + 1
        return {"text": text[a:b], "value": value, "currency": cur}

    def _value(self, num: str | None, mag: str | None) -> float | None:
        if num is None:
            base = 1.0
        elif num in self.numbers:
            base = self.numbers[num]
        else:
            n = num.replace("٬", ",").replace("٫", ".")
            if re.fullmatch(r"\d{1,3}(?:,\d{3})+", n):
                n = n.replace(",", "")  # thousands separators
            else:
                n = n.replace(",", ".")  # a decimal comma
            try:
                base = float(n)
            except ValueError:
                return None
        if mag:
            if mag not in self.magnitudes:
                mag = mag[1:]  # a joined و or ب
            factor = self.magnitudes.get(mag)
            if factor is None:
                return None
            if num is not None and factor in (2e3, 2e6, 2e9):
                # A dual carries its 2 ("ملياري دولار"); with a figure before it
                # the figure counts, not the dual.
                factor /= 2
            base *= factor
        return base

    def _currency(self, cur: str) -> str | None:
        if cur in ("$", "€"):
            return "USD" if cur == "$" else "EUR"
        for prefix in ("بال", "ال", "ب", ""):
            if cur.startswith(prefix) and cur[len(prefix) :] in self.currencies:
                return self.currencies[cur[len(prefix) :]]
        return self.currencies.get(cur)
