"""Lexicon entries as regexes, and the tests on the words before a trigger that the rules share.

Everything here works on text folded by :func:`crawler.text.arabic.normalize`; entries and cue
words are folded the same way. The entry syntax is described at the top of `topics.toml`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import NamedTuple, TypeVar

from crawler.text.arabic import normalize
from crawler.text.stemming import WordStems

# Proclitics that may stand before a lexicon word: a conjunction (و ف), then a
# preposition or the future prefix (ب ل ك س), or the article in its joined forms.
_CONJ = "(?:[وف])?"
_ARTICLE = "(?:[بك]?ال|لل)"
_STEM_PREFIX = "(?:[بك]?ال|لل|[بلكس])?"
_EXACT_PREFIX = "(?:[بلك])?"
# Between two words of one entry: punctuation may cling to either word.
_JOIN = r"[^\w\s]*\s+[^\w\s]*"
_WORDS = re.compile(r"\([^)]*\)\S*|\S+")
_GAP = re.compile(r" \.\.(\d*) ")
# A token ending in one of these closes the clause: cue words beyond it do not reach.
CLAUSE_END = ("،", ",", "؛", ";", ":", ".", "!", "?", "؟")
_STRIP = "\"'()[]{}«»<>،,؛;:.!?؟-"


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
    if not ends_here and word.endswith("اء"):
        # Before a pronoun the final hamza sits on ي or و, which folding keeps as those
        # letters: "لشرائها", "اقتنائها", "شراؤها" are forms of "شراء", "اقتناء".
        core = core[: -len("ء")] + r"(?:ء|[يو](?=\w))"
    return r"(?<!\w)" + _CONJ + core + (r"(?!\w)" if ends_here else r"\w*")


def _escape(text: str) -> str:
    return re.escape(text).replace(r"\*", r"\w*")


# --------------------------------------------------------------------------- words


def clean(token: str) -> str:
    """A token without the punctuation and quotes around it."""
    return token.strip(_STRIP)


def unjoined(word: str) -> str:
    """`word` without a conjunction (و ف) joined to its front."""
    return word[1:] if len(word) > 2 and word[0] in "وف" else word


def folded(words: Iterable[str]) -> frozenset[str]:
    return frozenset(normalize(w) for w in words)


def window(prefix: str, size: int) -> list[str]:
    """The last `size` words before a position, stopping at a clause boundary."""
    out: list[str] = []
    for tok in reversed(prefix.split()):
        if len(out) >= size or tok.endswith(CLAUSE_END):
            break
        word = clean(tok)
        if word:
            out.append(word)
    out.reverse()
    return out


class CueWords(NamedTuple):
    """A list of cue words of the lexicon, folded: single words and phrases apart."""

    words: frozenset[str]
    phrases: tuple[str, ...]

    @classmethod
    def of(cls, items: Iterable[str]) -> CueWords:
        norm = [normalize(x) for x in items]
        return cls(frozenset(x for x in norm if " " not in x), tuple(x for x in norm if " " in x))

    def among(self, words: Sequence[str]) -> bool:
        """Whether one of the cleaned `words` is a cue, or they hold a cue phrase in this order."""
        if any(w in self.words or unjoined(w) in self.words for w in words):
            return True
        if self.phrases:
            joined = " " + " ".join(words) + " "
            return any(" " + p + " " in joined for p in self.phrases)
        return False


# --------------------------------------------------------------------------- stems

T = TypeVar("T")

# One proclitic the stemmer may leave on a word: tried off when the stem is no cue.
PROCLITICS = "وفبلكس"
# Present-tense prefixes: a cue's present form, written with ي, covers the others. (A
# leading ت is no sign of the present: تسلم is also a past form.)
_PRESENT = "يتن"


class Stems(WordStems):
    """The shared stems (`crawler.text.stemming`), with the lexicon's look-ups on them."""

    def forms(self, form: str) -> set[str]:
        """The stems of one base form written in a lexicon, and of its present-tense siblings
        (the present "يتسلم" also stands for تتسلم and نتسلم)."""
        words = [normalize(w) for w in form.split()]
        if len(words) != 1:
            raise ValueError(f"a cue form is one word: {form!r}")
        word = words[0]
        variants = {word}
        if len(word) > 3 and word[0] == "ي":
            variants |= {p + word[1:] for p in _PRESENT}
        return {self(v) for v in variants}

    def lookup(self, word: str, table: Mapping[str, T]) -> T | None:
        """`table`'s entry for the stem of `word`, retried once without one proclitic."""
        got = table.get(self(word))
        if got is None and len(word) > 3 and word[0] in PROCLITICS:
            got = table.get(self(word[1:]))
        return got

    def among(self, word: str, stems: AbstractSet[str]) -> bool:
        """Whether the stem of `word` is one of `stems`, retried once without one proclitic."""
        if self(word) in stems:
            return True
        return len(word) > 3 and word[0] in PROCLITICS and self(word[1:]) in stems
