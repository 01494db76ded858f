"""Content dedup: exact hash, MinHash signatures, LSH band keys, and pair scores.

Everything here is a pure function of normalized text (`crawler.text.arabic.normalize`), but
:func:`fingerprint`, which normalizes a main text and gives what storing it needs; the database
side (band-key table, locking) lives in the store.

What to pass in: ``normalize(body)``, the main text only (the same for the stored
original and the new article). A syndicated copy nearly always carries its own
headline, so including the title only adds noise and lowers every score; with
title + body the decisions on the calibration sets still hold, but with thinner
margins (see eval_dedup.py --with-title).

How a copy is found:

1. `content_hash` catches byte-for-byte republications (after whitespace folding).
2. `signature` + `band_keys` give candidates: articles that share a band bucket.
   With 64 bands of 3 rows a pair at Jaccard 0.5 becomes a candidate with
   p = 1 - (1 - 0.5**3)**64 > 0.9998, at 0.4 with p > 0.98, while pairs that only
   share stock phrases (Jaccard ~0.02) collide with p < 0.001. (32x4 would miss
   13% of pairs at 0.5; 64x2 would make ~15% of same-topic pairs at 0.05 candidates.)
3. `scores` on the exact shingle sets confirms, and `is_near_duplicate` decides.

Why three scores: an edited copy (own lead added, a paragraph dropped, phrases
trimmed, digits changed) keeps Jaccard ~0.45-0.7 on 3-word shingles, but two
*different* reports that share two background paragraphs reach ~0.25 Jaccard and
~0.4 containment, which leaves a margin that a short article can erase. What really
tells them apart is the news lead: a copy keeps the original's opening sentences,
while a different development opens with different news and only repeats the
background further down. So the decision also needs the lead of one text to be
found in the other. Calibration: `benchmarks/eval_dedup.py`.

A re-edited copy is a second way to be one story. Copy desks that cut a story to its
first paragraphs, rewrite clauses, re-order paragraphs or put their own headline and
dateline on top break most 3-word shingles (Jaccard ~0.05-0.12 on such copies of real
news) while keeping the story's words: the same names, numbers and nouns. So the pair is
also compared on *content tokens* (the search form of `crawler.text.searchform`, proclitics
folded, words of four letters and more plus numbers: short words are function words):
most of the shorter text's content tokens must be in the longer one, and the news lead of
one must be in the opening of the other, counted in content tokens too. The lead check is
what keeps two developments that share background paragraphs apart: their token
containment reaches that of a rewritten copy (~0.6), but each opens with its own news.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from crawler.text.arabic import normalize
from crawler.text.searchform import search_form_of_normalized
from crawler.text.stemming import WordStems

__all__ = [
    "BANDS",
    "Fingerprint",
    "LEAD_WINDOW_WORDS",
    "LEAD_WORDS",
    "MIN_CONTAINMENT",
    "MIN_JACCARD",
    "MIN_LEAD",
    "NUM_PERM",
    "ROWS",
    "SHINGLE_WORDS",
    "Scores",
    "TOKEN_LEAD",
    "TOKEN_LEAD_WINDOW",
    "MIN_LENGTH_RATIO",
    "MIN_TOKEN_CONTAINMENT",
    "MIN_TOKEN_LEAD",
    "Shingled",
    "band_keys",
    "content_hash",
    "content_tokens",
    "fingerprint",
    "is_near_duplicate",
    "scores",
    "shingled",
    "shingles",
    "signature",
    "may_be_re_edited",
    "strip_boilerplate",
    "token_overlap",
]

# 3-word shingles: 4-5 words lose too much to the small in-sentence edits copy desks
# make (a trimmed clause breaks every shingle that spans it), and 2 words make
# unrelated reports on the same subject look alike. Measured in eval_dedup.py.
SHINGLE_WORDS = 3

BANDS = 64
ROWS = 3
NUM_PERM = BANDS * ROWS

# Thresholds (see the module docstring and eval_dedup.py for the measured margins).
MIN_JACCARD = 0.33
MIN_CONTAINMENT = 0.5
MIN_LEAD = 0.4
# The lead is the first this-many words: about one news sentence.
LEAD_WORDS = 30
# Where the other text's lead is looked for: its first this-many words. A copy may
# open with an added attribution sentence, so the window is wider than the lead; a
# follow-up that recaps an earlier story does so further down, outside it.
LEAD_WINDOW_WORDS = 80
# The lead is also read from a second start, half a lead in, so that a headline or a
# short attribution sentence in front of it (when the caller passes title + body, or
# a copy opens with "أفادت وكالة ... بأن") does not hide it.
_LEAD_STARTS = (0, LEAD_WORDS // 2)

# The re-edited-copy rule, on content tokens (measured in eval_dedup.py on the dev copies,
# the hand-written pairs, and real re-edited copies whose texts are not kept):
# - rewritten copies keep 0.62-0.77 of the shorter text's content tokens, near copies
#   0.83 and more; different developments that share background paragraphs reach 0.68,
#   so containment alone cannot decide, and 0.62 only admits the pair to the lead check
#   (two real reports of one test firing, each with its own sources, shared 0.61 and
#   their lead);
MIN_TOKEN_CONTAINMENT = 0.62
# - the lead: the first TOKEN_LEAD content tokens (about one news sentence) of one text,
#   looked for in the first TOKEN_LEAD_WINDOW content tokens of the other (room for a new
#   opening sentence or dateline). Copies keep >= 0.6 of it; the different developments
#   above share at most 0.53, since the recap of the other story comes after their own
#   news. A wider window lets a recap paragraph in (a pair of the hand-written set reached
#   0.93 at 60 tokens), a narrower lead is decided by one or two words;
TOKEN_LEAD = 15
TOKEN_LEAD_WINDOW = 40
MIN_TOKEN_LEAD = 0.6
# - the length ratio (shorter / longer, in content tokens): a copy cut to its first half
#   still passes, while a brief made of background a long article repeats does not (cut
#   copies measured go down to 0.44).
MIN_LENGTH_RATIO = 0.4
# - a copy re-edited top to bottom (a new headline, the lead rewritten, furniture of its own)
#   keeps most of its content words even when its lead no longer agrees: real syndicated
#   copies measured 0.78 of the content tokens with 0.4 of the lead, where different
#   developments sharing background reach at most 0.68. So a second, stricter door:
REWRITTEN_TOKEN_CONTAINMENT = 0.75
REWRITTEN_TOKEN_LEAD = 0.4
REWRITTEN_LENGTH_RATIO = 0.6
_MIN_CONTENT_LETTERS = 4

# A signature of a text with no shingles; band_keys gives it no keys, so empty or
# one-word texts never pile up in one bucket.
_EMPTY = (1 << 63) - 1
_SEED = b"marsad-minhash-v1"

_WORD_RE = re.compile(r"\w+")

# Trailing service lines that outlets append ("read also", "follow us", "for more").
# Text is already normalized (hamza/alef folded, tanween gone), but the optional
# letters keep this working on raw text too.
_BOILERPLATE_RE = re.compile(
    r"(?:"
    r"[اأإ]قر[اأ]\s+(?:[اأإ]يض[اأ]|كذلك|المزيد)"
    r"|(?:شاهد|طالع|تابع)\s+(?:[اأإ]يض[اأ]|المزيد)"
    r"|للمزيد\s*(?::|اضغط|من\s+ال[اأ]خبار|من\s+المعلومات|من\s+التفاصيل)"
    r"|تابعونا\s+(?:عل[ىي]|عبر)|تابعنا\s+(?:عل[ىي]|عبر)|تابعوا\s+(?:[اأآ]خر|عل[ىي]|عبر)"
    r"|(?:مواضيع|[اأ]خبار|مقالات)\s+ذات\s+صل[ةه]|ذات\s+صل[ةه]\s*:"
    r"|حمل(?:وا)?\s+تطبيق|اشترك(?:وا)?\s+(?:في|ب)\s*(?:قنا[ةه]|نشر[ةه]|خدم[ةه])"
    r"|لمتابع[ةه]\s+(?:[اأآ]خر|[اأ]هم)\s+ال[اأ]خبار"
    r")"
)
# A marker further than this from the end is part of the article, not a footer.
_BOILERPLATE_TAIL_WORDS = 40


@dataclass(frozen=True)
class Scores:
    """Similarity of two texts on exact shingle sets.

    `jaccard` = |A∩B| / |A∪B|; `containment` = |A∩B| / min(|A|, |B|);
    `lead` = the larger, over both texts, of the share of its lead shingles (first
    LEAD_WORDS words) found in the opening of the other (first LEAD_WINDOW_WORDS).
    `lead` defaults to 1.0 ("not measured") so that callers building Scores from
    two numbers keep the two-score rule.

    The re-edited-copy rule's scores, on content tokens: `token_containment` (share of
    the shorter text's distinct content tokens found in the longer), `token_lead` (the
    larger, over both texts, of the share of its first TOKEN_LEAD content tokens found in
    the other's first TOKEN_LEAD_WINDOW), and `length_ratio`. They default to 0.0: not
    measured, so that rule does not apply.
    """

    jaccard: float
    containment: float
    lead: float = 1.0
    token_containment: float = 0.0
    token_lead: float = 0.0
    length_ratio: float = 0.0


def content_hash(normalized_text: str) -> str:
    """sha256 hex of the text with whitespace runs folded to one space."""
    folded = " ".join(normalized_text.split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def strip_boilerplate(normalized_text: str) -> str:
    """Cut trailing service lines ("اقرأ أيضاً: ...", "تابعونا على ...") off the text.

    Normalized text has no line breaks, so a footer is recognised as a marker
    followed by no more than a headline's worth of words; markers are cut one after
    another from the end, since footers come stacked.
    """
    text = normalized_text
    while True:
        markers = list(_BOILERPLATE_RE.finditer(text))
        if not markers:
            return text
        last = markers[-1]
        tail_words = len(_WORD_RE.findall(text[last.end() :]))
        head_words = len(_WORD_RE.findall(text[: last.start()]))
        # A footer is short and follows an article longer than itself; anything else
        # is a marker quoted inside the article.
        if tail_words > _BOILERPLATE_TAIL_WORDS or head_words <= tail_words:
            return text
        text = text[: last.start()].rstrip()


def _words(normalized_text: str) -> list[str]:
    return _WORD_RE.findall(strip_boilerplate(normalized_text).lower())


def _shingles_of(words: list[str]) -> set[str]:
    k = SHINGLE_WORDS
    if not words:
        return set()
    if len(words) < k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def shingles(normalized_text: str) -> set[str]:
    """The word shingles of the text (boilerplate stripped), as space-joined strings."""
    return _shingles_of(_words(normalized_text))


def _perm_seeds() -> np.ndarray:
    # Derived from a fixed byte seed with sha256, not from numpy's RNG, so the
    # signatures (and the band keys stored in the database) never change with a
    # library upgrade.
    return np.array(
        [
            int.from_bytes(hashlib.sha256(_SEED + struct.pack("<I", i)).digest()[:8], "little")
            for i in range(NUM_PERM)
        ],
        dtype=np.uint64,
    )


@lru_cache(maxsize=1)
def _seeds() -> np.ndarray:
    return _perm_seeds()


def _mix64(z: np.ndarray) -> np.ndarray:
    # splitmix64's finalizer: a bijection on 64-bit integers with full avalanche, so
    # each seeded column behaves as an independent random permutation of the
    # shingle hashes (a linear a*h+b without wrap-around would keep them ordered
    # and make all permutations pick the same minimum). uint64 products wrap mod 2**64.
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _shingle_hash64(shingle: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "little"
    )


def signature(normalized_text: str) -> list[int]:
    """MinHash signature (NUM_PERM values in [0, 2**63)) over the text's word shingles.

    Deterministic across processes and library versions. A text without words gets
    the all-empty signature, for which `band_keys` returns no keys.
    """
    sh = shingles(normalized_text)
    if not sh:
        return [_EMPTY] * NUM_PERM
    h = np.fromiter((_shingle_hash64(s) for s in sh), dtype=np.uint64, count=len(sh))
    with np.errstate(over="ignore"):
        values = _mix64(h[:, None] ^ _seeds()[None, :])
    # One bit dropped so every value also fits a signed 64-bit column.
    return [int(v) for v in (values.min(axis=0) >> np.uint64(1))]


def band_keys(sig: list[int]) -> list[tuple[int, int]]:
    """(band number, bucket) for each of BANDS bands; bucket is a signed 64-bit int.

    The bucket is a blake2b digest of the band's rows (never Python's salted
    `hash()`), so keys are equal across processes and runs and fit a BIGINT column.
    """
    if len(sig) != NUM_PERM:
        raise ValueError(f"signature has {len(sig)} values, expected {NUM_PERM}")
    if all(v == _EMPTY for v in sig):
        return []
    keys: list[tuple[int, int]] = []
    for band in range(BANDS):
        rows = sig[band * ROWS : (band + 1) * ROWS]
        digest = hashlib.blake2b(struct.pack(f"<H{ROWS}Q", band, *rows), digest_size=8).digest()
        keys.append((band, int.from_bytes(digest, "little", signed=True)))
    return keys


@dataclass(frozen=True)
class Shingled:
    """A text's words, shingle set and content tokens, computed once when it is compared with
    many others."""

    words: list[str]
    shingles: set[str]
    tokens: list[str]
    token_set: frozenset[str]


def _content_tokens(text: str) -> list[str]:
    """Content words as stems: a re-edited copy changes a verb's person or a noun's number
    ("وصلت المنظومات" / "تصل منظومة"), which the copy test should not count as new words."""
    stem = _stems()
    return [
        t if t.isdigit() else stem(t)
        for t in search_form_of_normalized(text).split()
        if t.isdigit() or len(t) >= _MIN_CONTENT_LETTERS
    ]


@lru_cache(maxsize=1)
def _stems() -> WordStems:
    return WordStems()


def shingled(normalized_text: str) -> Shingled:
    text = strip_boilerplate(normalized_text)
    words = _WORD_RE.findall(text.lower())
    tokens = _content_tokens(text)
    return Shingled(words, _shingles_of(words), tokens, frozenset(tokens))


def content_tokens(normalized_text: str) -> list[str]:
    """The text's content tokens, as :func:`shingled` reads them, without its shingles."""
    return _content_tokens(strip_boilerplate(normalized_text))


