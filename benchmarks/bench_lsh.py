"""Near-duplicate lookup latency against a large LSH band index, and the index's size.

Builds a database with the real schema (Alembic migrations), bulk-loads N articles and their
64 band keys each, then times the lookup a crawl makes for every relevant page:

- ``find_original``: ``crawler.storage.originals.OriginalFinder.find`` itself, on a fresh session per
  lookup (exact-hash query, the LSH candidate query, loading candidates, scoring them);
- the candidate SQL alone, as the store builds it (SQLAlchemy ``or_`` of 64
  ``band = ? AND bucket = ?`` pairs), and alternative formulations of the same query run side by
  side, through the raw DB-API cursor: ``or`` (the same SQL, pre-rendered), ``values-join``,
  ``union-all``, ``row-in`` and, on PostgreSQL, ``unnest-join``.

The corpus: ``R`` real texts (the labelled dev corpus plus ``benchmarks.sitegen`` reports) whose
band keys come from ``crawler.storage.dedup.band_keys(signature(normalize(text)))``, and N - R filler
articles with random 64-bit buckets (a filler row never collides, so the candidates found are
the same at every N and only the index depth changes). Looked up: an edited near-copy of each
real text (a hit) and as many unseen texts (mostly misses).

Bulk load: raw DB-API ``executemany`` in one transaction, ``PRAGMA synchronous = OFF`` and no
journal for the load only; rows go in band/bucket order and the ``article_id`` index is built
after the load, which is the fast way to fill a B-tree. The production pragmas (WAL) are set
back before timing.

    python -m benchmarks.bench_lsh                       # 10k and 200k articles (SQLite)
    python -m benchmarks.bench_lsh --sizes 10000 1000000 # the issue's sizes
    python -m benchmarks.bench_lsh --pg                  # the same on PostgreSQL
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SIZES = (10_000, 200_000)
FULL_SIZES = (10_000, 1_000_000)
REAL_TEXTS = 300
TARGET_P50_MS = 2.0
TARGET_RATIO = 3.0
LSH_OBJECTS = ("lsh_bands", "sqlite_autoindex_lsh_bands_1", "ix_lsh_bands_article_id")
ORDER_LIMIT = "GROUP BY article_id ORDER BY shared DESC, article_id LIMIT {limit}"


# --- texts ------------------------------------------------------------------------------------


@dataclass
class Texts:
    stored: list[str]  # normalized texts stored as articles 1..R
    hits: list[str]  # an edited near-copy of each stored text
    misses: list[str]  # texts never stored


def _split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"(?<=[.!؟?])\s+|\n+", text) if p.strip()]
    return parts or [text]


def _edit(rng: random.Random, text: str) -> str:
    """A copy-desk edit: drop a sentence, add an own lead, append a "read also" line."""
    sentences = _split_sentences(text)
    if len(sentences) > 3:
        del sentences[rng.randrange(1, len(sentences))]
    sentences.insert(0, "نقلت وكالات الأنباء تفاصيل جديدة عن الملف الذي يثير اهتماماً واسعاً.")
    sentences.append("اقرأ أيضاً: تفاصيل الصفقات العسكرية الأبرز هذا العام")
    return " ".join(sentences)


def load_texts(real: int = REAL_TEXTS, seed: int = 7) -> Texts:
    """``real`` stored texts, their near-copies, and ``real`` unseen texts (normalized)."""
    from benchmarks.eval import dev_corpus, read_jsonl
    from benchmarks.sitegen import generate_specs
    from crawler.text.arabic import normalize

    raw: list[str] = []
    if dev_corpus().is_file():
        for row in read_jsonl(dev_corpus()):
            body = row.get("body") or ""
            if len(body.split()) >= 40:
                raw.append(body)
    specs = [s for s in generate_specs(4 * real + 400, seed=seed) if s.expected.dup_of is None]
    raw += ["\n".join(s.paragraphs) for s in specs]
    # Keep texts with distinct content hashes only, as the store would.
    seen: set[str] = set()
    unique: list[str] = []
    for text in raw:
        norm = normalize(text)
        key = hashlib.sha256(norm.encode()).hexdigest()
        if key not in seen and len(norm.split()) >= 25:
            seen.add(key)
            unique.append(norm)
    if len(unique) < 2 * real:
        raise RuntimeError(f"only {len(unique)} distinct texts for {real} real articles")
    rng = random.Random(seed)
    stored, misses = unique[:real], unique[real : 2 * real]
    hits = [normalize(_edit(rng, t)) for t in stored]
    return Texts(stored, hits, misses)


# --- loading ----------------------------------------------------------------------------------


@dataclass
class Loaded:
    url: str
    n: int
    load_seconds: float
    index_bytes: int
    index_detail: dict[str, int] = field(default_factory=dict)

    @property
    def bytes_per_article(self) -> float:
        return self.index_bytes / self.n


def _article_row(i: int, norm: str, chash: str) -> tuple[Any, ...]:
    return (i, f"https://bench.example/a/{i}", "bench", "", norm, norm, chash, 1)


ARTICLE_INSERT = (
    "INSERT INTO articles (id, url, source, title, text, normalized_text, content_hash, revision,"
    " fetched_at, updated_at, terms, topics, countries, evidence, amounts)"
    " VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {now}, {now}, '[]', '[]', '[]', '{{}}', '[]')"
)


def _article_rows(n: int, texts: Texts) -> Iterator[tuple[Any, ...]]:
    from crawler.storage.dedup import content_hash

    for i, norm in enumerate(texts.stored, start=1):
        yield _article_row(i, norm, content_hash(norm))
    for i in range(len(texts.stored) + 1, n + 1):
        yield _article_row(i, "", hashlib.sha256(str(i).encode()).hexdigest())


def _band_columns(n: int, texts: Texts, seed: int) -> Iterator[tuple[int, list[int], list[int]]]:
    """(band, buckets, article ids) per band, sorted by bucket: the primary key's order."""
    import numpy as np

    from crawler.storage.dedup import BANDS, band_keys, signature

    real = np.array(
        [[bucket for _band, bucket in band_keys(signature(t))] for t in texts.stored],
        dtype=np.int64,
    ).reshape(len(texts.stored), BANDS)
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1, dtype=np.int64)
    for band in range(BANDS):
        buckets = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, n, dtype=np.int64)
        buckets[: len(real)] = real[:, band]
        order = np.lexsort((ids, buckets))
        yield band, buckets[order].tolist(), ids[order].tolist()


