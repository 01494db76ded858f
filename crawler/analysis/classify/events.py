"""The event cues of `topics.toml` (`[[cue]]`), compiled to stems: which cues a word carries,
and whether the words around it let it stand as an event.

One entry covers a word's conjugations, clitics and plurals ("تلقت", "ستستلم", "بالتوريد"),
since entries and text meet as Snowball stems (`crawler.text.stemming`).
"""

from __future__ import annotations

from dataclasses import dataclass

from crawler.analysis.classify.lexicon import EventCue
from crawler.analysis.classify.patterns import CLAUSE_END, Stems

Token = tuple[int, int, str]
_COMMAS = frozenset("،,")
# The clause ends that end more than a clause: an object after them is another sentence's.
_SENTENCE_END = frozenset(CLAUSE_END) - _COMMAS


@dataclass(frozen=True)
class Cue:
    """An `EventCue` compiled: its context words as stems."""

    topic: str
    negative: bool
    needs: frozenset[str]
    not_after: frozenset[str]
    reach: int
    unless: frozenset[str] = frozenset()
    not_right_after: frozenset[str] = frozenset()
    after_aside: bool = False


class CueBook:
    """The lexicon's event cues by stem. Build once; lookups are memoised per word."""

    def __init__(self, cues: tuple[EventCue, ...], stems: Stems) -> None:
        self.stems = stems
        self.by_stem: dict[str, list[Cue]] = {}
        for cue in cues:
            compiled = self._compile(cue)
            for form in cue.forms:
                for stem in stems.forms(form):
                    self.by_stem.setdefault(stem, []).append(compiled)
        self._of_word: dict[str, list[Cue]] = {}

    def _compile(self, cue: EventCue) -> Cue:
        def stems(forms: tuple[str, ...]) -> frozenset[str]:
            return frozenset(s for f in forms for s in self.stems.forms(f))

        return Cue(
            cue.topic,
            cue.polarity == "negative",
            stems(cue.needs),
            stems(cue.not_after),
            cue.reach,
            stems(cue.unless),
            stems(cue.not_right_after),
            cue.after_aside,
        )

    def of(self, word: str) -> list[Cue]:
        """The cues a word carries (none for most words)."""
        got = self._of_word.get(word)
        if got is None:
            got = self._of_word[word] = self.stems.lookup(word, self.by_stem) or []
        return got

    def is_cue_stem(self, word: str) -> bool:
        return self.stems(word) in self.by_stem

    def needed(self, cue: Cue, after: list[Token]) -> bool:
        """Whether a word `cue` needs follows it, with no `unless` word before that one
        ("وصل وزير الدفاع ... لبحث تسليم المنظومة": a person arrived)."""
        for _, _, w in after:
            if not w:
                continue
            if self.stems.among(w, cue.needs):
                return True
            if cue.unless and self.stems.among(w, cue.unless):
                return False
        return False

    def needed_after_aside(self, cue: Cue, text: str, tokens: list[Token], i: int) -> bool:
        """Whether a word `cue` needs opens a later clause of the sentence, within `reach`
        words of its comma: the object a verb's subject and asides stand before ("أبرمت
        الحكومة التركية، بعد مفاوضات شاقة ...، ورغم التحفظات ...، عقدا مع الجانب الروسي")."""
        for k in range(i + 1, len(tokens) - 1):
            a, b, _ = tokens[k]
            ending = text[a:b][-1:]
            if ending in _SENTENCE_END:
                return False
            if ending in _COMMAS and self.needed(cue, tokens[k + 1 : k + 1 + cue.reach]):
                return True
        return False

    def governed(self, text: str, tokens: list[Token], i: int, cue: Cue) -> bool:
        """Whether a `not_after` word stands in the `reach` words before token `i`, within
        its clause ("عقدا مع روسيا لتوريد": the supply is the contract's content)."""
        if not cue.not_after:
            return False
        for k in range(i - 1, max(-1, i - 1 - cue.reach), -1):
            a, b, w = tokens[k]
            if text[a:b].endswith(CLAUSE_END):
                break
            if self.stems.among(w, cue.not_after):
                return True
        return False
