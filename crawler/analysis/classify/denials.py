"""How far a denial reaches: "نفى مصدر صحة تقارير تحدثت عن توقيع عقد" denies the signing.

A denial verb governs what follows it, up to a word that turns the sentence to what the speaker
affirms ("مؤكداً", "لكن"); a denial predicate ("عارية عن الصحة") governs what precedes it, back
to such a word or the start of the sentence. Read from `[denial]` of `topics.toml`; what a
denied hit becomes is the topic rules' business.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from crawler.analysis.classify.lexicon import Denial
from crawler.analysis.classify.patterns import folded, unjoined
from crawler.analysis.classify.sentences import Sentence
from crawler.analysis.prefilter import FilteredPattern

Live = Callable[[Sentence, list[FilteredPattern]], list[re.Pattern[str]]]


class Denials:
    """The denial words, compiled once; `rules` registers regex entries in the caller's
    prefilter, and `live` picks those that can match in a sentence."""

    def __init__(
        self, denial: Denial, rules: Callable[[tuple[str, ...]], list[FilteredPattern]]
    ) -> None:
        self.verbs = folded(denial.verbs)
        self.predicates = rules(denial.predicates)
        self.scope_end = folded(denial.scope_end)
        self.scope_end_phrases = rules(denial.scope_end_phrases)
        self.deal_objects = rules(denial.deal_objects)

    def spans(self, s: Sentence, live: Live) -> list[tuple[int, int]]:
        """Stretches of a normalized sentence that a denial governs."""
        text = s.norm
        # (start, end, word, word without a joined conjunction) of every token
        tokens = [(a, b, w, unjoined(w)) for a, b, w in s.tokens()]
        ends = [
            a
            for p in live(s, self.scope_end_phrases)
            for a in (x.start() for x in p.finditer(text))
        ]
        for a, _, w, base in tokens:
            if w in self.scope_end or base in self.scope_end:
                ends.append(a)
        ends.sort()
        spans: list[tuple[int, int]] = []
        for a, b, w, base in tokens:
            if w in self.verbs or base in self.verbs:
                stop = next((e for e in ends if e > a), len(text))
                spans.append((b, stop))
        for p in live(s, self.predicates):
            for m in p.finditer(text):
                start = max((e for e in ends if e < m.start()), default=0)
                spans.append((start, m.start()))
        return spans