def load_sqlite(path: Path, n: int, texts: Texts, seed: int = 11) -> Loaded:
    import sqlite3

    from crawler.storage.db import open_database

    url = f"sqlite:///{path}"
    open_database(url).dispose()  # the real schema, by the migrations
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    conn.execute("BEGIN")
    conn.execute("DROP INDEX ix_lsh_bands_article_id")
    conn.executemany(ARTICLE_INSERT.format(p="?", now="CURRENT_TIMESTAMP"), _article_rows(n, texts))
    for band, buckets, ids in _band_columns(n, texts, seed):
        conn.executemany(
            "INSERT INTO lsh_bands (band, bucket, article_id) VALUES (?, ?, ?)",
            zip([band] * len(ids), buckets, ids, strict=True),
        )
    conn.execute("CREATE INDEX ix_lsh_bands_article_id ON lsh_bands (article_id)")
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    load_seconds = time.perf_counter() - started
    detail = dict(
        conn.execute(
            f"SELECT name, SUM(pgsize) FROM dbstat WHERE name IN ({','.join('?' * 3)}) "
            "GROUP BY name",
            LSH_OBJECTS,
        ).fetchall()
    )
    conn.close()
    return Loaded(url, n, load_seconds, sum(detail.values()), detail)


def load_postgres(url: str, n: int, texts: Texts, seed: int = 11) -> Loaded:
    import psycopg

    from crawler.storage.db import open_database

    open_database(url).dispose()
    started = time.perf_counter()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("DROP INDEX ix_lsh_bands_article_id")
        conn.execute("ALTER TABLE lsh_bands DROP CONSTRAINT lsh_bands_pkey")
        conn.execute("ALTER TABLE lsh_bands DROP CONSTRAINT lsh_bands_article_id_fkey")
        with conn.cursor().copy(
            "COPY articles (id, url, source, title, text, normalized_text, content_hash,"
            " revision, fetched_at, updated_at, terms, topics, countries, evidence, amounts)"
            " FROM STDIN"
        ) as copy:
            for row in _article_rows(n, texts):
                copy.write_row((*row, "now", "now", "[]", "[]", "[]", "{}", "[]"))
        with conn.cursor().copy("COPY lsh_bands (band, bucket, article_id) FROM STDIN") as copy:
            for band, buckets, ids in _band_columns(n, texts, seed):
                for bucket, article_id in zip(buckets, ids, strict=True):
                    copy.write_row((band, bucket, article_id))
        conn.execute("ALTER TABLE lsh_bands ADD PRIMARY KEY (band, bucket, article_id)")
        conn.execute("CREATE INDEX ix_lsh_bands_article_id ON lsh_bands (article_id)")
        conn.execute(
            "ALTER TABLE lsh_bands ADD CONSTRAINT lsh_bands_article_id_fkey FOREIGN KEY "
            "(article_id) REFERENCES articles (id) ON DELETE CASCADE"
        )
        conn.execute(f"SELECT setval(pg_get_serial_sequence('articles', 'id'), {n})")
        conn.commit()
        conn.execute("ANALYZE articles")
        conn.execute("ANALYZE lsh_bands")
        conn.commit()
        total = conn.execute("SELECT pg_total_relation_size('lsh_bands')").fetchone()
        heap = conn.execute("SELECT pg_relation_size('lsh_bands')").fetchone()
    load_seconds = time.perf_counter() - started
    assert total is not None and heap is not None
    return Loaded(url, n, load_seconds, int(total[0]), {"heap": heap[0], "total": total[0]})


