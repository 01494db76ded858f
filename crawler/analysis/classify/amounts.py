"""Money amounts: a figure (digits or number words), a magnitude, and a currency.

"2 مليار يورو", "5.4 مليار دولار", "ملياري دولار", "نصف مليار دولار": matched on the folded text,
cut from the original. The words are in `amounts.toml`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from crawler.analysis.classify.lexicon import AmountLexicon
from crawler.analysis.classify.patterns import clean
from crawler.text.arabic import normalize, normalize_with_map_shared


class AmountFinder:
    """Money amounts: a figure (digits or number words), a magnitude, and a currency."""

    def __init__(self, lexicon: AmountLexicon) -> None:
        self.currencies = {normalize(k): v for k, v in lexicon.currencies.items()}
        self.magnitudes = {normalize(k): v for k, v in lexicon.magnitudes.items()}
        self.numbers = {normalize(k): v for k, v in lexicon.numbers.items()}
        self.value_words = frozenset(normalize(x) for x in lexicon.value_words)

        def alt(words: Iterable[str]) -> str:
            return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

        digits = r"\d+(?:[.,٫٬]\d+)*"
        number = rf"(?P<num>{digits}|(?<!\w)(?:{alt(self.numbers)})(?!\w))"
        magnitude = rf"(?:\s*(?P<mag>(?<!\w)(?:[وب]?)(?:{alt(self.magnitudes)})(?!\w)))"
        currency = (
            rf"(?:\s*(?:من\s+)?(?P<cur>(?<!\w)(?:ب?ال|[ب])?(?:{alt(self.currencies)})(?!\w)|[$€]))"
        )
        self.pattern = re.compile(rf"(?:[$€]\s*)?{number}{magnitude}?{currency}?")
        # A lone magnitude with a currency ("مليار دولار") means one of it.
        self.bare = re.compile(rf"(?P<mag>(?<!\w)(?:{alt(self.magnitudes)})(?!\w)){currency}")

    def find(self, text: str) -> list[dict[str, Any]]:
        if not text:
            return []
        norm, mapping = normalize_with_map_shared(text)
        found: list[tuple[int, dict[str, Any]]] = []
        taken: list[tuple[int, int]] = []
        for m in self.pattern.finditer(norm):
            if not (m.group("mag") or m.group("cur")):
                continue
            num = m.group("num")
            if num in self.numbers and not m.group("mag"):
                continue  # "خمسة دولارات" is too small to matter and too easy to misread
            if not m.group("cur"):
                before = norm[: m.start()].split()[-2:]
                if not any(
                    clean(w).lstrip("وب") in self.value_words or clean(w) in self.value_words
                    for w in before
                ):
                    continue
            value = self._value(num, m.group("mag"))
            if value is None:
                continue
            start, end = m.start(), m.end()
            cur: str | None
            if norm[start] in "$€" and not m.group("cur"):
                cur = "USD" if norm[start] == "$" else "EUR"
            else:
                cur = self._currency(m.group("cur")) if m.group("cur") else None
            found.append((start, self._item(text, mapping, start, end, value, cur)))
            taken.append((start, end))
        for m in self.bare.finditer(norm):
            if any(a <= m.start() < b for a, b in taken):
                continue
            value = self._value(None, m.group("mag"))
            if value is None:
                continue
            cur = self._currency(m.group("cur"))
            found.append((m.start(), self._item(text, mapping, m.start(), m.end(), value, cur)))
        found.sort(key=lambda x: x[0])
        out: list[dict[str, Any]] = []
        seen: set[tuple[float, str | None]] = set()
        for _, item in found:
            key = (item["value"], item["currency"])
            if key not in seen:
                seen.add(key)
                out.append(item)
        return out

    @staticmethod
    def _item(
        text: str, mapping: Sequence[int], start: int, end: int, value: float, cur: str | None
    ) -> dict[str, Any]:
        a = mapping[start]
        b = mapping[end - 1] + 1
        return {"text": text[a:b], "value": value, "currency": cur}

    def _value(self, num: str | None, mag: str | None) -> float | None:
        if num is None:
            base = 1.0
        elif num in self.numbers:
            base = self.numbers[num]
        else:
            n = num.replace("٬", ",").replace("٫", ".")
            if re.fullmatch(r"\d{1,3}(?:,\d{3})+", n):
                n = n.replace(",", "")  # thousands separators
            else:
                n = n.replace(",", ".")  # a decimal comma
            try:
                base = float(n)
            except ValueError:
                return None
        if mag:
            if mag not in self.magnitudes:
                mag = mag[1:]  # a joined و or ب
            factor = self.magnitudes.get(mag)
            if factor is None:
                return None
            if num is not None and factor in (2e3, 2e6, 2e9):
                # A dual carries its 2 ("ملياري دولار"); with a figure before it
                # the figure counts, not the dual.
                factor /= 2
            base *= factor
        return base

    def _currency(self, cur: str) -> str | None:
        if cur in ("$", "€"):
            return "USD" if cur == "$" else "EUR"
        for prefix in ("بال", "ال", "ب", ""):
            if cur.startswith(prefix) and cur[len(prefix) :] in self.currencies:
                return self.currencies[cur[len(prefix) :]]
        return self.currencies.get(cur)
