"""The search form of Arabic text: what the full-text index holds and what a query is folded to.

Storing computes it for every article and searching for every query, so that spelling variants
fold alike on both sides (see `crawler.review.search`):

- :func:`crawler.text.arabic.normalize` (hamza/alef, ة/ه, ى/ي, diacritics, tatweel, digits);
- every non-alphanumeric character becomes a space, so "اس-400", "اس 400" and "اس400"
  are the same two tokens (FTS5 and PostgreSQL would otherwise split them differently);
- a light proclitic strip (و, the article ال and its بال/لل forms, a leading ب/ل on long
  words), so "الهند", "والهند" and "للهند" index alike;
- Latin system designators before a number take their Arabic spelling ("S-400" as "اس 400");
- spans the caller names (the watched names, found by `crawler.analysis.searchterms`, which
  `text` may not import) are indexed as one spelling of the name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A token is a run of letters or a run of digits: the boundary between "اس" and "400" splits.
_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_ARTICLE_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")


def stem(token: str) -> str:
    """Strip the commonest Arabic proclitics from one normalized token.

    Deliberately light: only prefixes, and only when enough of the word remains, so that
    short words ("ولد", "بلد") survive. Exactness is not the aim; folding both the index and
    the query the same way is.
    """
    if token.isdigit() or not token:
        return token
    if token.startswith("و") and len(token) >= 4:
        token = token[1:]
    for prefix in _ARTICLE_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 2:
            return token[len(prefix) :]
    if token[0] in "بلفك" and len(token) >= 5:
        return token[1:]
    return token


# Latin system designators as Arabic news transliterates them, when a number follows: a
# query for "S-400" finds "إس-400" and the other way round (index and query fold alike).
_LATIN_DESIGNATORS = {"s": "اس", "su": "سو", "f": "اف", "mig": "ميغ", "t": "تي"}


def token_spans(
    normalized: str, folds: Sequence[tuple[int, int, str]] = ()
) -> list[tuple[str, int, int]]:
    """(search token, start, end) in normalized text: what is indexed and what is highlighted.

    ``folds`` are sorted, disjoint (start, end, spelling) spans of ``normalized``: every token
    that overlaps one (a proclitic glued to it included) gives way to the tokens of its
    ``spelling``, each spanning the fold, so that all the ways of writing a name index alike.
    """
    found = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(normalized)]
    out: list[tuple[str, int, int]] = []
    pending = iter(folds)
    fold = next(pending, None)
    for i, (tok, start, end) in enumerate(found):
        while fold is not None and fold[1] <= start:
            fold = next(pending, None)
        if fold is not None and fold[0] < end:
            if not out or out[-1][1:] != (fold[0], fold[1]):
                out += [(t, fold[0], fold[1]) for t, _, _ in token_spans(fold[2])]
            continue
        arabic = _LATIN_DESIGNATORS.get(tok)
        if arabic is not None and i + 1 < len(found) and found[i + 1][0].isdigit():
            tok = arabic
        out.append((stem(tok), start, end))
    return out


def search_form_of_normalized(normalized: str, folds: Sequence[tuple[int, int, str]] = ()) -> str:
    """What is indexed for a normalized title or body: its search tokens joined by spaces."""
    return " ".join(tok for tok, _, _ in token_spans(normalized, folds))