# --- the lookups ------------------------------------------------------------------------------


def _keys(norm: str) -> list[tuple[int, int]]:
    from crawler.storage.dedup import band_keys, signature

    return band_keys(signature(norm))


def candidate_sql(variant: str, n_keys: int, param: str, limit: int) -> str:
    """The candidate query in one formulation, for DB-API placeholders ``param``."""
    tail = ORDER_LIMIT.format(limit=limit)
    pair = f"({param}, {param})"
    if variant == "or":
        where = " OR ".join([f"(band = {param} AND bucket = {param})"] * n_keys)
        return f"SELECT article_id, COUNT(*) AS shared FROM lsh_bands WHERE {where} {tail}"
    if variant == "values-join":
        values = ", ".join([pair] * n_keys)
        return (
            f"WITH k(band, bucket) AS (VALUES {values}) "
            "SELECT l.article_id AS article_id, COUNT(*) AS shared FROM k "
            "JOIN lsh_bands l ON l.band = k.band AND l.bucket = k.bucket "
            f"GROUP BY l.article_id ORDER BY shared DESC, l.article_id LIMIT {limit}"
        )
    if variant == "union-all":
        one = f"SELECT article_id FROM lsh_bands WHERE band = {param} AND bucket = {param}"
        union = " UNION ALL ".join([one] * n_keys)
        return f"SELECT article_id, COUNT(*) AS shared FROM ({union}) AS c {tail}"
    if variant == "row-in":
        values = ", ".join([pair] * n_keys)
        return (
            "SELECT article_id, COUNT(*) AS shared FROM lsh_bands "
            f"WHERE (band, bucket) IN (VALUES {values}) {tail}"
        )
    if variant == "unnest-join":  # PostgreSQL: one statement shape for any number of keys
        return (
            "SELECT l.article_id AS article_id, COUNT(*) AS shared "
            "FROM unnest(%s::smallint[], %s::bigint[]) AS k(band, bucket) "
            "JOIN lsh_bands l ON l.band = k.band AND l.bucket = k.bucket "
            f"GROUP BY l.article_id ORDER BY shared DESC, l.article_id LIMIT {limit}"
        )
    raise ValueError(variant)


def _params(variant: str, keys: list[tuple[int, int]]) -> Sequence[Any]:
    if variant == "unnest-join":
        return ([b for b, _ in keys], [k for _, k in keys])
    return [v for pair in keys for v in pair]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return statistics.median(ms), p99


@dataclass
class Timing:
    name: str
    p50: float
    p99: float
    found: int  # lookups that returned something (an original, or a candidate)
    runs: int


