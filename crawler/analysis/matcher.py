"""The watchlist matcher: S-400, Rosoboronexport, and entries from the config.

Everything is matched on `crawler.text.arabic.normalize` output, so hamza/alef forms,
diacritics, tatweel, invisible controls, digit scripts, dash and quote variants and
Latin case are already folded; the patterns here only deal with what is left:
separators between letters and digits, proclitics glued to a term or to its
opening quote, tokens reordered by bidi, transliteration variants, typos, and
look-alikes. Spans are mapped back so that `text == original[start:end]` and cover
the term itself (not the proclitic, not the quotes).

Rules that need judgement:

- "Triumf" (تريومف, ترايمف, Triumf/Triumph) counts as S-400 only with a military
  cue nearby (منظومة, صواريخ, الدفاع الجوي, روسيا, an S-400 mention, ...) and never
  with a motorcycle cue (دراجات, motorcycle, Scrambler, ...) nearby or in the other
  field of the article.
- "S 400" next to a Mercedes cue (مرسيدس, بنز, Benz, Maybach) or followed by a car
  trim letter ("S 400 d", "S400 4MATIC") is the car, not the system.
- Any form near a civilian word (a car, train or motorcycle, a numbered road, a phone or
  tablet, a household appliance: `crawler.analysis.cues`) is that product, unless an
  air-defence word stands near it or in the other field of the article; so is any form
  in an article with a civilian word and no air-defence word anywhere.
- Forms that are plausible for other words need a military cue too: a proclitic
  before "اس"/"أس" with no dash and no quote ("فاس 400" is the Moroccan city Fes,
  "واس" the Saudi agency, "كأس" a cup; "وإس" with hamza below is sure), lowercase
  Latin "s 400", a lone Arabic "س" without a dash ("س-400" is sure, "بس 400" is "only
  400"), and "400 S" (bidi reordering) without a dash. A tatweel between letters and
  number counts as a dash.
- Rosoboronexport has a variant regex plus a fuzzy fallback (Levenshtein distance
  <= 2 on the joined form) for typos such as روسوبرون إكسبورت. Rostec (روستيخ) is
  far from every canonical form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from crawler.analysis import cues
from crawler.analysis.prefilter import required_literals
from crawler.text.arabic import normalize, normalize_with_map_shared

S400 = "S-400"
ROSOBORONEXPORT = "Rosoboronexport"

# --- regex building blocks (on normalized text) -----------------------------------

_LETTER = r"[^\W\d_]"
_NO_LETTER_BEFORE = rf"(?<!{_LETTER})"
_NO_LETTER_AFTER = rf"(?!{_LETTER})"
# و/ف then one of بال كال لل ال ب ل ك, all optional ("وبال", "فلل", "لـ" after the
# tatweel is dropped).
_PROCLITIC = r"(?:[وف]?(?:بال|كال|لل|ال|[بلك])?)"
# A proclitic may sit on the opening quote: لـ"إس-400" -> ل"اس-400".
_LEAD = rf"{_NO_LETTER_BEFORE}(?P<proc>{_PROCLITIC})(?P<quote> ?\"+ ?)?"
# Between letters and digits: a dash (any kind, already folded) with optional
# spaces, one space, or nothing.
_SEP = r"(?: ?-+ ?| ?)"
_NO_DIGIT_AFTER = r"(?![.,]?\d)"
_NO_DIGIT_BEFORE = r"(?<![\d.,])"

# Arabic (also the one-letter "س" some outlets write for S), Latin s, Cyrillic es ("С-400").
_S_LETTER = r"(?:ا?س|[sс])"

_S400_FORWARD = re.compile(
    # A Latin letter glued after the number makes another name ("S-400M"), except
    # the English plural "S-400s".
    rf"{_LEAD}(?P<core>(?P<sl>{_S_LETTER})(?P<sep>{_SEP})400){_NO_DIGIT_AFTER}(?!s[a-z]|[a-rt-z])"
)
_S400_REVERSED = re.compile(
    rf"{_NO_DIGIT_BEFORE}(?<![a-z])(?P<core>400(?P<sep>{_SEP})(?P<sl>{_S_LETTER})){_NO_LETTER_AFTER}"
)

# تريومف, ترايمف, ترايومف, تريمف, ترومف; Latin triumf/triumph; Russian триумф. A
# final Cyrillic ф appears in text typed on mixed keyboards. Never a final ب:
# "ترامب" is Trump.
_TRIUMF = re.compile(
    rf"{_LEAD}(?P<core>تر(?:[اي]{{1,2}}و?|و)م[فф]|triumph|triumf|триумф){_NO_LETTER_AFTER}"
)

_ROSOBORONEXPORT = re.compile(
    rf"{_LEAD}(?P<core>روس[ -]?(?:او|ا|و)?[ -]?بورون[ -]?اكسبورت"
    r"|rosoboron[ -]?export|рособоронэкспорт|рос[ -]?оборон[ -]?экспорт)"
    rf"{_NO_LETTER_AFTER}"
)

# Joined canonical forms for the fuzzy fallback.
_ROSO_CANONICAL = (
    "روساوبوروناكسبورت",
    "روسوبوروناكسبورت",
    "روسابوروناكسبورت",
    "rosoboronexport",
)
_ROSO_MAX_DISTANCE = 2
_PROCLITIC_PREFIXES = (
    "وبال",
    "فبال",
    "وال",
    "فال",
    "بال",
    "كال",
    "لل",
    "ال",
    "و",
    "ف",
    "ب",
    "ل",
    "ك",
)

_CONTEXT_WINDOW = 150
_MOTORCYCLE_WINDOW = 300
_CAR_WINDOW = 80
# How near a civilian word must be to make "S400" a product rather than the system.
_CIVILIAN_WINDOW = 100


@dataclass(frozen=True)
class TermMatch:
    """One occurrence of a watched term; `text == original[start:end]`."""

    term: str
    field: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class WatchlistEntry:
    """A configured watchlist term: reported as `name`, found by any of `patterns`."""

    name: str
    patterns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Config loaders hand over lists; keep the dataclass hashable and immutable.
        if not isinstance(self.patterns, tuple):
            object.__setattr__(self, "patterns", tuple(self.patterns))


@dataclass(frozen=True)
class _Rule:
    term: str
    regex: re.Pattern[str]
    kind: str  # "plain" | "s400" | "s400_reversed" | "triumf"
    priority: int  # lower wins when two candidates have the same span
    # Every match contains one of these; a text with none of them is skipped without
    # running the regex (None: no such strings known, always run it).
    needles: frozenset[str] | None = None

    @classmethod
    def build(cls, term: str, regex: re.Pattern[str], kind: str, priority: int) -> _Rule:
        return cls(term, regex, kind, priority, required_literals(regex))


@dataclass(frozen=True)
class _Candidate:
    start: int  # in normalized text
    end: int
    term: str
    priority: int
    alias: bool = False  # another name of the term (Triumf), not a spelling of it


def _compile_entry_pattern(pattern: str) -> list[tuple[re.Pattern[str], str]]:
    """Compile one user pattern into regexes with the built-ins' flexibility.

    Returns (regex, kind) pairs: the forward form, plus a bidi-reordered form for a
    letters+digits pattern such as "سو-35" (the reordered form needs a dash).
    """
    norm = normalize(pattern)
    if not norm:
        return []
    chunks = re.findall(rf"{_LETTER}+|\d+|[^\w]+|_", norm)
    kinds = []
    for chunk in chunks:
        if chunk[0].isdigit():
            kinds.append("digits")
        elif re.fullmatch(rf"{_LETTER}+", chunk):
            kinds.append("letters")
        elif re.fullmatch(r"[ -]+", chunk):
            kinds.append("sep")
        else:
            kinds.append("punct")
    parts: list[str] = []
    prev_kind = ""
    for chunk, kind in zip(chunks, kinds, strict=True):
        if kind == "sep":
            # Letters split by a space may also be joined or hyphenated in the wild
            # ("روس أوبورون" / "روسأوبورون"); the generic separator covers both.
            parts.append(_SEP)
        elif kind == "punct":
            parts.append(" ?" + re.escape(chunk.strip()) + " ?")
        else:
            if prev_kind in ("letters", "digits") and prev_kind != kind:
                parts.append(_SEP)
            parts.append(re.escape(chunk))
        prev_kind = kind
    body = "".join(parts)
    alnum = [(c, k) for c, k in zip(chunks, kinds, strict=True) if k in ("letters", "digits")]
    if not alnum:
        return [(re.compile(re.escape(norm)), "plain")]
    first_kind, last_kind = alnum[0][1], alnum[-1][1]
    lead = _LEAD if first_kind == "letters" else _NO_DIGIT_BEFORE
    tail = _NO_DIGIT_AFTER if last_kind == "digits" else _NO_LETTER_AFTER
    out = [(re.compile(f"{lead}(?P<core>{body}){tail}"), "plain")]
    if len(alnum) == 2 and [k for _, k in alnum] == ["letters", "digits"]:
        letters, digits = alnum[0][0], alnum[1][0]
        reversed_body = f"{re.escape(digits)} ?-+ ?{re.escape(letters)}"
        out.append(
            (
                re.compile(f"{_NO_DIGIT_BEFORE}(?P<core>{reversed_body}){_NO_LETTER_AFTER}"),
                "plain",
            )
        )
    return out


class Matcher:
    """Finds watchlist terms in Arabic (and Latin) text. Build once, reuse."""

    def __init__(self, extra: Iterable[WatchlistEntry] = ()) -> None:
        rules: list[_Rule] = [
            _Rule.build(S400, _S400_FORWARD, "s400", 0),
            _Rule.build(S400, _S400_REVERSED, "s400_reversed", 1),
            _Rule.build(S400, _TRIUMF, "triumf", 2),
            _Rule.build(ROSOBORONEXPORT, _ROSOBORONEXPORT, "plain", 0),
        ]
        for n, entry in enumerate(extra):
            patterns = entry.patterns or (entry.name,)
            for pattern in patterns:
                for regex, kind in _compile_entry_pattern(pattern):
                    rules.append(_Rule.build(entry.name, regex, kind, 10 + n))
        self._rules = tuple(rules)

    def find(self, text: str, field: str = "body") -> list[TermMatch]:
        """Every occurrence of every term in `text`, in order, non-overlapping."""
        if not text:
            return []
        return self._find(text, *normalize_with_map_shared(text), field, "")

    def spellings(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, term) in `normalize(text)` of each occurrence written as a spelling of
        the term's own name (every match but an alias such as Triumf): what search folds."""
        if not text:
            return []
        norm, mapping = normalize_with_map_shared(text)
        return [
            (c.start, c.end, c.term) for c in self._chosen(text, norm, mapping, "") if not c.alias
        ]

    def find_in_article(self, title: str, body: str) -> list[TermMatch]:
        """Title matches (field "title") followed by body matches (field "body")."""
        title, body = title or "", body or ""
        # normalize(x) == normalize_with_map(x)[0], so each field is folded once and
        # serves both as the text searched and as the other field's context.
        title_norm, title_map = normalize_with_map_shared(title)
        body_norm, body_map = normalize_with_map_shared(body)
        # Each field lends the other its cues: a title "ترايمف تكشف عن دراجتين"
        # settles what a bare "تريومف" in the body means, and vice versa.
        out: list[TermMatch] = []
        if title:
            out += self._find(title, title_norm, title_map, "title", body_norm)
        if body:
            out += self._find(body, body_norm, body_map, "body", title_norm)
        return out

    # --- internals -------------------------------------------------------------

    def _find(
        self, text: str, norm: str, mapping: Sequence[int], field: str, context: str
    ) -> list[TermMatch]:
        chosen = self._chosen(text, norm, mapping, context)
        return [self._to_match(c, field, text, mapping) for c in chosen]

    def _chosen(
        self, text: str, norm: str, mapping: Sequence[int], context: str
    ) -> list[_Candidate]:
        candidates: list[_Candidate] = []
        for rule in self._rules:
            if rule.needles is not None and not any(n in norm for n in rule.needles):
                continue
            for m in rule.regex.finditer(norm):
                start, end = m.span("core")
                if start == end:
                    continue
                if rule.kind in ("s400", "s400_reversed") and not self._s400_ok(
                    m, rule.kind, text, norm, mapping, context
                ):
                    continue
                if rule.kind == "triumf" and not self._triumf_ok(norm, start, end, context):
                    continue
                candidates.append(
                    _Candidate(start, end, rule.term, rule.priority, rule.kind == "triumf")
                )
        chosen = _resolve_overlaps(candidates)
        # The fuzzy fallback only fills gaps: an exact match of any term wins.
        fuzzy = [
            f
            for f in (_fuzzy_rosoboronexport(norm) if _may_be_rosoboronexport(norm) else ())
            if not any(f.start < c.end and c.start < f.end for c in chosen)
        ]
        if fuzzy:
            chosen = _resolve_overlaps(chosen + fuzzy)
        return chosen

    @staticmethod
    def _s400_ok(
        m: re.Match[str], kind: str, text: str, norm: str, mapping: Sequence[int], context: str
    ) -> bool:
        start, end = m.span("core")
        if cues.near(cues.CAR_BRAND, norm, start, end, _CAR_WINDOW):
            return False
        if cues.CAR_TRIM_AFTER.match(norm, end):
            return False
        # A car, road, phone or appliance numbered 400, unless the story around it (or the
        # other field of the article) is about air defence.
        if (
            cues.near(cues.CIVILIAN, norm, start, end, _CIVILIAN_WINDOW)
            and not cues.near(cues.AIR_DEFENCE_PROPER, norm, start, end, _CONTEXT_WINDOW)
            and not cues.AIR_DEFENCE_PROPER.search(context[: _CONTEXT_WINDOW * 4])
        ):
            return False
        # Further down a product review the model is named bare ("ويبلغ سعر S400 نحو 1999
        # ريالا"), far from the word that named the product: an article with a civilian
        # word and no air-defence word anywhere is about the product.
        if (
            cues.CIVILIAN.search(norm)
            and not cues.AIR_DEFENCE_PROPER.search(norm)
            and not cues.AIR_DEFENCE_PROPER.search(context)
        ):
            return False
        sl_start = m.start("sl")
        latin = m.group("sl") in ("s", "с")
        # The fold drops a tatweel, but between letters and number it stands for a dash.
        gap = text[mapping[m.start("sep") - 1] + 1 : mapping[m.end("sep")]]
        dashed = "-" in m.group("sep") or "\u0640" in gap
        original_s = text[mapping[sl_start]]
        # "Russia's 400 tanks": a possessive, not the system.
        if latin and sl_start >= 2 and norm[sl_start - 1] == '"':
            letter_before_quote = norm[sl_start - 2]
            if letter_before_quote.isascii() and letter_before_quote.isalpha():
                return False
        ambiguous = False
        if kind == "s400_reversed":
            ambiguous = not dashed or (latin and original_s.islower())
        elif latin:
            ambiguous = original_s.islower() and not dashed
        elif m.group("sl") == "س":
            # A lone "س" is sure only when a dash ties it to the number: "بس 400 جنيه" is
            # colloquial "only 400 pounds".
            ambiguous = not dashed
        else:
            proc = m.group("proc") or ""
            # "فاس 400" (Fes), "واس" (the Saudi agency) and "كأس" (cup) look like a
            # proclitic on "اس"; only the hamza-below spelling (وإس) or a dash is sure.
            ambiguous = (
                bool(proc) and not m.group("quote") and not dashed and original_s in ("ا", "أ")
            )
        if ambiguous:
            return cues.near(cues.MILITARY, norm, start, end, _CONTEXT_WINDOW)
        return True

    @staticmethod
    def _triumf_ok(norm: str, start: int, end: int, context: str) -> bool:
        if cues.near(cues.MOTORCYCLE, norm, start, end, _MOTORCYCLE_WINDOW):
            return False
        if cues.MOTORCYCLE.search(context[: _MOTORCYCLE_WINDOW * 4]):
            return False
        if cues.near(cues.MILITARY, norm, start, end, _CONTEXT_WINDOW):
            return True
        # A title is short; the body (or the title, for the body) can vouch for it.
        return bool(context) and bool(cues.MILITARY.search(context[: _CONTEXT_WINDOW * 4]))

    @staticmethod
    def _to_match(c: _Candidate, field: str, text: str, mapping: Sequence[int]) -> TermMatch:
        start = mapping[c.start]
        end = mapping[c.end - 1] + 1
        # Marks on the last letter belong to it ("تْرَايْمُفْ"); controls after it do not.
        while end < len(text) and unicodedata.category(text[end]) in ("Mn", "Me"):
            end += 1
        return TermMatch(term=c.term, field=field, text=text[start:end], start=start, end=end)


