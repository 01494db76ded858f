"""Arabic word stems: Snowball's Arabic stemmer (PyStemmer), after the definite article.

One stemmer serves the classifier's event cues and the copy test's content tokens, so that
"وصلت" and "تصل", or "المنظومات" and "منظومة", count as one word in both.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

# The article in its joined forms, with a conjunction before it ("وبالمنظومة", "للصفقة"):
# stripped before stemming, because Snowball handles "ال" and "لل" differently after a ة
# (صفقه / الصفقه).
LEADING_ARTICLE = re.compile(r"^[وف]?(?:[بكل]?ال|لل)")
# Stems remembered at most; news vocabulary repeats, so this many is most of a year's words.
MEMO_LIMIT = 200_000


class WordStems:
    """Stems of normalized, cleaned words, memoised: news vocabulary repeats, and stemming is
    on the classifier's and the copy test's hot paths. Build one per user; the stemmer loads
    on first use, so importing this module stays cheap."""

    def __init__(self) -> None:
        self._stemmer: Callable[[str], str] | None = None
        self._memo: dict[str, str] = {}
        # A Snowball stemmer object is not safe to share between threads.
        self._lock = threading.Lock()

    def __call__(self, word: str) -> str:
        got = self._memo.get(word)
        if got is None:
            bare = word
            m = LEADING_ARTICLE.match(word)
            if m and len(word) - m.end() >= 3:
                bare = word[m.end() :]
            with self._lock:
                if self._stemmer is None:
                    import Stemmer

                    self._stemmer = Stemmer.Stemmer("arabic").stemWord
                if len(self._memo) >= MEMO_LIMIT:
                    # A long-lived process (the review site) meets words without end.
                    self._memo.clear()
                got = self._memo[word] = self._stemmer(bare)
        return got
