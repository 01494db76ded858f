"""The classifier: topics with their evidence, acting countries and amounts of one article.

Each sentence adds its weight (see `sentences`) to the topics it supports (see `topics`); a
topic needs the threshold from `topics.toml`, and "other" is given when nothing else is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from crawler.analysis.classify.amounts import AmountFinder
from crawler.analysis.classify.countries import Country, Gazetteer
from crawler.analysis.classify.lexicon import Lexicon
from crawler.analysis.classify.sentences import TermLike, article_sentences
from crawler.analysis.classify.topics import TopicRules
from crawler.analysis.prefilter import FilteredPattern, Prefilter
from crawler.vocab import EVENT_TOPICS, Topic


@dataclass
class Classification:
    topics: list[str] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)
    countries: list[str] = field(default_factory=list)
    amounts: list[dict[str, Any]] = field(default_factory=list)


class Classifier:
    """Applies the lexicon rules. Build it once (`Classifier.load()`); `classify` is pure."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.weights = lexicon.topics.weights
        self.sellers = frozenset(lexicon.topics.sellers)
        self.gazetteer = Gazetteer(lexicon.countries)
        self.rules = TopicRules(lexicon.topics, self.gazetteer)
        self.amounts = AmountFinder(lexicon.amounts)

    @classmethod
    def load(cls, lexicon_dir: Path | None = None) -> Classifier:
        """Read `topics.toml`, `countries.toml` and `amounts.toml` from `lexicon_dir`."""
        return cls(Lexicon.load(lexicon_dir))

    @staticmethod
    @lru_cache(maxsize=1)
    def builtin() -> Classifier:
        """The classifier of the lexicons shipped with Marsad, built once per process."""
        return Classifier.load()

    @property
    def countries(self) -> list[Country]:
        """The gazetteer's countries, in its order."""
        return self.gazetteer.countries

    def country_named(self, text: str) -> str | None:
        """The English short name of a country as a person writes it: its English name in any
        case, or an Arabic name, capital or adjective of the gazetteer ("تركيا", "أنقرة",
        "التركية"). None when the gazetteer knows no such country."""
        return self.gazetteer.country_named(text)

    def classify(self, title: str, body: str, matches: Sequence[TermLike]) -> Classification:
        """Topics, evidence, acting countries and amounts; empty when `matches` is empty."""
        if not matches:
            return Classification()
        title = title or ""
        body = body or ""
        sentences = article_sentences(
            title,
            body,
            matches,
            self.weights,
            self.rules.refers,
            self.rules.continuation,
            self.rules.new_speakers,
        )
        if any(m.term in self.sellers for m in matches):
            for s in sentences:
                s.seller_article = True

        scores: dict[str, float] = {}
        # The analyst reads the evidence to learn what happened: a body sentence that
        # states the development says more than the headline, which is used only when
        # no body sentence does.
        evidence: dict[str, tuple[tuple[bool, float], int, str]] = {}
        recap: set[str] = set()  # topics the lead tells only as background
        law_named = False
        for i, s in enumerate(sentences):
            # "حذرت السفارة من عقوبات بموجب قانون كاتسا": the law names whose sanctions
            # these are, without the system named again.
            s.law_sanction = not s.furniture and self.rules.sanction_under_law(s, law_named)
            law_named = law_named or self.rules.names_law(s)
            if s.weight <= 0 and not s.law_sanction:
                continue
            for topic, background in self.rules.sentence_topics(s):
                if not background and self._recap_goes_on(sentences, i, topic):
                    background = True
                weight = s.weight
                if topic == Topic.SANCTION and s.refers_back and not self.rules.points_back(s):
                    weight = min(weight, self.weights.reference_sanction)
                if topic == Topic.SANCTION and s.law_sanction:
                    weight = max(weight, self.weights.sanction_law)
                if weight <= 0:
                    continue
                if background:
                    if s.field == "title":
                        pass
                    elif s.lead:
                        weight = min(weight, self.weights.lead_background)
                        recap.add(topic)
                    else:
                        continue
                scores[topic] = scores.get(topic, 0.0) + weight
                rank = (s.field == "body", weight)
                best = evidence.get(topic)
                if best is None or rank > best[0]:
                    evidence[topic] = (rank, s.index, s.text)

        topics: list[str] = [
            t for t in EVENT_TOPICS if scores.get(t, 0.0) >= self.weights.threshold
        ]
        if not topics and recap:
            # The story opens with a past development and tells of nothing newer: that
            # development is its news ("وقعت الهند في أكتوبر 2018 عقداً ...").
            topics = [t for t in EVENT_TOPICS if t in recap]
        if not topics:
            topics = [Topic.OTHER]
            term_sentences = [s for s in sentences if s.has_term and not s.furniture]
            pick = max(
                term_sentences or [s for s in sentences if not s.furniture] or sentences,
                key=lambda s: (s.weight, -s.index),
            )
            evidence[Topic.OTHER] = ((True, 0.0), pick.index, pick.text)

        return Classification(
            topics=topics,
            evidence={t: evidence[t][2] for t in topics},
            countries=self.gazetteer.acting(
                sentences, matches, topics, self.rules.sentence_topics, self.rules.opens_recap
            ),
            amounts=self.amounts.find(title) + self.amounts.find(body),
        )

    def _recap_goes_on(self, sentences: Sequence[Any], i: int, topic: str) -> bool:
        """Whether body sentence `i` goes on with the recap of `topic` the sentence before it
        tells ("ووقعت الهند في 2018 عقدا ... وجرى إبرام الصفقة خلال زيارة بوتين"), unless it
        marks its own time as now or tells what is still to come; a recap runs on from
        sentence to sentence as long as each goes on with it."""
        s = sentences[i]
        if s.field != "body" or s.lead or i == 0:
            return False
        before = sentences[i - 1]
        # (A lead read as background may only quote the news's backdrop: "وقعت الهند صفقة،
        # وهي صفقة كانت واشنطن قد حذرت من إبرامها".)
        if before.field != "body" or before.furniture or before.lead or before.weight <= 0:
            return False
        told = (topic, True) in self.rules.sentence_topics(before) or topic in before.recalled
        # A schedule after a recap is news ("ومن المقرر أن تتسلم الهند الدفعة الأخيرة").
        if told and topic not in s.ahead and not self.rules.marks_now(s):
            s.recalled.add(topic)
            return True
        return False

    def _prefiltered(self) -> list[tuple[Prefilter, list[FilteredPattern]]]:
        """Each prefilter with the regexes registered in it (for tests of the prefilter)."""
        return [
            (self.rules.filter, self.rules.patterns()),
            (self.gazetteer.filter, self.gazetteer.patterns()),
        ]
