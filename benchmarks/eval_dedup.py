"""Calibration report for crawler.storage.dedup: score distributions and the chosen thresholds.

Prints, for the labelled corpus (../shared/corpus/dev.jsonl, as `make eval` finds it) and the
hand-written pairs (tests/data/dedup_pairs.jsonl):

- the scores of copy pairs (labels.dup_of) and of hard negatives (different events
  that share a background paragraph), the thresholds, and the margins between them;
- how the LSH bands behave: whether every copy pair shares a bucket, and how many
  unrelated pairs become candidates;
- a synthetic edit sweep: dev originals edited by a seeded copy desk (added lead,
  dropped and swapped paragraphs, trimmed clauses, Arabic-Indic digits, "اقرأ أيضاً"),
  at growing edit levels;
- the cost of signature() and scores().

`make eval` judges the decisions themselves (copies linked, false merges); this report shows
the margins behind them.

Usage: .venv/bin/python benchmarks/eval_dedup.py [--corpus PATH] [--with-title]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.eval import Row, dev_corpus, dev_rows, read_jsonl  # noqa: E402
from crawler.storage import dedup  # noqa: E402
from crawler.text.arabic import normalize  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "dedup_pairs.jsonl"

# A paragraph counts as shared background when this share of its shingles is in the
# other article.
PARAGRAPH_SHARED = 0.5

ADDED_LEADS = [
    "نقلت وكالة أنباء إقليمية عن مصادر مطلعة تفاصيل جديدة حول الملف.",
    "في تطور لافت تناقلته وسائل إعلام عدة خلال الساعات الماضية،",
    "أفادت تقارير صحفية متطابقة بما يلي:",
    "وسط متابعة إقليمية ودولية واسعة، جاءت التطورات على النحو التالي.",
]
FOOTERS = ["اقرأ أيضاً: ", "شاهد أيضاً: ", "للمزيد من الأخبار تابعونا على "]
INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def text_of(title: str, body: str, with_title: bool) -> str:
    return normalize((title + "\n" + body) if with_title else body)


def pair_text(side: dict, with_title: bool) -> str:
    return text_of(side["title"], side["body"], with_title)


def shared_paragraph(a: Row, b: Row) -> float:
    """Largest share of one paragraph's shingles found in the other article."""
    best = 0.0
    for x, y in ((a, b), (b, a)):
        other = dedup.shingles(normalize(y.body))
        for para in x.body.split("\n"):
            sh = dedup.shingles(normalize(para))
            if len(sh) >= 5:
                best = max(best, len(sh & other) / len(sh))
    return best


def fmt(s: dedup.Scores) -> str:
    return (
        f"J={s.jaccard:.3f} C={s.containment:.3f} L={s.lead:.3f} | "
        f"TC={s.token_containment:.3f} TL={s.token_lead:.3f} R={s.length_ratio:.3f}"
    )


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: -"
    return (
        f"{name}: min {min(values):.3f}  median {statistics.median(values):.3f}  "
        f"max {max(values):.3f}"
    )


def candidate(a: str, b: str) -> bool:
    ka = set(dedup.band_keys(dedup.signature(a)))
    return bool(ka & set(dedup.band_keys(dedup.signature(b))))


def p_candidate(j: float) -> float:
    return 1 - (1 - j**dedup.ROWS) ** dedup.BANDS


