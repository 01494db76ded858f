"""Crawl throughput: Marsad's full pipeline against a bare Scrapy spider, side by side.

Serves N generated Arabic article pages (``benchmarks.sitegen``, three outlets on loopback),
then crawls the site in the same run, each crawl in a fresh child process on the same
Scrapy settings (download delay 0, robots.txt off, same concurrency):

- ``bare``: ``benchmarks.bare_spider``, sitemap -> pages -> ``trafilatura.bare_extraction``
  (Marsad's options); no pipelines, no database;
- ``bare+marsad-extract`` (``--with-extract-baseline``): the same spider calling
  ``crawler.analysis.extract.extract_article``, to split extraction cost from pipeline cost;
- ``full``: ``python -m crawler.crawl.run --config X`` on a fresh SQLite database (and, with
  ``--pg``, on a fresh PostgreSQL schema), with ``crawl.workers`` as given (default auto:
  pages are examined and stored in one worker process per core).

The CPU figure is the machine's busy time while each child ran (loopback server included): a
full crawl spreads its work over worker processes, so its pages/second and its CPU seconds
are both shown.

Pages/second counts article pages only (every request but the sitemaps), over the window from
the first request the server sees to the child's exit, so interpreter start-up and imports
(the same for both, and paid once per crawl in production too) are left out; the total wall
time of each child is printed as well.

    python -m benchmarks.bench_crawl                 # 2,000 pages, SQLite, 5 rounds
    python -m benchmarks.bench_crawl --rounds 1      # one bare and one full crawl
    python -m benchmarks.bench_crawl --pg            # also the full pipeline on PostgreSQL
    python -m benchmarks.bench_crawl --profile       # cProfile the full child (main thread)
    python -m benchmarks.bench_crawl --workers auto --workers 0   # also the in-process pipeline
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the repo root holds tests/ and crawler/
    sys.path.insert(0, str(ROOT))

DEFAULT_PAGES = 2000
DEFAULT_PER_HOST = 8
PG_URL = os.environ.get("MARSAD_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TARGET_RATIO = 0.7


@dataclass
class CrawlFigures:
    label: str
    pages: int  # article pages served (status 200, not a sitemap)
    requests: int  # every request the server saw
    bytes: int  # body bytes the server sent
    window: float  # first request seen -> child exit, seconds
    wall: float  # child start -> child exit, seconds
    cpu: float = 0.0  # machine CPU seconds busy while the child ran (server included)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.pages / self.window if self.window > 0 else 0.0

    def line(self) -> str:
        return (
            f"{self.label:<28} {self.pages:>6} pages  {self.window:7.2f} s  "
            f"{self.rate:7.1f} pages/s   (child wall {self.wall:6.2f} s, machine cpu {self.cpu:6.2f} s, "
            f"{self.requests} requests, {self.bytes / 1e6:.1f} MB)"
        )


# --- the site ------------------------------------------------------------------------------


def build_site(n: int = DEFAULT_PAGES) -> object:
    """A started-later FixtureWeb with ``n`` generated articles over three outlets."""
    from benchmarks.sitegen import build_web

    return build_web(n)


def sitemap_urls(web: object) -> list[str]:
    return [f"{o.base_url}/news-sitemap.xml" for o in web.outlets.values()]  # type: ignore[attr-defined]


def is_index_path(path: str) -> bool:
    from tests.fixtureweb.server import FEED_PATHS

    return path.split("?", 1)[0] in FEED_PATHS or path.startswith("/robots.txt")


def log_figures(
    web: object, start_index: int, label: str, wall: float, ended: float, cpu: float
) -> CrawlFigures:
    """Figures from the fixture web's request log, for the requests after ``start_index``."""
    records = web.requests[start_index:]  # type: ignore[attr-defined]
    pages = sum(1 for r in records if r.status == 200 and not is_index_path(r.path))
    first = min((r.time for r in records), default=ended)
    return CrawlFigures(
        label=label,
        pages=pages,
        requests=len(records),
        bytes=sum(r.bytes_sent for r in records),
        window=ended - first,
        wall=wall,
        cpu=cpu,
    )


# --- configs and databases -------------------------------------------------------------------


