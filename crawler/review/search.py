"""Arabic full-text search over stored articles: SQLite FTS5 or a PostgreSQL tsvector.

Both databases index the *search form* of an article, computed in Python by
:func:`search_form` and kept in the ``articles.search_title`` / ``articles.search_body``
columns; triggers created by migration 0002 copy it into ``articles_fts`` on every insert,
update and delete. Queries go through the same function, so spelling variants fold alike:

- :func:`crawler.text.arabic.normalize` (hamza/alef, ة/ه, ى/ي, diacritics, tatweel, digits);
- every non-alphanumeric character becomes a space, so "اس-400", "اس 400" and "اس400"
  are the same two tokens (FTS5 and PostgreSQL would otherwise split them differently);
- a light proclitic strip (و, the article ال and its بال/لل forms, a leading ب/ل on long
  words), so "الهند", "والهند" and "للهند" index alike. Both sides are stripped the same
  way, which keeps phrase adjacency intact.

Matches are highlighted in the *original* text: :func:`find_spans` tokenizes the
normalized text with an offset map back to the original.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Float, column, func, literal_column, select, table
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from crawler.analysis.searchterms import search_tokens
from crawler.review.queries import ArticleFilter, article_json, ruled_out_ids, select_articles
from crawler.storage.models import Article
from crawler.text.arabic import normalize
from crawler.text.display import merge_spans

_QUOTED = re.compile(r'"([^"]*)"')

# How a title match weighs against a body match (FTS5 bm25 column weights).
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0
DEFAULT_LIMIT = 50
# How many of the newest matching articles are ranked (see search_ids).
RANK_WINDOW = 2000


@dataclass(frozen=True)
class ParsedQuery:
    """A query as groups of tokens: each group must appear as an adjacent phrase."""

    phrases: tuple[tuple[str, ...], ...]

    @property
    def terms(self) -> set[str]:
        return {t for p in self.phrases for t in p}

    def __bool__(self) -> bool:
        return bool(self.phrases)


def parse_query(query: str) -> ParsedQuery:
    """Split a query into phrases.

    Text in double quotes is one phrase. Outside quotes every word is its own term, except
    that a number binds to the word before it: "اس 400" or "سو 35" names one system, and
    must not match an article with "اس" in one place and "400 مليون" in another.
    """
    phrases: list[tuple[str, ...]] = []

    def loose(text: str) -> None:
        current: list[str] = []
        last_span = (-1, -1)
        for tok, start, end in search_tokens(text)[2]:
            # A folded name's words share its span and stay one phrase.
            same_name = (start, end) == last_span
            last_span = (start, end)
            if (tok.isdigit() or same_name) and current:
                current.append(tok)
                continue
            if current:
                phrases.append(tuple(current))
            current = [tok]
        if current:
            phrases.append(tuple(current))

    # Quote-like characters all fold to '"' in normalize, so «...» works as a phrase too.
    folded = normalize(query)
    pos = 0
    for m in _QUOTED.finditer(folded):
        loose(folded[pos : m.start()])
        inner = tuple(tok for tok, _, _ in search_tokens(m.group(1))[2])
        if inner:
            phrases.append(inner)
        pos = m.end()
    loose(folded[pos:].replace('"', " "))
    # The same phrase twice adds nothing but cost.
    return ParsedQuery(tuple(dict.fromkeys(phrases)))


def fts5_match(parsed: ParsedQuery) -> str:
    """An FTS5 MATCH expression: every phrase required. Tokens are alphanumeric only."""
    return " AND ".join('"' + " ".join(p) + '"' for p in parsed.phrases)


def tsquery_text(parsed: ParsedQuery) -> str:
    """A to_tsquery('simple', ...) expression: phrases with <->, joined by &."""

    def lexeme(tok: str) -> str:
        return "'" + tok.replace("'", "''") + "'"

    return " & ".join("(" + " <-> ".join(lexeme(t) for t in p) + ")" for p in parsed.phrases)


@dataclass
class SearchHit:
    article: Article
    rank: float
    snippet: str
    title_spans: list[tuple[int, int]]
    snippet_spans: list[tuple[int, int]]

    def to_json(self, *, with_text: bool = False) -> dict[str, Any]:
        data = article_json(self.article, with_text=with_text)
        data["rank"] = round(self.rank, 1)
        data["snippet"] = self.snippet
        return data


_FTS = table("articles_fts", column("rowid"), column("article_id"), column("document"))


def search_ids(
    session: Session,
    query: str | ParsedQuery,
    flt: ArticleFilter | None = None,
    *,
    offset: int = 0,
    window: int = RANK_WINDOW,
) -> list[tuple[int, float]]:
    """(article id, rank) of matching articles, best first.

    The rank is a score from 0 to 100, the query's best match scoring 100: the raw scores of
    bm25 and ts_rank mean nothing to a reader, and bm25 gives a term found in most articles a
    score of the order of 1e-6.

    ``flt`` filters as ``articles list`` does; its ``limit`` caps the result
    (:data:`DEFAULT_LIMIT` when unset).

    Ranking is exact when at most ``window`` articles match. Beyond that, the newest
    ``window`` matches (by article id, i.e. by arrival) are ranked: a query such as "اس 400"
    matches nearly every stored article, and scoring all of them would cost time in
    proportion to the whole database.
    """
    parsed = parse_query(query) if isinstance(query, str) else query
    if not parsed:
        return []
    flt = flt or ArticleFilter()
    limit = flt.limit or DEFAULT_LIMIT
    window = max(window, limit + offset)
    # The user's filters only; what an analyst ruled out is left out by id, below, so that a
    # search without filters still never reads the articles table.
    filtered = select_articles(replace(flt, limit=None), with_ruled_out=True)
    conditions = [filtered.whereclause] if filtered.whereclause is not None else []
    if session.get_bind().dialect.name == "sqlite":
        # bm25() is negative (smaller is better) and exists only inside the FTS5 query.
        key = _FTS.c.rowid
        bm25 = func.bm25(literal_column("articles_fts"), TITLE_WEIGHT, BODY_WEIGHT)
        inner = (
            select(key.label("id"), (-bm25).label("rank"))
            .select_from(_FTS)
            .where(literal_column("articles_fts").op("MATCH")(fts5_match(parsed)))
        )
    else:
        # psycopg prepares a statement after a few runs, and a generic plan cannot know that
        # "اس 400" matches everything while "سينوب" matches a handful: the first wants the
        # newest-first scan, the second the GIN index. Plan each search for its own terms.
        session.execute(sql_text("SET LOCAL plan_cache_mode = force_custom_plan"))
        key = _FTS.c.article_id
        q = func.to_tsquery("simple", tsquery_text(parsed))
        inner = select(
            key.label("id"), func.ts_rank(_FTS.c.document, q, 1, type_=Float).label("rank")
        ).where(_FTS.c.document.op("@@")(q))
    inner = inner.where(key.not_in(ruled_out_ids()))
    if conditions:
        # The articles row is read only when a filter needs it: its text columns are large.
        inner = inner.join(Article, Article.id == key).where(*conditions)
    candidates = inner.order_by(key.desc()).limit(window).subquery()
    # The best over every candidate, not this page's: page 2 goes on from page 1's scores.
    best = func.max(candidates.c.rank).over()
    stmt = (
        select(candidates.c.id, candidates.c.rank, best)
        .order_by(candidates.c.rank.desc(), candidates.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(row[0], score(row[1], row[2])) for row in session.execute(stmt)]


def score(rank: float, best: float) -> float:
    """``rank`` as a score from 0 to 100 against the ``best`` rank of the same query."""
    return 100.0 * float(rank) / float(best) if best and best > 0 else 0.0


def search(
    session: Session,
    query: str,
    flt: ArticleFilter | None = None,
    *,
    offset: int = 0,
    snippet_width: int = 200,
) -> list[SearchHit]:
    """Ranked hits with their articles, a snippet of the body and the match spans."""
    parsed = parse_query(query)
    ranked = search_ids(session, parsed, flt, offset=offset)
    if not ranked:
        return []
    articles = {
        a.id: a
        for a in session.scalars(select(Article).where(Article.id.in_([i for i, _ in ranked])))
    }
    hits = []
    for article_id, rank in ranked:
        article = articles[article_id]
        body_spans = find_spans(article.text, parsed)
        snippet, snippet_spans = make_snippet(article.text, body_spans, snippet_width)
        hits.append(
            SearchHit(article, rank, snippet, find_spans(article.title, parsed), snippet_spans)
        )
    return hits


def find_spans(text: str, query: str | ParsedQuery) -> list[tuple[int, int]]:
    """Where the query's phrases occur in the original ``text``: sorted (start, end) spans.

    A phrase's span runs from its first token to its last, so "إس-400" is one highlight.
    """
    parsed = parse_query(query) if isinstance(query, str) else query
    if not parsed or not text:
        return []
    _, mapping, toks = search_tokens(text)
    spans: list[tuple[int, int]] = []
    stems = [t[0] for t in toks]
    for phrase in parsed.phrases:
        n = len(phrase)
        for i in range(len(toks) - n + 1):
            if tuple(stems[i : i + n]) == phrase:
                start = mapping[toks[i][1]]
                # The last normalized char's source index, plus one: the exclusive end.
                end = mapping[toks[i + n - 1][2] - 1] + 1
                spans.append((start, end))
    return merge_spans(spans)


def make_snippet(
    text: str, spans: Sequence[tuple[int, int]], width: int = 200
) -> tuple[str, list[tuple[int, int]]]:
    """A window of about ``width`` characters around the first match, with the match spans
    shifted into it. Without a body match, the opening of the text."""
    flat = text.replace("\n", " ")
    if not spans:
        cut = flat[:width]
        return (cut + "…" if len(flat) > width else cut), []
    first = spans[0][0]
    start = max(0, first - width // 3)
    # Start on a word boundary, so the snippet does not open mid-word.
    if start > 0:
        space = flat.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and first - space < width // 2 else start
    end = min(len(flat), start + width)
    if end < len(flat):
        space = flat.rfind(" ", start + width // 2, end)
        end = space if space > 0 else end
    inside = [(s - start, min(e, end) - start) for s, e in spans if s >= start and s < end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    shift = len(prefix)
    return prefix + flat[start:end] + suffix, [(s + shift, e + shift) for s, e in inside]
