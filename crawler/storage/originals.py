"""Finding the stored original of a new text: the same hash, or else a candidate whose scores
confirm it (`crawler.storage.dedup`).

Candidates come two ways. LSH band keys find near copies, which share 3-word shingles. A
re-edited copy (cut, re-ordered, clauses rewritten, its own headline and dateline) shares so
few shingles with its original that the two share no band bucket, so the originals published
within WINDOW of the new text are candidates too: syndication happens within days. At most
MAX_WINDOW_CANDIDATES of them, the most recent, and only those whose content-token sets pass
the cheap half of the re-edited-copy rule (containment and length ratio, a set intersection on
cached sets) are scored in full. Only relevant articles are stored, so a window rarely holds
more than a few tens of originals; the bound keeps the worst case at a few milliseconds
(docs/benchmarks.md). Originals with no publication date are found by LSH only.

Everything here reads, inside the storing transaction; :class:`OriginalFinder` keeps the
shingle sets and content-token sets of recent originals, since a story's original is a
candidate for each of its copies.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from crawler.storage.dedup import (
    Fingerprint,
    Scores,
    Shingled,
    content_tokens,
    is_near_duplicate,
    may_be_re_edited,
    scores,
    shingled,
    token_overlap,
)
from crawler.storage.models import Article

# How many LSH candidates are confirmed against the stored text, most shared bands first.
MAX_CANDIDATES = 20
# Originals whose shingle sets are kept between stores (a few tens of KB each).
SHINGLE_CACHE_SIZE = 256
# Re-edited copies are looked for among the originals published this close to the new text
# (its publication time, else its fetch time), the most recent MAX_WINDOW_CANDIDATES of them.
WINDOW = timedelta(days=3)
MAX_WINDOW_CANDIDATES = 200
# Originals whose content-token sets are kept (a few KB each): more than a full window, so a
# busy window is read from the database once.
TOKEN_CACHE_SIZE = 2 * MAX_WINDOW_CANDIDATES

TokenSet = tuple[frozenset[str], int]


@dataclass(frozen=True)
class Original:
    """The columns of a stored original that storing a copy of it reads."""

    id: int
    published_at: datetime | None
    published_precision: str | None
    development_id: int | None
    topics: list[str]
    countries: list[str]
    evidence: dict[str, str]
    # An analyst's verdict on the story: its copies inherit it.
    not_relevant: bool = False


# Read with the candidate lookup itself: an ORM load would also read the article's text.
_ORIGINAL_COLUMNS = (
    Article.id,
    Article.published_at,
    Article.published_precision,
    Article.development_id,
    Article.topics,
    Article.countries,
    Article.evidence,
    Article.not_relevant,
)


class OriginalFinder:
    def __init__(self) -> None:
        self._shingle_cache: OrderedDict[tuple[int, str], Shingled] = OrderedDict()
        self._shingle_lock = threading.Lock()
        self._token_cache: OrderedDict[tuple[int, str], TokenSet] = OrderedDict()

    def find(
        self, session: Session, fp: Fingerprint, at: datetime | None = None
    ) -> tuple[Original | None, Scores | None]:
        """The original `fp` is a copy of, with the scores that decided it, or (None, None).

        `at` is when the new text was published (else fetched); without it only the hash and
        the LSH candidates are looked at.
        """
        # Plain column reads on the session's connection: the ORM's per-statement bookkeeping
        # cost more than the queries themselves, and nothing is pending to flush here.
        conn = session.connection()
        exact = conn.execute(_original_by_hash(), {"digest": fp.content_hash}).first()
        if exact is not None:
            return Original(*exact), Scores(1.0, 1.0)
        candidates: dict[int, str] = {}
        if fp.band_keys:
            params: dict[str, int] = {}
            for i, (band, bucket) in enumerate(fp.band_keys):
                params[f"b{i}"], params[f"k{i}"] = band, bucket
            candidate_ids = list(
                conn.scalars(_candidates_sql(len(fp.band_keys)), {**params, "n": MAX_CANDIDATES})
            )
            if candidate_ids:
                digests = dict(conn.execute(_original_digests(), {"ids": candidate_ids}).all())
                # Most shared LSH bands first.
                candidates = {i: digests[i] for i in candidate_ids if i in digests}
        recent: list[tuple[int, str]] = []
        if at is not None:
            window = {"lo": at - WINDOW, "hi": at + WINDOW, "n": MAX_WINDOW_CANDIDATES}
            recent = [
                (i, digest)
                for i, digest in conn.execute(_recent_originals(), window).all()
                if i not in candidates
            ]
        if not candidates and not recent:
            return None, None
        new_text = shingled(fp.normalized)
        if recent:
            tokens = self._token_sets(session, recent)
            new_tokens = (new_text.token_set, len(new_text.tokens))
            for i, digest in recent:
                if may_be_re_edited(*token_overlap(*new_tokens, *tokens[i])):
                    candidates[i] = digest
        # The first candidate that is confirmed is the original.
        for article_id, digest in candidates.items():
            stored = self._shingled(session, article_id, digest)
            sc = scores(new_text, stored, lead_if_needed=True)
            if is_near_duplicate(sc):
                columns = conn.execute(_original_by_id(), {"id": article_id}).one()
                return Original(*columns), sc
        return None, None

    def _token_sets(
        self, session: Session, originals: list[tuple[int, str]]
    ) -> dict[int, TokenSet]:
        """Stored originals' content-token sets and counts; the texts not cached are read in one
        query."""
        out: dict[int, TokenSet] = {}
        with self._shingle_lock:
            for key in originals:
                cached = self._token_cache.get(key)
                if cached is not None:
                    self._token_cache.move_to_end(key)
                    out[key[0]] = cached
        missing = [i for i, _ in originals if i not in out]
        if not missing:
            return out
        texts = session.connection().execute(_normalized_texts_by_ids(), {"ids": missing}).all()
        digests = dict(originals)
        with self._shingle_lock:
            for article_id, normalized in texts:
                tokens = content_tokens(normalized or "")
                value = out[article_id] = (frozenset(tokens), len(tokens))
                self._token_cache[(article_id, digests[article_id])] = value
            while len(self._token_cache) > TOKEN_CACHE_SIZE:
                self._token_cache.popitem(last=False)
        return out

    def _shingled(self, session: Session, article_id: int, digest: str) -> Shingled:
        """A stored original's shingle set; its text is read only when it is not cached."""
        key = (article_id, digest)
        with self._shingle_lock:
            cached = self._shingle_cache.get(key)
            if cached is not None:
                self._shingle_cache.move_to_end(key)
                return cached
        value = shingled(
            session.connection().scalar(_normalized_text_by_id(), {"id": article_id}) or ""
        )
        with self._shingle_lock:
            self._shingle_cache[key] = value
            while len(self._shingle_cache) > SHINGLE_CACHE_SIZE:
                self._shingle_cache.popitem(last=False)
        return value