def _first_half(body: str) -> str:
    words = body.split()
    return " ".join(words[: len(words) // 2])


def edit_copy(row: Row, level: float, rng: random.Random, others: list[Row]) -> str:
    """A copy-desk edit of `row`'s body; `level` ~ the share of text changed."""
    paras = [p for p in row.body.split("\n") if p.strip()]
    words_total = sum(len(p.split()) for p in paras)
    budget = level * words_total
    # Always: own added lead, Arabic-Indic digits, a footer.
    out = list(paras)
    spent = 0.0
    lead = rng.choice(ADDED_LEADS)
    spent += len(lead.split())
    # Trim clauses (5-8 words) from random paragraphs, then drop or swap paragraphs.
    while spent < budget * 0.6:
        i = rng.randrange(len(out))
        ws = out[i].split()
        if len(ws) < 14:
            break
        n = rng.randint(5, 8)
        start = rng.randrange(1, len(ws) - n)
        out[i] = " ".join(ws[:start] + ws[start + n :])
        spent += n
    if spent < budget and len(out) >= 4:
        i = rng.randrange(1, len(out))
        spent += len(out[i].split())
        del out[i]
    if len(out) >= 4:
        i = rng.randrange(1, len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    footer = rng.choice(FOOTERS) + rng.choice(others).title
    body = "\n".join([lead, *out, footer]).translate(INDIC)
    return body


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=dev_corpus())
    ap.add_argument("--with-title", action="store_true", help="score normalize(title + body)")
    args = ap.parse_args()
    if not args.corpus.is_file():
        print(f"dedup calibration: {args.corpus} not found, skipped (set MARSAD_SHARED)")
        return

    rows = dev_rows(args.corpus)
    texts = {r.id: text_of(r.title, r.body, args.with_title) for r in rows}
    print(
        f"dedup: {dedup.SHINGLE_WORDS}-word shingles, NUM_PERM={dedup.NUM_PERM} "
        f"BANDS={dedup.BANDS} ROWS={dedup.ROWS}; input: "
        f"{'normalize(title + body)' if args.with_title else 'normalize(body)'}"
    )
    print(
        f"thresholds: jaccard >= {dedup.MIN_JACCARD}, containment >= {dedup.MIN_CONTAINMENT}, "
        f"lead >= {dedup.MIN_LEAD} (lead: first {dedup.LEAD_WORDS} words in the other's "
        f"first {dedup.LEAD_WINDOW_WORDS})"
    )
    print(
        f"re-edited copies: token containment >= {dedup.MIN_TOKEN_CONTAINMENT}, token lead >= "
        f"{dedup.MIN_TOKEN_LEAD} (first {dedup.TOKEN_LEAD} content tokens in the other's first "
        f"{dedup.TOKEN_LEAD_WINDOW}), length ratio >= {dedup.MIN_LENGTH_RATIO}"
    )

    copies, hard, unrelated = [], [], []
    for a, b in itertools.combinations(rows, 2):
        s = dedup.scores(texts[a.id], texts[b.id])
        if a.copy_group == b.copy_group:
            copies.append((a.id, b.id, s))
        elif a.event and a.event == b.event:
            continue  # independent reports of one event: neither copy nor distinct
        elif shared_paragraph(a, b) >= PARAGRAPH_SHARED:
            hard.append((a.id, b.id, s))
        else:
            unrelated.append((a.id, b.id, s))

    own = read_jsonl(PAIRS)
    own_copies, own_distinct = [], []
    for p in own:
        s = dedup.scores(pair_text(p["a"], args.with_title), pair_text(p["b"], args.with_title))
        (own_copies if p["kind"] == "copy" else own_distinct).append((p["id"], p["note"], s))

    print(f"\n== {args.corpus.name}: {len(copies)} copy pairs")
    for a, b, s in copies:
        print(f"  {a}-{b}  {fmt(s)}  dup={dedup.is_near_duplicate(s)}")
    print(f"== {args.corpus.name}: {len(hard)} hard negatives (different events, shared paragraph)")
    for a, b, s in hard:
        print(f"  {a}-{b}  {fmt(s)}  dup={dedup.is_near_duplicate(s)}")
    print(f"== {PAIRS.name}: {len(own_copies)} copies, {len(own_distinct)} related-but-different")
    for i, note, s in own_copies + own_distinct:
        print(f"  {i}  {fmt(s)}  dup={dedup.is_near_duplicate(s)}  {note}")

    pos = [s for *_, s in copies] + [s for *_, s in own_copies]
    neg = [s for *_, s in hard] + [s for *_, s in own_distinct]
    allneg = neg + [s for *_, s in unrelated]
    print("\n== distributions (copies = dev + own; distinct = hard negatives dev + own)")
    for field, thr in (
        ("jaccard", dedup.MIN_JACCARD),
        ("containment", dedup.MIN_CONTAINMENT),
        ("lead", dedup.MIN_LEAD),
        ("token_containment", dedup.MIN_TOKEN_CONTAINMENT),
        ("token_lead", dedup.MIN_TOKEN_LEAD),
        ("length_ratio", dedup.MIN_LENGTH_RATIO),
    ):
        pv = [getattr(s, field) for s in pos]
        nv = [getattr(s, field) for s in neg]
        print(f"  {field:17s} {summary('copies', pv)}")
        print(f"  {'':17s} {summary('distinct', nv)}")
        print(
            f"  {'':17s} threshold {thr}: margin to copies {min(pv) - thr:+.3f}, "
            f"to distinct {thr - max(nv):+.3f}, gap {min(pv) - max(nv):+.3f}"
        )
    found = sum(dedup.is_near_duplicate(s) for s in pos)
    merged = [s for s in allneg if dedup.is_near_duplicate(s)]
    print(
        f"  decision: copies found {found}/{len(pos)}; false merges {len(merged)}/{len(allneg)} "
        f"(all different-event pairs, {len(unrelated)} of them unrelated)"
    )

    print("\n== LSH candidates")
    cand = sum(candidate(texts[a], texts[b]) for a, b, _ in copies)
    cand += sum(
        candidate(pair_text(p["a"], args.with_title), pair_text(p["b"], args.with_title))
        for p in own
        if p["kind"] == "copy"
    )
    minj = min(s.jaccard for s in pos)
    print(f"  copy pairs sharing a bucket: {cand}/{len(pos)}")
    # A copy cut to its first half of the text: the store only finds it if it is a candidate.
    halves = [r for r in rows if r.relevant and r.copy_group == r.id]
    half_c = sum(
        candidate(texts[r.id], text_of(r.title, _first_half(r.body), args.with_title))
        for r in halves
    )
    print(f"  originals cut to their first half sharing a bucket: {half_c}/{len(halves)}")
    print(
        f"  p(candidate) at J=0.5: {p_candidate(0.5):.5f}; at the min copy J={minj:.3f}: "
        f"{p_candidate(minj):.5f}; at J=0.3: {p_candidate(0.3):.3f}; at J=0.05: "
        f"{p_candidate(0.05):.4f}"
    )
    sigs = {i: set(dedup.band_keys(dedup.signature(t))) for i, t in texts.items()}
    false_c = sum(bool(sigs[a] & sigs[b]) for a, b, _ in unrelated)
    hard_c = sum(bool(sigs[a] & sigs[b]) for a, b, _ in hard)
    print(
        f"  unrelated pairs that become candidates: {false_c}/{len(unrelated)}; "
        f"hard negatives: {hard_c}/{len(hard)} (confirmation rejects them)"
    )

    print("\n== synthetic copy-desk edits of dev originals (seeded)")
    originals = [r for r in rows if r.relevant and r.copy_group == r.id]
    for level in (0.1, 0.2, 0.3, 0.4):
        rng = random.Random(400 + int(level * 100))
        hits, js = 0, []
        for r in originals:
            body = edit_copy(r, level, rng, rows)
            s = dedup.scores(normalize(r.body), normalize(body))
            js.append(s.jaccard)
            hits += dedup.is_near_duplicate(s)
        print(f"  edit level {level:.0%}: found {hits}/{len(originals)}  {summary('jaccard', js)}")

    print("\n== cost")
    bodies = [texts[r.id] for r in rows]
    words = statistics.mean(len(t.split()) for t in bodies)
    reps = 20
    t0 = time.perf_counter()
    for _ in range(reps):
        for t in bodies:
            dedup.signature(t)
    sig_ms = (time.perf_counter() - t0) * 1000 / (reps * len(bodies))
    t0 = time.perf_counter()
    for _ in range(reps):
        for a, b, _ in copies:
            dedup.scores(texts[a], texts[b])
    sc_ms = (time.perf_counter() - t0) * 1000 / (reps * len(copies))
    long_text = " ".join(bodies)  # one very long article, for scale
    t0 = time.perf_counter()
    for _ in range(5):
        dedup.signature(long_text)
    long_ms = (time.perf_counter() - t0) * 1000 / 5
    print(f"  signature: {sig_ms:.3f} ms per article (mean {words:.0f} words)")
    print(f"  signature of one {len(long_text.split())}-word text: {long_ms:.1f} ms")
    print(f"  scores: {sc_ms:.3f} ms per pair")


if __name__ == "__main__":
    main()
