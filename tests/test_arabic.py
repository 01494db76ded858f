"""Tests for the Arabic normalizer and its offset map."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.text.arabic import normalize, normalize_with_map

# Characters the normalizer has rules for, so generated text hits them often.
_INTERESTING = (
    "أإآٱاىيةهؤوئءـًٌٍَُِّْٰۖۗۘۙۚۛۜ۟۠ۡۢۤۥۦ۪ۭۧۨ"
    "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹0123456789"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\ufeff\u061c\u00ad"
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
    "\"'\u201c\u201d\u201e\u2018\u2019\u00ab\u00bb\u2039\u203a\u2033\u2036"
    " \t\n\u00a0\u2009\u3000"
    "SsİIÄéﻹﺇﺱﷲＳ４ﬁ²"
    "إس400روسوبورونتريومف"
)
_text = st.text(alphabet=st.sampled_from(_INTERESTING), max_size=60) | st.text(max_size=60)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # hamza and alef forms
        ("أحمد إبراهيم آمال ٱلله", "احمد ابراهيم امال الله"),
        # alef maqsura, ta marbuta, hamza on waw and on yeh
        ("مستشفى", "مستشفي"),
        ("منظومة", "منظومه"),
        ("مؤسسة", "موسسه"),
        ("إسرائيل", "اسراييل"),
        # a lone hamza stays
        ("سماء", "سماء"),
        # diacritics: harakat, tanween, shadda, sukun, superscript alef, Quranic marks
        ("تَعَلَّمْتُ كِتَابًا هٰذا", "تعلمت كتابا هذا"),
        ("ٱلرَّحْمَٰنِۖ", "الرحمن"),
        # tatweel, including one used as a dash
        ("مـــنظومة", "منظومه"),
        ("أس ـ 400", "اس 400"),
        # invisible controls
        ("إس\u200f-\u200e400\u200b", "اس-400"),
        ("\ufeff\u202bنص\u202c\u2066عربي\u2069\u061c\u00ad", "نصعربي"),
        # digits
        ("٤٠٠ و۴۰۰ و400", "400 و400 و400"),
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),
        # dashes
        (
            "a-b\u2010c\u2011d\u2012e\u2013f\u2014g\u2015h\u2212i\ufe63j\uff0dk",
            "a-b-c-d-e-f-g-h-i-j-k",
        ),
        # quotes
        ("\"a\" “b” „c“ «d» »e« ‹f› ″g″ ‶h‶ 'i' ‘j’", '"a" "b" "c" "d" "e" "f" "g" "h" "i" "j"'),
        # Latin case, presentation forms, fullwidth, ligatures
        ("S-400 ROSOBORONEXPORT", "s-400 rosoboronexport"),
        ("ﺇﺱ-400", "اس-400"),
        ("ﻹ", "لا"),
        ("Ｓ－４００", "s-400"),
        ("ﬁne", "fine"),
        # whitespace runs, stripped
        ("  إس\t\t400 \n\n منظومة  ", "اس 400 منظومه"),
        ("\u00a0\u2009\u3000", ""),
        ("", ""),
    ],
)
def test_normalize_folds(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    assert normalize_with_map(raw)[0] == expected


def test_hamza_variants_of_one_word_agree() -> None:
    forms = ["إس-400", "أس-400", "اس-400", "آس-400", "ٱس-400", "إِسْ‑٤٠٠", "اس–۴۰۰"]
    assert {normalize(f) for f in forms} == {"اس-400"}


def test_rosoboronexport_hamza_choices_agree() -> None:
    assert normalize("روس أوبورون إكسبورت") == normalize("روس اوبورون اكسبورت")
    assert normalize("روس أوبورون أكسبورت") == "روس اوبورون اكسبورت"


def test_map_points_at_source_characters() -> None:
    text = "\u200fوَ«إس ـ ٤٠٠»  نص"
    norm, mapping = normalize_with_map(text)
    assert norm == 'و"اس 400" نص'
    assert len(mapping) == len(norm) + 1
    assert mapping[-1] == len(text)
    # Each normalized letter comes from the original letter it folds from.
    for i, ch in enumerate(norm):
        if ch != " ":
            assert normalize(text[mapping[i]]) == ch
    # The whitespace run after » maps to its first character.
    space_index = norm.index(" ", norm.index("400"))
    assert text[mapping[space_index]] == " "
    assert text[mapping[space_index] - 1] == "»"


def test_map_for_multi_char_fold() -> None:
    norm, mapping = normalize_with_map("xﻹy")
    assert norm == "xلاy"
    assert mapping == [0, 1, 1, 2, 3]


def test_leading_and_trailing_drops_do_not_shift_the_map() -> None:
    text = " \u200f إس "
    norm, mapping = normalize_with_map(text)
    assert norm == "اس"
    assert text[mapping[0]] == "إ"
    assert mapping[-1] == len(text)


@settings(max_examples=400)
@given(_text)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=400)
@given(_text)
def test_normalize_agrees_with_map_version(text: str) -> None:
    assert normalize(text) == normalize_with_map(text)[0]


@settings(max_examples=400)
@given(_text)
def test_map_is_monotonic_and_in_range(text: str) -> None:
    norm, mapping = normalize_with_map(text)
    assert len(mapping) == len(norm) + 1
    assert mapping[-1] == len(text)
    assert all(0 <= m <= len(text) for m in mapping)
    assert all(a <= b for a, b in zip(mapping, mapping[1:], strict=False))
    assert all(m < len(text) for m in mapping[:-1])


@settings(max_examples=300)
@given(_text)
def test_output_has_no_runs_of_space_and_no_edges(text: str) -> None:
    norm = normalize(text)
    assert "  " not in norm
    assert norm == norm.strip()
    assert "\u0640" not in norm
    assert not any(ch in norm for ch in "أإآٱىةؤئ\u200f\u200e\ufeff\u00ad–—«»“”")
