"""`Analyzer.analyze` must keep giving exactly the results recorded in `analyze_golden.jsonl`.

The golden file was written by the Analyzer as it was before the matcher/classifier speed-ups,
so any difference here is a behaviour change, not a performance one. Regenerate it only on
purpose, after a deliberate rule change:

    .venv/bin/python -m tests.test_analyze_equivalence --regenerate
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.eval import read_jsonl
from crawler.analysis.analyzer import Analyzer
from crawler.analysis.matcher import S400, TermMatch, WatchlistEntry
from tests.fixtures import LABELLED

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / "classify_fixtures.jsonl"
HOLDOUT = ROOT / "tests" / "data" / "classify_holdout.jsonl"
GOLDEN = ROOT / "tests" / "data" / "analyze_golden.jsonl"
SITEGEN_PAGES = 300

# Configured watchlist entries go through their own rule compiler; a second Analyzer with a
# few of them keeps that path covered too (run on the labelled fixture only).
EXTRA_WATCHLIST = (
    WatchlistEntry("Su-35", ("سو-35", "Su-35", "سوخوي 35")),
    WatchlistEntry("Almaz-Antey", ("ألماز أنتي", "Almaz-Antey")),
    WatchlistEntry("S-300", ("إس-300", "S-300")),
)


def cases() -> Iterator[tuple[str, str, str, str]]:
    """(variant, id, title, body) for every recorded article, in golden-file order."""
    for name, path in (("labelled", LABELLED), ("fixtures", FIXTURES), ("holdout", HOLDOUT)):
        for row in read_jsonl(path):
            yield "default", f"{name}:{row['id']}", row.get("title") or "", row.get("body") or ""
    from benchmarks.sitegen import generate_specs

    for spec in generate_specs(SITEGEN_PAGES, seed=1):
        yield "default", f"sitegen:{spec.slug}", spec.title, "\n".join(spec.paragraphs)
    for row in read_jsonl(LABELLED):
        yield "watchlist", f"labelled:{row['id']}", row.get("title") or "", row.get("body") or ""
    # Irrelevant articles never reach the classifier through `analyze`; classifying them as
    # if the lead mentioned S-400 runs the rules over much more varied text.
    for name, path in (("labelled", LABELLED), ("holdout", HOLDOUT)):
        for row in read_jsonl(path):
            if not row.get("labels", {}).get("relevant", True):
                yield "forced", f"{name}:{row['id']}", row.get("title") or "", row["body"] or ""
    for spec in generate_specs(SITEGEN_PAGES, seed=1)[:100]:
        if not spec.expected.relevant:
            yield "forced", f"sitegen:{spec.slug}", spec.title, "\n".join(spec.paragraphs)


def _analyzers() -> dict[str, Analyzer]:
    return {"default": Analyzer(), "watchlist": Analyzer(EXTRA_WATCHLIST)}


def _forced(analyzer: Analyzer, key: str, title: str, body: str) -> dict[str, Any]:
    lead = TermMatch(S400, "body", body[:1], 0, 1)
    c = analyzer.classifier.classify(title, body, [lead])
    return {
        "id": key,
        "topics": c.topics,
        "countries": c.countries,
        "evidence": c.evidence,
        "amounts": c.amounts,
    }


def _record(analyzers: dict[str, Analyzer], variant: str, key: str, title: str, body: str) -> str:
    if variant == "forced":
        out = _forced(analyzers["default"], key, title, body)
    else:
        out = analyzers[variant].analyze(title, body).to_json(key)
    out["variant"] = variant
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def regenerate() -> None:
    analyzers = _analyzers()
    lines = [_record(analyzers, *case) for case in cases()]
    GOLDEN.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} records to {GOLDEN}")


def test_analyze_reproduces_golden() -> None:
    golden = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]
    analyzers = _analyzers()
    current = [json.loads(_record(analyzers, *case)) for case in cases()]
    assert len(current) == len(golden)
    relevant = sum(1 for g in golden if g.get("relevant"))
    # The golden file must exercise the classifier, not only the "irrelevant" shortcut.
    assert relevant > 200
    mismatches = [(g["variant"], g["id"]) for g, c in zip(golden, current, strict=True) if g != c]
    assert not mismatches, f"{len(mismatches)} articles differ, first: {mismatches[:5]}"
    for g, c in zip(golden, current, strict=True):
        assert g == c


if __name__ == "__main__":
    if "--regenerate" in sys.argv:
        regenerate()
    else:
        sys.exit(pytest.main([__file__]))


# --- the shortcuts behind the speed-ups are exact -----------------------------------------


def _reference_normalize_with_map(text: str) -> tuple[str, list[int]]:
    """The original character-by-character normalizer, kept here as the specification."""
    from crawler.text.arabic import _fold

    out: list[str] = []
    mapping: list[int] = []
    pending_space = -1
    for i, ch in enumerate(text):
        for f in _fold(ch):
            if f == " ":
                if pending_space < 0:
                    pending_space = i
                continue
            if pending_space >= 0:
                if out:
                    out.append(" ")
                    mapping.append(pending_space)
                pending_space = -1
            out.append(f)
            mapping.append(i)
    mapping.append(len(text))
    return "".join(out), mapping


def _corpus_texts() -> list[str]:
    texts: list[str] = []
    for path in (LABELLED, FIXTURES, HOLDOUT):
        for row in read_jsonl(path):
            texts += [row.get("title") or "", row.get("body") or ""]
    return texts


def test_fast_normalizer_matches_reference() -> None:
    import random

    from crawler.text.arabic import normalize, normalize_with_map, normalize_with_map_shared

    rng = random.Random(7)
    # Letters, harakat, tatweel, controls, bidi marks, presentation forms (multi-char
    # folds), odd whitespace, surrogates and unassigned code points.
    pool = [chr(c) for c in range(0x600, 0x700)] + [
        chr(c)
        for c in (
            *range(0, 0x80),
            *range(0x2000, 0x2070),
            *range(0xFEF0, 0xFF00),
            0xFDF2,
            0x130,
            0xA8,
            0xD800,
            0x0378,
            0x3000,
            0x1D400,
        )
    ]
    texts = _corpus_texts()
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(0, 60))) for _ in range(2000)]
    texts += ["  \n" + t + " \u200b\t" for t in texts[:100]]
    for text in texts:
        expected = _reference_normalize_with_map(text)
        assert normalize_with_map(text) == expected, repr(text)
        norm, mapping = normalize_with_map_shared(text)
        assert (norm, list(mapping)) == expected
        assert normalize(text) == expected[0]


def test_required_literals_never_reject_a_match() -> None:
    """Every lexicon and matcher regex that matches a sentence has a needle in it."""
    from crawler.analysis.classify import Classifier
    from crawler.analysis.matcher import Matcher
    from crawler.analysis.prefilter import required_literals

    clf = Classifier.load()
    families = clf._prefiltered()
    pats = [p.regex for _, family in families for p in family]
    pats += [r.regex for r in Matcher(EXTRA_WATCHLIST)._rules]
    with_needles = [(p, required_literals(p)) for p in pats]
    assert sum(1 for _, n in with_needles if n) > 0.9 * len(with_needles)
    from crawler.text.arabic import normalize

    sentences = [normalize(line) for t in _corpus_texts() for line in t.split("\n")]
    checked = 0
    for text in sentences:
        for prefilter, family in families:
            live = prefilter.candidates(text)
            for p in family:
                if p.regex.search(text):
                    checked += 1
                    assert p.id in live, (p.source, text)
        for p, needles in with_needles:
            if needles is not None and p.search(text):
                assert any(n in text for n in needles), (p.pattern, text)
    assert checked > 1000


def test_fuzzy_gate_passes_every_close_spelling() -> None:
    import random

    from crawler.analysis.matcher import _ROSO_CANONICAL, _may_be_rosoboronexport, _roso_distance

    rng = random.Random(3)
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءrosbnexpt"
    seen = 0
    for _ in range(3000):
        word = list(rng.choice(_ROSO_CANONICAL))
        for _ in range(rng.randint(0, 2)):
            op, i = rng.randrange(3), rng.randrange(len(word))
            if op == 0:
                word[i] = rng.choice(letters)
            elif op == 1:
                del word[i]
            else:
                word.insert(i, rng.choice(letters))
        joined = "".join(word)
        if len(joined) < 10 or _roso_distance(joined) is None:
            continue
        seen += 1
        # Split at a random point as writers do ("روس اوبورون اكسبورت").
        cut = rng.randrange(1, len(joined))
        spaced = joined[:cut] + rng.choice([" ", "-", " - "]) + joined[cut:]
        assert _may_be_rosoboronexport("قالت " + joined + " امس")
        assert _may_be_rosoboronexport("قالت " + spaced + " امس")
    assert seen > 1000
