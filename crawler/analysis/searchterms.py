"""The search form of a text, with every spelling of a watched name folded to one.

The index and the queries both go through :func:`search_tokens`, so "Rosoboronexport",
"روس أوبورون إكسبورت" and "روسوبورون إكسبورت" are the same words to search, and so are "S-400",
"س-400" and "إس ٤٠٠". What counts as a spelling is the built-in matcher's knowledge (its
variants, its fuzzy fallback for typos, its look-alike rules); the config's watchlist is left
out, so that the stored index does not depend on the config it was built under. An alias
(Triumf) is not a spelling and is indexed as written.

Each name is indexed as the words of one Arabic spelling, so a query for a part of the name
("روسوبورون") finds every article that names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from crawler.analysis.matcher import ROSOBORONEXPORT, S400, Matcher
from crawler.text.arabic import normalize_with_map_shared
from crawler.text.searchform import search_form_of_normalized, token_spans

# The spelling each name is indexed as (it goes through the search form like any text).
SPELLINGS = {S400: "اس 400", ROSOBORONEXPORT: "روسوبورون اكسبورت"}


@cache
def _matcher() -> Matcher:
    return Matcher()


def folds(text: str) -> list[tuple[int, int, str]]:
    """(start, end, spelling) in `normalize(text)` of each watched name in `text`."""
    return [(s, e, SPELLINGS[term]) for s, e, term in _matcher().spellings(text)]


def search_tokens(text: str) -> tuple[str, Sequence[int], list[tuple[str, int, int]]]:
    """`text` normalized, its map back to `text`, and its (search token, start, end)."""
    normalized, mapping = normalize_with_map_shared(text)
    return normalized, mapping, token_spans(normalized, folds(text))


def search_form(text: str | None) -> str:
    """What is indexed for a title or body: its search tokens joined by spaces."""
    text = text or ""
    return search_form_of_normalized(normalize_with_map_shared(text)[0], folds(text))
