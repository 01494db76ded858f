"""Finding the stored original of a new text: the same hash, or else an LSH candidate whose
shingles confirm it (`crawler.storage.dedup`).

Everything here reads, inside the storing transaction; :class:`OriginalFinder` keeps the
shingle sets of recent originals, since a story's original is a candidate for each of its
copies.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from crawler.storage.dedup import Fingerprint, Scores, Shingled, is_near_duplicate, scores, shingled
from crawler.storage.models import Article

# How many LSH candidates are confirmed against the stored text, most shared bands first.
MAX_CANDIDATES = 20
# Originals whose shingle sets are kept between stores (a few tens of KB each).
SHINGLE_CACHE_SIZE = 256


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


# Read with the candidate lookup itself: an ORM load would also read the article's text.
_ORIGINAL_COLUMNS = (
    Article.id,
    Article.published_at,
    Article.published_precision,
    Article.development_id,
    Article.topics,
    Article.countries,
    Article.evidence,
)


class OriginalFinder:
    def __init__(self) -> None:
        self._shingle_cache: OrderedDict[tuple[int, str], Shingled] = OrderedDict()
        self._shingle_lock = threading.Lock()

    def find(self, session: Session, fp: Fingerprint) -> tuple[Original | None, Scores | None]:
        """The original `fp` is a copy of, with the scores that decided it, or (None, None)."""
        # Plain column reads on the session's connection: the ORM's per-statement bookkeeping
        # cost more than the queries themselves, and nothing is pending to flush here.
        conn = session.connection()
        exact = conn.execute(_original_by_hash(), {"digest": fp.content_hash}).first()
        if exact is not None:
            return Original(*exact), Scores(1.0, 1.0)
        if not fp.band_keys:
            return None, None
        params: dict[str, int] = {}
        for i, (band, bucket) in enumerate(fp.band_keys):
            params[f"b{i}"], params[f"k{i}"] = band, bucket
        candidate_ids = list(
            conn.scalars(_candidates_sql(len(fp.band_keys)), {**params, "n": MAX_CANDIDATES})
        )
        if not candidate_ids:
            return None, None
        digests = dict(conn.execute(_original_digests(), {"ids": candidate_ids}).all())
        new_text = shingled(fp.normalized)
        # Most shared LSH bands first: the first candidate that is confirmed is the original.
        for article_id in candidate_ids:
            if article_id not in digests:
                continue
            stored = self._shingled(session, article_id, digests[article_id])
            sc = scores(new_text, stored, lead_if_needed=True)
            if is_near_duplicate(sc):
                columns = conn.execute(_original_by_id(), {"id": article_id}).one()
                return Original(*columns), sc
        return None, None

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
def _original_by_id() -> Any:
    return select(*_ORIGINAL_COLUMNS).where(Article.id == bindparam("id"))
