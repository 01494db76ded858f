"""Time `Analyzer.analyze` per article: matcher, classifier and the two together.

    .venv/bin/python -m benchmarks.bench_analyze [--repeat 5] [--pages 200]

Articles: the 72 of `../shared/corpus/dev.jsonl` (when present) plus `--pages` pages from
`benchmarks.sitegen.generate_specs` (title + paragraphs joined by newlines), i.e. what the
crawl pipeline hands to the Analyzer. Single process; one warm-up pass first so the
normalizer's character cache and the regex caches are filled as in a long crawl.
"""

from __future__ import annotations

import argparse
import time

from crawler.analysis.analyzer import Analyzer


def load_articles(pages: int) -> list[tuple[str, str]]:
    from benchmarks.eval import dev_corpus, dev_rows
    from benchmarks.sitegen import generate_specs

    dev = dev_corpus()
    out = [(r.title, r.body) for r in dev_rows(dev)] if dev.is_file() else []
    for spec in generate_specs(pages, seed=1):
        out.append((spec.title, "\n".join(spec.paragraphs)))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed passes over every article")
    ap.add_argument("--pages", type=int, default=200, help="sitegen pages besides dev.jsonl")
    args = ap.parse_args(argv)

    articles = load_articles(args.pages)
    analyzer = Analyzer()
    matcher, classifier = analyzer.matcher, analyzer.classifier
    for title, body in articles:  # warm-up
        analyzer.analyze(title, body)

    # Matcher and classifier are timed in one pass, `analyze` in a separate one, so that
    # no per-text cache filled by the first pass serves the second.
    t_match = t_class = t_total = 0.0
    relevant = 0
    clock = time.perf_counter
    for _ in range(args.repeat):
        for title, body in articles:
            t0 = clock()
            terms = matcher.find_in_article(title, body)
            t1 = clock()
            if terms:
                classifier.classify(title, body, terms)
                relevant += 1
            t2 = clock()
            t_match += t1 - t0
            t_class += t2 - t1
        for title, body in articles:
            t0 = clock()
            analyzer.analyze(title, body)
            t_total += clock() - t0
    n = len(articles) * args.repeat
    print(f"articles: {len(articles)} ({relevant // args.repeat} relevant), repeat {args.repeat}")
    print(f"matcher    {1000 * t_match / n:7.3f} ms/article")
    print(f"classifier {1000 * t_class / n:7.3f} ms/article (all articles; 0 for irrelevant)")
    if relevant:
        print(f"           {1000 * t_class / relevant:7.3f} ms/relevant article")
    print(f"total      {1000 * t_total / n:7.3f} ms/article (Analyzer.analyze)")


if __name__ == "__main__":
    main()
