"""Deciding whether a new report joins an earlier development (pure logic, no database).

A development is one event. A later report joins it when all of these hold:

- it shares a topic with the earlier report, unless the two texts are nearly the
  same story (then topics may differ: one outlet reads a story as a contract,
  another as a negotiation);
- it shares a principal country: the acting states other than the seller
  (Russia) and the sanctioning states (the United States above all), which act
  in nearly every sale or sanction story and so cannot tell two of them apart.
  When nothing else is left, the sanctioning states count, then the seller;
- it is published within `window` of the earlier report (a second contract
  years later, or new sanctions after earlier ones, is new);
- its title and evidence say much the same thing: the overlap of their content
  words, folded by `crawler.text.arabic.normalize` and stripped of clitics, reaches
  `min_similarity`. When the two share a buyer or target (a principal country
  that is neither a seller nor a sanctioning state) the same topic, state and
  week already pin the event
  down, and independent outlets word it differently ("لا توجد خطط لشراء" vs
  "تستبعد اقتناء"), so `min_similarity_shared` (lower) applies instead.

Reports with no date can only join on text that is nearly the same.
Calibrated on dev.jsonl `labels.event` (see `make eval`, benchmarks/eval.py).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TypeVar

from crawler.text.arabic import normalize

Id = TypeVar("Id", bound=Hashable)

WINDOW = timedelta(days=10)
MIN_SIMILARITY = 0.2
MIN_SIMILARITY_SHARED = 0.0
# Above this the texts are the same story told again: topics need not agree and a
# missing date is tolerated.
STRONG_SIMILARITY = 0.5
# The fewest content words an overlap is measured against (see `similarity`).
MIN_BASIS = 6
SELLERS = frozenset({"Russia"})
# States that impose sanctions over S-400 purchases and Russian arms exports. They
# are a party to every such story, so sharing one says nothing about the event.
SANCTIONERS = frozenset({"United States", "United Kingdom", "Canada", "Japan", "Australia"})
_BACKGROUND_ACTORS = SELLERS | SANCTIONERS

_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)
_PREFIXES = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل")
_SUFFIXES = ("يين", "ات", "ين", "ون", "ان", "ها", "هم", "هما", "ه", "ي", "ا")
# Words every report in this domain uses; they say nothing about which event it is.
_STOP = frozenset(
    normalize(w)
    for w in [
        "في",
        "من",
        "الى",
        "إلى",
        "على",
        "عن",
        "مع",
        "أن",
        "إن",
        "أنه",
        "انه",
        "التي",
        "الذي",
        "الذين",
        "هذا",
        "هذه",
        "ذلك",
        "تلك",
        "بعد",
        "قبل",
        "خلال",
        "بين",
        "حول",
        "لدى",
        "منذ",
        "كما",
        "أو",
        "او",
        "ثم",
        "قد",
        "لم",
        "لن",
        "لا",
        "ما",
        "وقال",
        "قال",
        "قالت",
        "وقالت",
        "وأضاف",
        "أضاف",
        "وأوضح",
        "أوضح",
        "وأشار",
        "أشار",
        "مشيرا",
        "مؤكدا",
        "وذكرت",
        "ذكرت",
        "أفادت",
        "وأفاد",
        "نقلت",
        "ونقلت",
        "وكالة",
        "للأنباء",
        "الأنباء",
        "منظومة",
        "منظومات",
        "الدفاع",
        "الجوي",
        "الجوية",
        "الروسية",
        "الروسي",
        "روسيا",
        "موسكو",
        "إس",
        "S-400",
        "400",
        "تريومف",
        "مؤسسة",
        "شركة",
        "روس",
        "أوبورون",
        "أبورون",
        "إكسبورت",
        "روسوبورون",
        "صفقة",
        "الصفقة",
        "مسؤول",
        "مصادر",
        "تقارير",
        "العام",
        "عام",
        "أكثر",
        "نحو",
        "تسليم",
        "عقد",
        "عقود",
        "عقوبات",
        "العقوبات",
        "أنظمة",
        "الصواريخ",
        "صواريخ",
        "مليار",
        "مليون",
        "دولار",
    ]
)


@dataclass(frozen=True)
class DevelopmentKey:
    """What grouping looks at: the classification and date of one report."""

    topics: Sequence[str]
    countries: Sequence[str]
    published_at: datetime | None
    evidence_text: str  # the title plus the evidence sentences
    _tokens: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def tokens(self) -> frozenset[str]:
        if not self._tokens:
            object.__setattr__(self, "_tokens", content_tokens(self.evidence_text))
        return self._tokens


def _stem(word: str) -> str:
    for p in _PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= 3:
            word = word[len(p) :]
            break
    for s in _SUFFIXES:
        if word.endswith(s) and len(word) - len(s) >= 3:
            word = word[: -len(s)]
            break
    return word


@lru_cache(maxsize=1)
def _stop_stems() -> frozenset[str]:
    """Stop words as they look after stemming ("وبالعقوبات" -> "عقوب")."""
    return frozenset(_stem(w) for w in _STOP)


def content_tokens(text: str) -> frozenset[str]:
    """Folded, clitic-stripped content words of `text` (stop words and short words dropped)."""
    stop_stems = _stop_stems()
    out = set()
    for w in _TOKEN.findall(normalize(text)):
        if w in _STOP or len(w) < 3:
            continue
        stem = _stem(w)
        if stem not in _STOP and stem not in stop_stems and len(stem) >= 3:
            out.add(stem)
    return frozenset(out)


def similarity(a: DevelopmentKey, b: DevelopmentKey) -> float:
    """Overlap of content words, relative to the shorter text (0..1), counted as at least
    `MIN_BASIS` words long: a two-word headline sharing one word is not half the same story."""
    ta, tb = a.tokens(), b.tokens()
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / max(min(len(ta), len(tb)), MIN_BASIS)


def _principal(countries: Sequence[str]) -> frozenset[str]:
    """The states that tell one development from another (see the module docstring)."""
    all_ = frozenset(countries)
    return all_ - _BACKGROUND_ACTORS or all_ - SELLERS or all_


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def same_development(
    new: DevelopmentKey,
    existing: DevelopmentKey,
    *,
    window: timedelta = WINDOW,
    min_similarity: float = MIN_SIMILARITY,
    min_similarity_shared: float = MIN_SIMILARITY_SHARED,
) -> bool:
    """Whether `new` reports the same development as `existing` (see the module docstring)."""
    sim = similarity(new, existing)
    strong = sim >= STRONG_SIMILARITY
    if not (set(new.topics) & set(existing.topics)) and not strong:
        return False
    pn, pe = _principal(new.countries), _principal(existing.countries)
    shared = pn & pe
    if (pn or pe) and not shared:
        return False
    if new.published_at is None or existing.published_at is None:
        return strong
    if abs(_aware(new.published_at) - _aware(existing.published_at)) > window:
        return False
    if shared - _BACKGROUND_ACTORS:
        return sim >= min_similarity_shared
    return sim >= min_similarity


def best_match(
    new: DevelopmentKey,
    candidates: Sequence[tuple[Id, DevelopmentKey]],
    **kwargs: object,
) -> Id | None:
    """The id of the candidate `new` joins (most similar; latest on a tie), or None."""
    best: tuple[float, datetime, Id] | None = None
    floor = datetime.min.replace(tzinfo=UTC)
    for cid, key in candidates:
        if not same_development(new, key, **kwargs):  # type: ignore[arg-type]
            continue
        rank = (similarity(new, key), _aware(key.published_at) if key.published_at else floor)
        if best is None or rank > best[:2]:
            best = (rank[0], rank[1], cid)
    return best[2] if best else None


def assign_developments(
    reports: Sequence[tuple[Id, DevelopmentKey]], **kwargs: object
) -> dict[Id, Id]:
    """Group reports given in publication order: report id -> id of its development's first report.

    A report is compared with every earlier report (not only the first of each
    development), so a development can drift as the story unfolds.
    """
    out: dict[Id, Id] = {}
    seen: list[tuple[Id, DevelopmentKey]] = []
    for rid, key in reports:
        match = best_match(key, seen, **kwargs)
        out[rid] = out[match] if match is not None else rid
        seen.append((rid, key))
    return out