def token_overlap(
    a: frozenset[str], a_count: int, b: frozenset[str], b_count: int
) -> tuple[float, float]:
    """(token containment, length ratio) of two texts' content tokens: their distinct sets and
    how many tokens each has. The cheap half of the re-edited-copy rule, also a pre-filter."""
    if not a or not b:
        return 0.0, 0.0
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return len(shorter & longer) / len(shorter), min(a_count, b_count) / max(a_count, b_count)


def may_be_re_edited(containment: float, length_ratio: float) -> bool:
    """Whether a pair with these token scores is still open to the re-edited-copy rule."""
    return containment >= MIN_TOKEN_CONTAINMENT and length_ratio >= MIN_LENGTH_RATIO


def _lead_share(head: list[str], other: list[str]) -> float:
    """Share of `head`'s distinct items found in `other` (0 when `head` is empty)."""
    items = set(head)
    return len(items & set(other)) / len(items) if items else 0.0


def scores(
    a_normalized: str | Shingled, b_normalized: str | Shingled, *, lead_if_needed: bool = False
) -> Scores:
    """Exact Jaccard, containment and lead overlap of two normalized texts.

    With ``lead_if_needed`` the lead overlap (the costly part) is only measured when the
    other two scores already pass their thresholds; otherwise it is reported as 0.
    """
    a = a_normalized if isinstance(a_normalized, Shingled) else shingled(a_normalized)
    b = b_normalized if isinstance(b_normalized, Shingled) else shingled(b_normalized)
    wa, wb, sa, sb = a.words, b.words, a.shingles, b.shingles
    if not sa or not sb:
        return Scores(0.0, 0.0, 0.0)
    inter = len(sa & sb)
    jaccard = inter / (len(sa) + len(sb) - inter)
    containment = inter / min(len(sa), len(sb))
    ta, tb = a.tokens, b.tokens
    token_containment, length_ratio = token_overlap(a.token_set, len(ta), b.token_set, len(tb))
    token_lead = 0.0
    if ta and tb and (not lead_if_needed or may_be_re_edited(token_containment, length_ratio)):
        token_lead = max(
            _lead_share(ta[:TOKEN_LEAD], tb[:TOKEN_LEAD_WINDOW]),
            _lead_share(tb[:TOKEN_LEAD], ta[:TOKEN_LEAD_WINDOW]),
        )
    lead = 0.0
    if not lead_if_needed or (jaccard >= MIN_JACCARD and containment >= MIN_CONTAINMENT):
        for head_words, other_words in ((wa, wb), (wb, wa)):
            opening = _shingles_of(other_words[:LEAD_WINDOW_WORDS])
            for start in _LEAD_STARTS:
                head = _shingles_of(head_words[start : start + LEAD_WORDS])
                if head:
                    lead = max(lead, len(head & opening) / len(head))
    return Scores(jaccard, containment, lead, token_containment, token_lead, length_ratio)


