"""When, and whether: what the words before a trigger say about its time and polarity.

A negation within a few words (not counting the words that only carry the negated verb to
its object), a future cue or a verb with the future prefix, and a year introduced as a date
past. Read from the `[cues]` of `topics.toml`.
"""

from __future__ import annotations

import re

from crawler.analysis.classify.lexicon import Cues
from crawler.analysis.classify.patterns import CLAUSE_END, CueWords, clean, folded, unjoined, window
from crawler.text.arabic import normalize

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# Before a year, these make it a date ahead, not a date past.
_TOWARD = frozenset({"الي", "حتي", "بحلول", "لغايه"})


# Pronouns joined to a verb's end ("تسلمتها", "نقلته"): off before the verb's own ending is read.
_OBJECT_SUFFIXES = ("هما", "هم", "ها", "ه", "نا")


def _present(verb: str) -> bool:
    """Whether a verb after "قد" is in the present (imperfect): "يطلب", "نوقع", "تتم", "تصل";
    not "وقعت", "تسلمتها", "نشرت", "تم"."""
    for suffix in _OBJECT_SUFFIXES:
        if verb.endswith(suffix) and len(verb) - len(suffix) >= 3:
            verb = verb[: -len(suffix)]
            break
    if verb.endswith("ت") or len(verb) < 3:
        return False  # past, with its person ending ("وقعت", "نقلت"), or "تم"
    return verb.startswith(("ي", "ن", "ت"))


class Tense:
    """The time and polarity cues of the lexicon, folded once."""

    def __init__(self, cues: Cues) -> None:
        self.neg_window = cues.negation_window
        self.negation = CueWords.of(cues.negation)
        self.neg_bridge = folded(cues.negation_bridge)
        self.future_window = cues.future_window
        self.future_cues = CueWords.of(cues.future)
        self.year_before = folded(cues.background_year_before)
        self.future_prefix_not = tuple(normalize(w) for w in cues.future_prefix_not)

    def negated(self, prefix: str) -> bool:
        """A negation cue within `neg_window` words, not counting the words that only
        carry the negated verb to its object ("لم يجر الانتقال إلى مرحلة العقد")."""
        words: list[str] = []
        counted = 0
        for tok in reversed(prefix.split()):
            if tok.endswith(CLAUSE_END):
                break
            w = clean(tok)
            if not w:
                continue
            words.append(w)
            if w not in self.neg_bridge:
                counted += 1
            if counted >= self.neg_window:
                break
        return self.negation.among(words)

    def future(self, prefix: str, trigger: str = "") -> bool:
        """Whether the words before a trigger put it ahead: a future word, "قد" + a present
        verb, or a verb with the future prefix joined to it. `trigger` is the text the
        trigger matched, which may be the verb after "قد"."""
        # A trigger that names its subject first carries the verb inside it ("الفوجان
        # المتبقيان ... سيصلان إلى نيودلهي").
        if any(self._future_verb(unjoined(clean(w))) for w in trigger.split()[1:]):
            return True
        words = window(prefix, self.future_window)
        for i, w in enumerate(words):
            base = unjoined(w)
            if self._future_verb(base):
                return True
            if base == "قد":
                # "قد" + a present verb is "may"; + a past verb ("قد وقعت", "قد تم") it is
                # "has already", and so is any "قد" after كان ("كانت أنقرة قد تسلمت").
                # (past "لا"/"لن": "قد لا يتم" is as much ahead as "قد يتم")
                rest = [x for x in words[i + 1 :] if x not in ("لا", "لن")]
                after = rest[0] if rest else clean(trigger.split()[0] if trigger.split() else "")
                if _present(after) and not any(
                    x.lstrip("وف").startswith("كان") for x in prefix.split()
                ):
                    return True
                continue
            if w in self.future_cues.words or base in self.future_cues.words:
                return True
        joined = " " + " ".join(words) + " "
        return any(" " + p + " " in joined for p in self.future_cues.phrases)

    def _future_verb(self, word: str) -> bool:
        """A present verb with the future prefix joined to it ("سيتأخر", "ستستمر", "سنوقع")."""
        return (
            len(word) >= 5
            and word[0] == "س"
            and word[1] in "يتن"
            and not word.startswith(self.future_prefix_not)
        )

    def year_background(self, text: str) -> bool:
        """Whether a year introduced as a date past ("في ديسمبر 2017", "عام 2014") dates the
        sentence."""
        for m in _YEAR.finditer(text):
            before = text[: m.start()].split()
            # "سيتأخر إلى عام 2026", "بحلول 2025", "على أن تبدأ عمليات التسليم عام 2027": a
            # date its clause puts ahead is a schedule.
            # ("قد" is no sign of it: "وقد وقعت الهند عام 2018" dates a past signing.)
            clause = [w for w in window(text[: m.start()], self.future_window + 2) if w != "قد"]
            if self.future_cues.among(clause) or any(w in _TOWARD for w in clause[-3:]):
                continue
            if before and clean(before[-1]).lstrip("وفب") in self.year_before:
                return True
            if before and clean(before[-1]) in self.year_before:
                return True
        return False
