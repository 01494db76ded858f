"""The cost of a no-change re-crawl, against the first crawl of the same site.

Serves N generated pages (``benchmarks.sitegen``, three outlets, one news-sitemap source each),
crawls them with the full pipeline (``python -m crawler.crawl.run``, fresh SQLite database), then
crawls again with nothing changed. Requests, body bytes and statuses come from the fixture
web's request log. Expected: the re-crawl makes one conditional request per sitemap, answered
304, and no article request at all.

    python -m benchmarks.bench_recrawl            # 2,000 pages
    python -m benchmarks.bench_recrawl --n 500
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_crawl import (  # noqa: E402 - after the sys.path fix for script use
    DEFAULT_PAGES,
    DEFAULT_PER_HOST,
    CrawlFigures,
    build_site,
    is_index_path,
    prepare_database,
    run_full,
    write_bench_config,
)


def _statuses(web: object, start: int) -> tuple[Counter[str], int, int]:
    """(status counts by index/article, index requests, article requests) after ``start``."""
    counts: Counter[str] = Counter()
    index = article = 0
    for r in web.requests[start:]:  # type: ignore[attr-defined]
        kind = "index" if is_index_path(r.path) else "article"
        counts[f"{kind} {r.status}"] += 1
        if kind == "index":
            index += 1
        else:
            article += 1
    return counts, index, article


def run(n: int = DEFAULT_PAGES, *, per_host: int = DEFAULT_PER_HOST) -> tuple[CrawlFigures, ...]:
    web = build_site(n)
    with tempfile.TemporaryDirectory(prefix="marsad-recrawl-") as tmp, web:  # type: ignore[attr-defined]
        workdir = Path(tmp)
        db_url = f"sqlite:///{workdir / 'recrawl.db'}"
        prepare_database(db_url)
        config = write_bench_config(workdir / "recrawl.toml", db_url, web, per_host)
        print(f"re-crawl benchmark: {n} generated pages, 3 news-sitemap sources, full pipeline")
        rows = []
        for label in ("first crawl", "re-crawl"):
            start = len(web.requests)
            fig = run_full(web, config, label, workdir)
            counts, index, article = _statuses(web, start)
            rows.append((fig, counts, index, article))
        print(
            f"{'':<12} {'requests':>9} {'index':>6} {'article':>8} {'bytes':>11} "
            f"{'window s':>9} {'child wall s':>13}  statuses"
        )
        for fig, counts, index, article in rows:
            print(
                f"{fig.label:<12} {fig.requests:>9} {index:>6} {article:>8} {fig.bytes:>11,} "
                f"{fig.window:>9.2f} {fig.wall:>13.2f}  {dict(sorted(counts.items()))}"
            )
        first, second = rows[0][0], rows[1][0]
        sources = len(web.outlets)  # type: ignore[attr-defined]
        only_304 = rows[1][1] == Counter({"index 304": sources})
        print(
            f"re-crawl / first: requests {second.requests / max(first.requests, 1):.4f}, "
            f"bytes {second.bytes / max(first.bytes, 1):.6f}, "
            f"child wall {second.wall / max(first.wall, 1e-9):.3f}"
        )
        print(
            f"expected one 304 per sitemap ({sources}) and nothing else: "
            f"{'ok' if only_304 else 'NOT MET'}"
        )
    return tuple(r[0] for r in rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=DEFAULT_PAGES)
    parser.add_argument("--per-host", type=int, default=DEFAULT_PER_HOST)
    args = parser.parse_args(argv)
    run(args.n, per_host=args.per_host)
    return 0


if __name__ == "__main__":
    sys.exit(main())