def is_near_duplicate(s: Scores) -> bool:
    """True when the pair is one story republished (edited), not two reports.

    Either all three shingle scores hold: enough overall overlap (Jaccard), most of the
    shorter text found in the longer (containment), and one text's lead found in the
    other; or the re-edited-copy rule holds on content tokens: containment, lead and
    length ratio (see the module docstring); or a copy rewritten at the top keeps most of
    its content tokens and some of its lead (the REWRITTEN_ thresholds).
    """
    near_copy = s.jaccard >= MIN_JACCARD and s.containment >= MIN_CONTAINMENT and s.lead >= MIN_LEAD
    re_edited = (
        s.token_containment >= MIN_TOKEN_CONTAINMENT
        and s.token_lead >= MIN_TOKEN_LEAD
        and s.length_ratio >= MIN_LENGTH_RATIO
    )
    rewritten = (
        s.token_containment >= REWRITTEN_TOKEN_CONTAINMENT
        and s.token_lead >= REWRITTEN_TOKEN_LEAD
        and s.length_ratio >= REWRITTEN_LENGTH_RATIO
    )
    return near_copy or re_edited or rewritten


@dataclass(frozen=True)
class Fingerprint:
    """What the store compares a main text by: its normalized form, hash and LSH band keys."""

    normalized: str
    content_hash: str
    band_keys: list[tuple[int, int]]


def fingerprint(text: str) -> Fingerprint:
    normalized = normalize(text)
    return Fingerprint(normalized, content_hash(normalized), band_keys(signature(normalized)))