def write_bench_config(
    path: Path, db_url: str, web: object, per_host: int, workers: str = "auto"
) -> Path:
    """A Marsad config: one sitemap source per outlet, no delay, no robots.txt."""
    blocks = [
        "[database]",
        f'url = "{db_url}"',
        "",
        "[crawl]",
        "download_delay = 0",
        "robots_txt = false",
        # The generated web is served on loopback.
        "allow_private_addresses = true",
        'timeout = "30s"',
        f"concurrent_requests_per_host = {per_host}",
        "max_articles_per_run = 100000",
        'hard_timeout = "60m"',
        f"workers = {workers if workers.isdigit() else json.dumps(workers)}",
        "",
    ]
    for outlet in web.outlets.values():  # type: ignore[attr-defined]
        blocks += [
            "[[sources]]",
            f'name = "{outlet.name}"',
            'kind = "sitemap"',
            f'url = "{outlet.base_url}/news-sitemap.xml"',
            f'timezone = "{outlet.timezone}"',
            "",
        ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


@contextlib.contextmanager
def pg_schema_url(base_url: str = PG_URL) -> Iterator[str]:
    """A fresh PostgreSQL schema for one run, dropped afterwards."""
    from sqlalchemy import create_engine

    from crawler.storage.db import normalize_url

    schema = f"marsad_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base_url else "?"
    try:
        yield base_url + f"{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def pg_available(base_url: str = PG_URL) -> bool:
    from sqlalchemy import create_engine

    from crawler.storage.db import normalize_url

    try:
        engine = create_engine(normalize_url(base_url), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "skip the PostgreSQL run"
        return False


def prepare_database(db_url: str) -> None:
    """Apply the migrations before the timed crawl, as `marsad db upgrade` would."""
    from crawler.storage.db import open_database

    open_database(db_url).dispose()


# --- the crawls ------------------------------------------------------------------------------


def _machine_cpu() -> float:
    """CPU seconds the whole machine has been busy: the crawl's worker processes are not its
    children's children in the rusage sense (a fork server starts them), and the loopback
    server's share is the same for every run. Falls back to this process's children."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:]]
        idle = ticks[3] + ticks[4]
        return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime


def _run_child(cmd: list[str], log_path: Path) -> tuple[str, float, float, float]:
    """Run a child from the repo root; returns (stdout, wall s, epoch at exit, CPU s)."""
    cpu_before = _machine_cpu()
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as err:
        proc = subprocess.run(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            check=False,
        )
    ended = time.time()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}:\n{tail}")
    return proc.stdout, wall, ended, _machine_cpu() - cpu_before


def run_full(
    web: object,
    config_path: Path,
    label: str,
    workdir: Path,
    *,
    profile: Path | None = None,
) -> CrawlFigures:
    """`python -m crawler.crawl.run --config X` in a child; figures from the server's log."""
    start_index = len(web.requests)  # type: ignore[attr-defined]
    cmd = [sys.executable]
    if profile is not None:
        cmd += ["-m", "cProfile", "-o", str(profile)]
    cmd += ["-m", "crawler.crawl.run", "--config", str(config_path)]
    out, wall, ended, cpu = _run_child(cmd, workdir / f"{label}.log")
    figures = log_figures(web, start_index, label, wall, ended, cpu)
    done = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    done = [e for e in done if e.get("event") == "done"]
    for key in ("pages", "relevant", "stored", "copies", "skipped", "errors"):
        figures.extra[key] = sum(int(e.get(key) or 0) for e in done)
    figures.extra["status"] = sorted({e.get("status") for e in done})
    return figures


def run_bare(
    web: object, per_host: int, workdir: Path, *, extractor: str = "trafilatura"
) -> CrawlFigures:
    start_index = len(web.requests)  # type: ignore[attr-defined]
    cmd = [sys.executable, "-m", "benchmarks.bare_spider", "--per-host", str(per_host)]
    cmd += ["--extractor", extractor]
    for url in sitemap_urls(web):
        cmd += ["--sitemap", url]
    label = "bare" if extractor == "trafilatura" else f"bare+{extractor}-extract"
    out, wall, ended, cpu = _run_child(cmd, workdir / f"{label}.log")
    figures = log_figures(web, start_index, label, wall, ended, cpu)
    figures.extra.update(json.loads(out.strip().splitlines()[-1]))
    return figures


def print_profile(path: Path, limit: int = 25) -> None:
    import pstats

    stats = pstats.Stats(str(path))
    print("\n--- cProfile of the full crawl child (main thread; cumulative) ---")
    stats.sort_stats("cumulative").print_stats(limit)
    print("--- (tottime) ---")
    stats.sort_stats("tottime").print_stats(limit)


# --- entry point -----------------------------------------------------------------------------


def run(
    n: int = DEFAULT_PAGES,
    *,
    per_host: int = DEFAULT_PER_HOST,
    pg: bool = False,
    extract_baseline: bool = False,
    profile: bool = False,
    workers: Sequence[str] = ("auto",),
    rounds: int = 5,
) -> dict[str, list[CrawlFigures]]:
    """Serve the site, crawl it bare and full `rounds` times, print the figures.

    This machine's speed drifts by more than the difference measured, so the crawls take turns:
    each round runs every crawl once, bare first in odd rounds and last in even ones, and the
    verdict is on the median of the rounds' full/bare ratios. Returns the figures by label.
    """
    web = build_site(n)
    results: dict[str, list[CrawlFigures]] = {}
    with tempfile.TemporaryDirectory(prefix="marsad-bench-") as tmp, web:  # type: ignore[attr-defined]
        workdir = Path(tmp)
        print(
            f"crawl benchmark: {n} generated pages on 3 loopback outlets, "
            f"{per_host} requests per host, delay 0, robots.txt off, {rounds} rounds"
        )

        def keep(key: str, fig: CrawlFigures) -> None:
            results.setdefault(key, []).append(fig)
            print(fig.line(), flush=True)
            if key != "bare" and "pages" in fig.extra and "extracted" not in fig.extra:
                print(f"{'':<28} marsad counts: {fig.extra}")

        def bare_crawls() -> None:
            keep("bare", run_bare(web, per_host, workdir))
            if extract_baseline:
                keep("bare+marsad-extract", run_bare(web, per_host, workdir, extractor="marsad"))

        def full_crawls(round_no: int) -> None:
            prof = workdir / "full.prof" if profile and round_no == 0 else None
            for setting in workers:
                db_url = f"sqlite:///{workdir / f'full-{setting}-{round_no}.db'}"
                prepare_database(db_url)
                config = write_bench_config(workdir / "full.toml", db_url, web, per_host, setting)
                key = "full" if setting == workers[0] else f"full-workers-{setting}"
                label = "full (SQLite)" if key == "full" else f"full (SQLite, workers={setting})"
                keep(key, run_full(web, config, label, workdir, profile=prof))
            if pg:
                if not pg_available():
                    print(f"PostgreSQL at {PG_URL} is not reachable: skipped")
                    return
                with pg_schema_url() as url:
                    prepare_database(url)
                    config = write_bench_config(workdir / "pg.toml", url, web, per_host, workers[0])
                    keep("full-pg", run_full(web, config, "full (PostgreSQL)", workdir))

        for round_no in range(rounds):
            print(f"-- round {round_no + 1} of {rounds}")
            if round_no % 2 == 0:
                bare_crawls()
                full_crawls(round_no)
            else:
                full_crawls(round_no)
                bare_crawls()

        print("-- summary (median of the rounds)")
        bare_rates = [fig.rate for fig in results["bare"]]
        for figs in results.values():
            rates = [fig.rate for fig in figs]
            line = f"{figs[0].label:<28} {statistics.median(rates):7.1f} pages/s   rounds: "
            print(line + ", ".join(f"{rate:.1f}" for rate in rates))
        for key, figs in results.items():
            if key == "bare":
                continue
            ratios = [fig.rate / bare for fig, bare in zip(figs, bare_rates, strict=False) if bare]
            ratio = statistics.median(ratios) if ratios else 0.0
            verdict = "ok" if ratio >= TARGET_RATIO or not key.startswith("full") else "BELOW"
            print(
                f"ratio {figs[0].label} / bare: {ratio:.2f}  (target >= {TARGET_RATIO}: {verdict})"
                f"   rounds: {', '.join(f'{r:.2f}' for r in ratios)}"
            )
        if "bare+marsad-extract" in results:
            ratios = [
                full.rate / base.rate
                for full, base in zip(results["full"], results["bare+marsad-extract"], strict=False)
                if base.rate
            ]
            print(f"ratio full (SQLite) / bare+marsad-extract: {statistics.median(ratios):.2f}")
        if profile:
            print_profile(workdir / "full.prof")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=DEFAULT_PAGES, help="pages (default 2000)")
    parser.add_argument("--per-host", type=int, default=DEFAULT_PER_HOST)
    parser.add_argument("--pg", action="store_true", help="also crawl into PostgreSQL")
    parser.add_argument(
        "--with-extract-baseline",
        action="store_true",
        help="also run the bare spider with Marsad's extract_article",
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="bare and full crawls taking turns (default 5)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the first full crawl child"
    )
    parser.add_argument(
        "--workers",
        action="append",
        help="crawl.workers for the full crawl; repeat to compare (default: auto)",
    )
    args = parser.parse_args(argv)
    run(
        args.n,
        per_host=args.per_host,
        pg=args.pg,
        extract_baseline=args.with_extract_baseline,
        profile=args.profile,
        workers=args.workers or ["auto"],
        rounds=max(1, args.rounds),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
