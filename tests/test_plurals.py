"""Counted nouns in Arabic take the form their number asks for, by CLDR's rule for ``ar``."""

from __future__ import annotations

import pytest

from crawler.text.plurals import NOUNS, arabic_ago, count_of, plural_category


@pytest.mark.parametrize(
    ("n", "category"),
    [
        (0, "zero"),
        (1, "one"),
        (2, "two"),
        (3, "few"),
        (10, "few"),
        (11, "many"),
        (99, "many"),
        (100, "other"),
        (101, "other"),
        (102, "other"),
        (103, "few"),
        (111, "many"),
        (200, "other"),
        (1000, "other"),
        (1011, "many"),
    ],
)
def test_plural_category(n: int, category: str) -> None:
    assert plural_category(n) == category


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "لا تقارير"),
        (1, "تقرير واحد"),
        (2, "تقريران"),
        (3, "3 تقارير"),
        (10, "10 تقارير"),
        (11, "11 تقريراً"),
        (99, "99 تقريراً"),
        (100, "100 تقرير"),
        (105, "105 تقارير"),
        (250, "250 تقريراً"),
    ],
)
def test_reports(n: int, text: str) -> None:
    assert count_of(n, "report") == text


def test_no_noun_says_one_or_two_with_a_plural() -> None:
    for name, noun in NOUNS.items():
        for n in (1, 2):
            said = noun.count(n)
            assert not said[0].isdigit(), (name, said)
        # The few form is a plural, distinct from the singular the hundreds take.
        assert noun.count(3) != noun.count(100).replace("100", "3"), name
        assert noun.count(3).startswith("3 ") and noun.count(11).startswith("11 ")


def test_copies() -> None:
    assert [count_of(n, "copy") for n in (0, 1, 2, 5, 12, 100)] == [
        "لا نسخ",
        "نسخة واحدة",
        "نسختان",
        "5 نسخ",
        "12 نسخة",
        "100 نسخة",
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (30, "الآن"),
        (60, "منذ دقيقة"),
        (120, "منذ دقيقتين"),
        (5 * 60, "منذ 5 دقائق"),
        (3 * 3600, "منذ 3 ساعات"),
        (2 * 86400, "منذ يومين"),
        (15 * 86400, "منذ 15 يوماً"),
        (-2 * 3600, "بعد ساعتين"),
        (-10 * 60, "بعد 10 دقائق"),
    ],
)
def test_ago(seconds: float, text: str) -> None:
    assert arabic_ago(seconds) == text