@lru_cache(maxsize=8)
def _candidates_sql(pairs: int) -> Any:
    """Originals sharing LSH buckets with a new text, most shared first.

    One primary-key point lookup per band, joined by UNION ALL: the steadiest of the forms
    measured at a million articles on SQLite (docs/benchmarks.md); PostgreSQL plans it the same.
    """
    one = "SELECT article_id FROM lsh_bands WHERE band = :b{i} AND bucket = :k{i}"
    union = " UNION ALL ".join(one.format(i=i) for i in range(pairs))
    return sql_text(
        f"SELECT article_id FROM ({union}) AS shared_buckets "
        "GROUP BY article_id ORDER BY COUNT(*) DESC, article_id LIMIT :n"
    )


@lru_cache(maxsize=1)
def _original_by_hash() -> Any:
    return select(*_ORIGINAL_COLUMNS).where(
        Article.content_hash == bindparam("digest"), Article.duplicate_of.is_(None)
    )


@lru_cache(maxsize=1)
def _original_digests() -> Any:
    return select(Article.id, Article.content_hash).where(
        Article.id.in_(bindparam("ids", expanding=True)), Article.duplicate_of.is_(None)
    )


@lru_cache(maxsize=1)
def _normalized_text_by_id() -> Any:
    return select(Article.normalized_text).where(Article.id == bindparam("id"))


@lru_cache(maxsize=1)
def _recent_originals() -> Any:
    return (
        select(Article.id, Article.content_hash)
        .where(
            Article.duplicate_of.is_(None),
            Article.published_at.between(bindparam("lo"), bindparam("hi")),
        )
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(bindparam("n"))
    )


@lru_cache(maxsize=1)
def _normalized_texts_by_ids() -> Any:
    return select(Article.id, Article.normalized_text).where(
        Article.id.in_(bindparam("ids", expanding=True))
    )


@lru_cache(maxsize=1)
def _original_by_id() -> Any:
    return select(*_ORIGINAL_COLUMNS).where(Article.id == bindparam("id"))
