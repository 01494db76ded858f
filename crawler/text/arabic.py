"""The one Arabic text normalizer, shared by matching, dedup and full-text search.

Normalized text is never shown to anyone: the original is kept for display, and
`normalize_with_map` tells where each normalized character came from so that match
positions can be mapped back for highlighting.

What is folded, and why:

- Letters: أ إ آ ٱ (and the other hamza/madda alef forms) -> ا, ى -> ي, ة -> ه,
  ؤ -> و, ئ -> ي. Outlets disagree on all of these, so a search or a watchlist
  term must not depend on them. ئ goes to ي (its seat), not to ء: writers who drop
  the hamza write ي ("اسرايل"), and ى/ي are already one letter here. A lone ء is
  kept: it is a letter of its own and dropping it would merge unrelated words.
  Persian yeh/keheh (ی ک), common in text typed on Persian keyboards, fold to ي ك.
- Marks: every combining mark is dropped (harakat, shadda, sukun, superscript alef,
  Quranic annotation signs, and Latin accents after decomposition, so "é" == "e").
  Tatweel is dropped too; where it stands for a dash ("أس ـ 400") the spaces around
  it remain, which the matcher accepts as a separator.
- Invisible characters: zero-width and bidi controls, BOM, the Arabic letter mark,
  soft hyphen and every other format/control character are dropped.
- Digits: Arabic-Indic and Persian digits (and any other decimal digit) -> ASCII.
- Punctuation: every dash-like character -> "-", every quote-like character
  (straight, curly, low-9, guillemets, primes) -> '"'. Arabic comma and
  semicolon are kept as they are.
- Compatibility forms (presentation forms, ligatures, fullwidth Latin) are
  decomposed (NFKD, then marks dropped, which is NFKC's result without the marks).
- Case: lowercased (Latin, and Cyrillic/Greek alike).
- Whitespace: any run of whitespace becomes one space; the result is stripped.

The fold is applied per character and iterated to a fixed point, so normalizing
normalized text changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from itertools import repeat

# Explicit mappings, checked before the generic rules. Keys that NFKD would split
# into several characters (double primes) must be here so they fold to one quote.
_LETTERS = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ٵ": "ا",
    "ى": "ي",
    "ی": "ي",
    "ې": "ي",
    "ئ": "ي",
    "ٸ": "ي",
    "ة": "ه",
    "ۃ": "ه",
    "ؤ": "و",
    "ٶ": "و",
    "ک": "ك",
    "ڪ": "ك",
}

_QUOTES = (
    "\"'`´"
    "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f"  # curly and low-9 quotes
    "\u00ab\u00bb\u2039\u203a"  # guillemets « » ‹ ›
    "\u2032\u2033\u2034\u2035\u2036\u2037\u2057"  # primes used as quotes
    "\u301d\u301e\u301f\uff02\uff07"  # CJK and fullwidth quotes
    "\u275b\u275c\u275d\u275e\u2e42"  # ornamental quotes
)

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\u02d7\u207b\u208b\ufe58\ufe63\uff0d\u2e3a\u2e3b"

# Dropped outright. Tatweel and the Quranic small waw/yeh are letters-modifiers
# (category Lm), so the generic "drop marks" rule does not catch them.
_DROP = {"\u0640", "\u06e5", "\u06e6"}

_EXPLICIT: dict[str, str] = {
    **_LETTERS,
    **dict.fromkeys(_QUOTES, '"'),
    **dict.fromkeys(_DASHES, "-"),
    **dict.fromkeys(_DROP, ""),
}

_MAX_ROUNDS = 6


def _step(ch: str) -> str:
    """One round of folding for a single character."""
    if ch in _EXPLICIT:
        return _EXPLICIT[ch]
    if ch.isspace():
        return " "
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Cf", "Cc", "Cs", "Co", "Cn"):
        # Marks, format controls (ZW*, bidi, BOM, ALM, soft hyphen), controls,
        # lone surrogates and unassigned code points carry no searchable text.
        return ""
    if cat == "Pd":
        return "-"
    if cat == "Zs":
        return " "
    if cat == "Nd":
        digit = unicodedata.decimal(ch, None)
        if digit is not None:
            return str(digit)
    decomposed = unicodedata.normalize("NFKD", ch)
    if decomposed != ch:
        return decomposed
    return ch.lower()


@lru_cache(maxsize=8192)
def _fold(ch: str) -> str:
    """Fold one character to its normalized string (possibly empty or several chars)."""
    current = ch
    for _ in range(_MAX_ROUNDS):
        nxt = "".join(_step(c) for c in current)
        if nxt == current:
            return current
        current = nxt
    # A chain longer than the bound would be a Unicode oddity; drop anything that
    # still is not stable so idempotence holds.
    return "".join(c for c in current if _step(c) == c)


class _FoldTable(dict[int, str]):
    """`str.translate` table that folds code points on first sight and remembers them.

    Folding is per character, so `text.translate(table)` is exactly
    `"".join(_fold(ch) for ch in text)`, but runs in C: the normalizer is on the hot
    path of matching, classification and dedup for every crawled article.
    """

    def __missing__(self, code: int) -> str:
        if len(self) > _TABLE_LIMIT:
            # Bound the memory an adversarial text full of rare code points can take.
            self.clear()
        folded = _fold(chr(code))
        self[code] = folded
        return folded


class _FoldLengthTable(dict[int, str]):
    """`str.translate` table giving each character the length of its fold, as a character.

    "\x01" is a character folded one for one, "\x00" one dropped, chr(n) one folded to n
    characters: translating a text gives, in C, a string whose runs other than "\x01" are
    all the places where the position map is not the identity.
    """

    def __missing__(self, code: int) -> str:
        if len(self) > _TABLE_LIMIT:
            self.clear()
        length = chr(len(_fold(chr(code))))
        self[code] = length
        return length


_TABLE_LIMIT = 1 << 16
_FOLD_TABLE = _FoldTable()
_FOLD_LENGTHS = _FoldLengthTable()
_NOT_ONE_FOR_ONE = re.compile("[^\x01]+")
_SPACE_RUN = re.compile(" {2,}")


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalize `text` and map each normalized character back to the original.

    `mapping[i]` is the index in `text` of the character that produced normalized
    character `i`; a final extra entry equals `len(text)` so exclusive ends map too.
    A run of whitespace maps to its first character.
    """
    folded = text.translate(_FOLD_TABLE)
    # source[k]: index in `text` of the character that produced folded[k]. Every
    # whitespace character folds to " " (and nothing else folds to whitespace), so
    # the only work left is collapsing runs of " " and stripping the ends.
    source: Sequence[int] = range(len(text))
    lengths = text.translate(_FOLD_LENGTHS)
    irregular = list(_NOT_ONE_FOR_ONE.finditer(lengths))
    if irregular:
        # Dropped marks or multi-char folds are a few places in a text: between them the
        # map runs one for one, and each of them repeats its index as often as its fold
        # is long.
        source = []
        pos = 0
        for run in irregular:
            source.extend(range(pos, run.start()))
            for i in range(run.start(), run.end()):
                source.extend(repeat(i, ord(lengths[i])))
            pos = run.end()
        source.extend(range(pos, len(text)))
    begin = len(folded) - len(folded.lstrip(" "))
    end = len(folded.rstrip(" "))
    parts: list[str] = []
    mapping: list[int] = []
    pos = begin
    for m in _SPACE_RUN.finditer(folded, begin, end):
        # Keep the run's first space: it maps to where the original run began.
        parts.append(folded[pos : m.start() + 1])
        mapping.extend(source[pos : m.start() + 1])
        pos = m.end()
    if pos < end:
        parts.append(folded[pos:end])
        mapping.extend(source[pos:end])
    mapping.append(len(text))
    return "".join(parts), mapping


@lru_cache(maxsize=8)
def normalize_with_map_shared(text: str) -> tuple[str, Sequence[int]]:
    """`normalize_with_map`, remembered for the last few texts; the map must not be modified.

    One article's title and body are folded by the matcher and again by the amount
    finder; this lets them share the work.
    """
    norm, mapping = normalize_with_map(text)
    return norm, tuple(mapping)


def normalize(text: str) -> str:
    """Normalize `text` for matching, dedup and search (see the module docstring)."""
    # Every whitespace character folds to " ", so str.split() sees exactly the runs.
    return " ".join(text.translate(_FOLD_TABLE).split())
