"""Every Marsad benchmark, one after another, each in its own child process.

    python -m benchmarks.run                 # default sizes (about 15 minutes on 2 cores; the crawl step alone 5-6, its 5 rounds)
    python -m benchmarks.run --full          # the sizes the issues name (1M-article LSH, PG)
    python -m benchmarks.run --only lsh      # one benchmark (crawl, recrawl, lsh, dedup, ...)

Each benchmark is also a module of its own (``python -m benchmarks.bench_crawl --help``).
A benchmark that fails is reported and the others still run; the exit status is non-zero then.
Figures go to stdout; docs/benchmarks.md records them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def plan(full: bool) -> dict[str, list[str]]:
    """name -> command line arguments after the interpreter, in running order."""
    return {
        "crawl": [
            "-m",
            "benchmarks.bench_crawl",
            *(["--pg", "--with-extract-baseline"] if full else []),
        ],
        "recrawl": ["-m", "benchmarks.bench_recrawl"],
        "lsh": ["-m", "benchmarks.bench_lsh", *(["--full"] if full else [])],
        "dedup": ["benchmarks/eval_dedup.py"],
        "search": [
            "-m",
            "benchmarks.bench_search",
            *(
                ["--articles", "100000", "--pg-url", "postgresql://postgres@127.0.0.1:5432/test"]
                if full
                else ["--articles", "20000", "--only", "sqlite"]
            ),
        ],
        "soak": ["-m", "benchmarks.bench_soak", *(["--full"] if full else ["--cycles", "30"])],
        "web": [
            "-m",
            "benchmarks.bench_web",
            "--articles",
            "100000",
            *(
                ["--pg-url", "postgresql://postgres@127.0.0.1:5432/test"]
                if full
                else ["--only", "sqlite"]
            ),
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="the sizes the issues name")
    parser.add_argument("--only", action="append", default=[], help="run only these (repeatable)")
    args = parser.parse_args(argv)
    steps = plan(args.full)
    unknown = set(args.only) - set(steps)
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {sorted(steps)}")
    failed = []
    started = time.perf_counter()
    for name, cmd in steps.items():
        if args.only and name not in args.only:
            continue
        script = ROOT / cmd[0]
        if cmd[0] != "-m" and not script.is_file():
            print(f"\n=== {name}: {cmd[0]} not found, skipped", flush=True)
            continue
        print(f"\n=== {name}: python {' '.join(cmd)}", flush=True)
        step_start = time.perf_counter()
        code = subprocess.call([sys.executable, *cmd], cwd=ROOT)
        print(f"=== {name}: {time.perf_counter() - step_start:.0f} s, exit {code}", flush=True)
        if code != 0:
            failed.append(name)
    print(f"\nall benchmarks: {time.perf_counter() - started:.0f} s", end="")
    print(f"; FAILED: {', '.join(failed)}" if failed else "")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