def time_find_original(url: str, queries: list[str]) -> tuple[Timing, Timing]:
    """OriginalFinder.find per query, on a new session each: (near-copies, unseen texts)."""
    from crawler.storage.db import Database
    from crawler.storage.dedup import content_hash
    from crawler.storage.store import Fingerprint, Store

    db = Database(url)
    store = Store(db)
    try:
        prints = [Fingerprint(q, content_hash(q), _keys(q)) for q in queries]
        for fp in prints[:20]:  # warm the statement cache and the pages
            with db.read() as session:
                store.originals.find(session, fp)
        samples: list[float] = []
        found: list[bool] = []
        for fp in prints:
            with db.read() as session:
                started = time.perf_counter()
                original, _scores = store.originals.find(session, fp)
                samples.append(time.perf_counter() - started)
            found.append(original is not None)
    finally:
        db.dispose()
    half = len(queries) // 2
    out = []
    for name, part, hits in (
        ("find_original: near-copies", samples[:half], found[:half]),
        ("find_original: unseen texts", samples[half:], found[half:]),
    ):
        p50, p99 = _percentiles(part)
        out.append(Timing(name, p50, p99, sum(hits), len(part)))
    return out[0], out[1]


def time_orm_candidates(url: str, queries: list[str]) -> Timing:
    """The candidate query exactly as OriginalFinder.find builds it (SQLAlchemy or_)."""
    from sqlalchemy import func, or_, select

    from crawler.storage.db import Database
    from crawler.storage.models import LshBand
    from crawler.storage.originals import MAX_CANDIDATES

    db = Database(url)
    keys = [_keys(q) for q in queries]

    def one(session: Any, fp_keys: list[tuple[int, int]]) -> list[Any]:
        conditions = [(LshBand.band == b) & (LshBand.bucket == k) for b, k in fp_keys]
        shared = func.count().label("shared")
        return session.execute(
            select(LshBand.article_id, shared)
            .where(or_(*conditions))
            .group_by(LshBand.article_id)
            .order_by(shared.desc(), LshBand.article_id)
            .limit(MAX_CANDIDATES)
        ).all()

    samples, found = [], 0
    try:
        with db.read() as session:
            for k in keys[:20]:
                one(session, k)
            for k in keys:
                started = time.perf_counter()
                rows = one(session, k)
                samples.append(time.perf_counter() - started)
                found += bool(rows)
    finally:
        db.dispose()
    p50, p99 = _percentiles(samples)
    return Timing("candidates: store's ORM or_", p50, p99, found, len(samples))


@contextlib.contextmanager
def _raw_cursor(url: str) -> Iterator[tuple[Any, str]]:
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            yield conn.cursor(), "?"
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            yield conn.cursor(), "%s"


def time_raw_variants(url: str, queries: list[str], variants: Sequence[str]) -> list[Timing]:
    from crawler.storage.originals import MAX_CANDIDATES

    keys = [_keys(q) for q in queries]
    out = []
    with _raw_cursor(url) as (cur, param):
        for variant in variants:
            samples, found = [], 0
            for i, k in enumerate(keys[:20] + keys):
                sql = candidate_sql(variant, len(k), param, MAX_CANDIDATES)
                started = time.perf_counter()
                cur.execute(sql, _params(variant, k))
                rows = cur.fetchall()
                if i >= 20:
                    samples.append(time.perf_counter() - started)
                    found += bool(rows)
            p50, p99 = _percentiles(samples)
            out.append(Timing(f"candidates: {variant}", p50, p99, found, len(samples)))
    return out


def explain(url: str, variant: str, keys: list[tuple[int, int]]) -> str:
    from crawler.storage.originals import MAX_CANDIDATES

    with _raw_cursor(url) as (cur, param):
        sql = candidate_sql(variant, len(keys), param, MAX_CANDIDATES)
        prefix = "EXPLAIN QUERY PLAN " if param == "?" else "EXPLAIN "
        cur.execute(prefix + sql, _params(variant, keys))
        return "\n".join(" | ".join(str(c) for c in row) for row in cur.fetchall())


# --- entry point -----------------------------------------------------------------------------


@dataclass
class SizeResult:
    loaded: Loaded
    timings: list[Timing]

    def get(self, name: str) -> Timing:
        return next(t for t in self.timings if t.name == name)