# Pigeonhole filter for the fuzzy fallback: cut each canonical form into three
# disjoint pieces; two edits can break at most two of them, so any spelling within
# distance 2 still contains one piece whole. The fallback compares words joined
# across " " and "-", so the pieces are looked for in the text without those.
_ROSO_PIECES = (
    ("روساو", "بورون", "اكسبورت"),
    ("روسو", "بورون", "اكسبورت"),
    ("روسا", "بورون", "اكسبورت"),
    ("rosob", "oronex", "port"),
)


_ALL_ROSO_PIECES = frozenset(piece for pieces in _ROSO_PIECES for piece in pieces)


def _may_be_rosoboronexport(norm: str) -> bool:
    """False only when no 1-3 word window of `norm` can be within reach of a canonical form."""
    compact = norm.replace(" ", "").replace("-", "")
    return any(piece in compact for piece in _ALL_ROSO_PIECES)


def _fuzzy_rosoboronexport(norm: str) -> list[_Candidate]:
    """Catch misspelt Rosoboronexport: 1-3 adjacent words, joined, close to a canonical form."""
    words = [(m.start(), m.end()) for m in re.finditer(rf"{_LETTER}+", norm)]
    out: list[_Candidate] = []
    for i, (w_start, _) in enumerate(words):
        first = norm[w_start]
        if first not in "رrوفبلكا":
            continue
        joined = ""
        prev_end = w_start
        best: tuple[int, int, int] | None = None  # (distance, end, proclitic length)
        for j in range(i, min(i + 3, len(words))):
            s, e = words[j]
            if j > i and norm[prev_end:s] not in (" ", "-", " - ", " -", "- "):
                break
            joined += norm[s:e]
            prev_end = e
            if len(joined) > 24:
                break
            if len(joined) < 10:
                continue
            # The pigeonhole test of `_may_be_rosoboronexport`, per window: a window
            # without a whole piece is more than two edits from every canonical form.
            if not any(piece in joined for piece in _ALL_ROSO_PIECES):
                continue
            dist = _roso_distance(joined)
            # Strictly better only: of equally close windows the shortest wins, so a
            # following one-letter word ("... اكسبورت و") is never swallowed.
            if dist is not None and (best is None or dist[0] < best[0]):
                best = (dist[0], e, dist[1])
        if best is not None:
            out.append(_Candidate(w_start + best[2], best[1], ROSOBORONEXPORT, 5))
    return out


def _roso_distance(joined: str) -> tuple[int, int] | None:
    """(distance, proclitic length) of `joined` to the closest canonical form, if close."""
    best: tuple[int, int] | None = None
    for prefix in ("", *_PROCLITIC_PREFIXES):
        if not joined.startswith(prefix):
            continue
        core = joined[len(prefix) :]
        if not core or core[0] not in "rر":
            continue
        for canon in _ROSO_CANONICAL:
            d = Levenshtein.distance(core, canon, score_cutoff=_ROSO_MAX_DISTANCE)
            if d <= _ROSO_MAX_DISTANCE and (best is None or d < best[0]):
                best = (d, len(prefix))
    return best


def _resolve_overlaps(candidates: list[_Candidate]) -> list[_Candidate]:
    """Keep the earliest, then longest, then highest-priority candidate of each overlap."""
    ordered = sorted(candidates, key=lambda c: (c.start, -(c.end - c.start), c.priority))
    chosen: list[_Candidate] = []
    last_end = -1
    for c in ordered:
        if c.start >= last_end:
            chosen.append(c)
            last_end = c.end
    return chosen
