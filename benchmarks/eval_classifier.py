"""Evaluate the classifier (and development grouping) on a labelled JSONL corpus.

    .venv/bin/python benchmarks/eval_classifier.py [--corpus ../shared/corpus/dev.jsonl] [-v]

Prints per-topic precision/recall/F1, macro-F1 over the four alerting topics, exact
topic-set and country-set accuracy, and, when the corpus has `event` labels, the
pairwise precision/recall of development grouping over originals and independent
reports (syndicated copies, `dup_of`, are dedup's job and are left out).

Input lines: {"id", "title", "body", "published"?, "labels": {"relevant", "topics",
"countries", "dup_of"?, "event"?}}. Only articles the matcher finds relevant are
classified; a relevant-labelled article the matcher misses counts as predicting no
topics.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.classify import ALERT_TOPICS, TOPIC_ORDER, Classifier  # noqa: E402
from crawler.developments import DevelopmentKey, assign_developments  # noqa: E402
from crawler.matcher import Matcher  # noqa: E402


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate(rows: list[dict], verbose: bool = False) -> dict:
    matcher = Matcher()
    clf = Classifier.load()
    counts = {t: [0, 0, 0] for t in TOPIC_ORDER}
    exact_topics = exact_countries = n_rel = 0
    c_tp = c_fp = c_fn = 0
    predictions: dict[str, tuple[list[str], list[str], str]] = {}
    for row in rows:
        labels = row.get("labels", {})
        matches = matcher.find_in_article(row.get("title", ""), row.get("body", ""))
        c = clf.classify(row.get("title", ""), row.get("body", ""), matches)
        gold = set(labels.get("topics", []))
        pred = set(c.topics)
        for t in TOPIC_ORDER:
            counts[t][0] += t in gold and t in pred
            counts[t][1] += t not in gold and t in pred
            counts[t][2] += t in gold and t not in pred
        evidence = " / ".join(c.evidence.get(t, "") for t in c.topics)
        predictions[row["id"]] = (c.topics, c.countries, evidence)
        if labels.get("relevant"):
            n_rel += 1
            exact_topics += gold == pred
            gc, pc = set(labels.get("countries", [])), set(c.countries)
            exact_countries += gc == pc
            c_tp += len(gc & pc)
            c_fp += len(pc - gc)
            c_fn += len(gc - pc)
        if verbose and (gold != pred or set(labels.get("countries", [])) != set(c.countries)):
            print(
                f"{row['id']}: topics gold={sorted(gold)} pred={c.topics}  "
                f"countries gold={sorted(labels.get('countries', []))} pred={c.countries}",
                file=sys.stderr,
            )
    result = {"topics": {}, "n_relevant": n_rel}
    for t in TOPIC_ORDER:
        result["topics"][t] = _prf(*counts[t])
    result["macro_f1"] = sum(result["topics"][t][2] for t in ALERT_TOPICS) / len(ALERT_TOPICS)
    result["exact_topics"] = exact_topics / n_rel if n_rel else 0.0
    result["exact_countries"] = exact_countries / n_rel if n_rel else 0.0
    result["countries_prf"] = _prf(c_tp, c_fp, c_fn)
    result["grouping"] = _grouping(rows, predictions, verbose)
    return result


def _grouping(
    rows: list[dict], predictions: dict, verbose: bool = False
) -> tuple[float, float, int] | None:
    items = [
        r
        for r in rows
        if r.get("labels", {}).get("event")
        and not r["labels"].get("dup_of")
        and r["id"] in predictions
    ]
    if not items:
        return None
    items.sort(key=lambda r: (r.get("published") or "", r["id"]))
    keyed = []
    for r in items:
        topics, countries, evidence = predictions[r["id"]]
        published = datetime.fromisoformat(r["published"]) if r.get("published") else None
        keyed.append(
            (r["id"], DevelopmentKey(topics, countries, published, r["title"] + " " + evidence))
        )
    assigned = assign_developments(keyed)
    gold = {r["id"]: r["labels"]["event"] for r in items}
    tp = fp = fn = 0
    for a, b in combinations([r["id"] for r in items], 2):
        same_pred = assigned[a] == assigned[b]
        same_gold = gold[a] == gold[b]
        tp += same_pred and same_gold
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
        if verbose and same_pred != same_gold:
            kind = "merged, different events" if same_pred else "split, same event"
            print(f"grouping {a} + {b}: {kind}", file=sys.stderr)
    p, r, _ = _prf(tp, fp, fn)
    return p, r, tp + fn


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT / ".." / "shared" / "corpus" / "dev.jsonl"))
    ap.add_argument("-v", "--verbose", action="store_true", help="list disagreements on stderr")
    args = ap.parse_args(argv)
    rows = [
        json.loads(line)
        for line in Path(args.corpus).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    res = evaluate(rows, verbose=args.verbose)
    print(f"corpus: {args.corpus} ({len(rows)} articles, {res['n_relevant']} relevant)")
    print(f"{'topic':<12} {'P':>6} {'R':>6} {'F1':>6}")
    for t in TOPIC_ORDER:
        p, r, f = res["topics"][t]
        print(f"{t:<12} {p:6.3f} {r:6.3f} {f:6.3f}")
    print(f"macro-F1 (contract, negotiation, delivery, sanction): {res['macro_f1']:.3f}")
    print(f"exact topic set (relevant articles): {res['exact_topics']:.3f}")
    cp, cr, cf = res["countries_prf"]
    print(f"countries: exact set {res['exact_countries']:.3f}; P {cp:.3f} R {cr:.3f} F1 {cf:.3f}")
    if res["grouping"]:
        gp, gr, n = res["grouping"]
        print(
            f"development grouping (originals + independent reports): pairwise P {gp:.3f} R {gr:.3f} ({n} gold pairs)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