def measure(url: str, texts: Texts, *, postgres: bool) -> list[Timing]:
    queries = texts.hits + texts.misses
    hit, miss = time_find_original(url, queries)
    variants = ["or", "values-join", "union-all"]
    if postgres:
        # On SQLite `(band, bucket) IN (VALUES ...)` scans the whole table (seconds at 20k
        # articles; see --plans), so it is only measured on PostgreSQL.
        variants += ["row-in", "unnest-join"]
    return [
        hit,
        miss,
        time_orm_candidates(url, queries),
        *time_raw_variants(url, queries, variants),
    ]


def print_size(result: SizeResult) -> None:
    ld = result.loaded
    print(
        f"\n{ld.n:,} articles: loaded in {ld.load_seconds:.1f} s; LSH index "
        f"{ld.index_bytes / 1e6:.1f} MB = {ld.bytes_per_article:.0f} bytes/article {ld.index_detail}"
    )
    for t in result.timings:
        print(
            f"  {t.name:<34} p50 {t.p50:7.3f} ms  p99 {t.p99:7.3f} ms  (found {t.found}/{t.runs})",
            flush=True,
        )


def print_comparison(results: list[SizeResult]) -> None:
    small, large = results[0], results[-1]
    print(f"\nratio {large.loaded.n:,} / {small.loaded.n:,} (p50):")
    for t in large.timings:
        base = small.get(t.name)
        print(f"  {t.name:<34} {t.p50 / base.p50 if base.p50 else 0:5.2f}")
    main = large.get("find_original: near-copies")
    ratio = main.p50 / small.get("find_original: near-copies").p50
    print(
        f"target: find_original p50 <= {TARGET_P50_MS} ms at the larger size "
        f"({main.p50:.3f} ms: {'ok' if main.p50 <= TARGET_P50_MS else 'MISSED'}), "
        f"ratio <= {TARGET_RATIO} ({ratio:.2f}: {'ok' if ratio <= TARGET_RATIO else 'MISSED'})"
    )
    fastest = min(
        (t for t in large.timings if t.name.startswith("candidates:")), key=lambda t: t.p50
    )
    print(f"fastest candidate query at {large.loaded.n:,}: {fastest.name} ({fastest.p50:.3f} ms)")


def run(
    sizes: Sequence[int] = DEFAULT_SIZES,
    *,
    postgres: bool = False,
    real: int = REAL_TEXTS,
    show_plans: bool = False,
) -> list[SizeResult]:
    texts = load_texts(real)
    backend = "PostgreSQL" if postgres else "SQLite"
    print(
        f"LSH lookup benchmark ({backend}): {real} real texts + random filler; "
        f"{len(texts.hits)} near-copy and {len(texts.misses)} unseen-text lookups per size",
        flush=True,
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="marsad-lsh-") as tmp:
        for n in sizes:
            with _database(Path(tmp), n, postgres) as url:
                if postgres:
                    loaded = load_postgres(url, n, texts)
                else:
                    loaded = load_sqlite(Path(tmp) / f"lsh-{n}.db", n, texts)
                result = SizeResult(loaded, measure(loaded.url, texts, postgres=postgres))
                print_size(result)
                if show_plans:
                    for variant in ("or", "values-join"):
                        plan = explain(loaded.url, variant, _keys(texts.hits[0]))
                        print(f"  plan ({variant}):\n    " + plan.replace("\n", "\n    "))
                results.append(result)
    if len(results) > 1:
        print_comparison(results)
    return results


@contextlib.contextmanager
def _database(tmp: Path, n: int, postgres: bool) -> Iterator[str]:
    if not postgres:
        yield f"sqlite:///{tmp / f'lsh-{n}.db'}"
        return
    from benchmarks.bench_crawl import pg_schema_url
    from crawler.storage.db import normalize_url

    with pg_schema_url() as url:
        yield normalize_url(url)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--full", action="store_true", help="sizes 10k and 1M")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--real", type=int, default=REAL_TEXTS)
    parser.add_argument("--plans", action="store_true", help="print query plans")
    args = parser.parse_args(argv)
    sizes = FULL_SIZES if args.full else args.sizes
    run(sizes, postgres=args.pg, real=args.real, show_plans=args.plans)
    return 0


if __name__ == "__main__":
    sys.exit(main())
