"""The rule baseline on our gold's two halves (tune / held-out), per document, as JSON.

    python benchmarks/gold_splits.py tests/data/gold/fr-wikinews.jsonl --out F.json
    python benchmarks/gold_splits.py GOLD --baseline rules parse --out F.json  # both baselines

No model: the baseline of ``summarizer eval --baseline-only`` (``--baseline``: ``rules``, the
default, or ``parse``; with several, one section each under ``baselines``), scored by
:mod:`summarizer.evaluation`. Beside it, what answering the majority label everywhere scores
(the label most frequent in the *tune* half's gold, answered for every gold statement of each
half, and for the baseline's matched pairs only), so an accuracy can be read against it.
The output holds document ids, counts and scores only, never a text.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from summarizer._evaluate import evaluate, load_gold  # noqa: E402
from summarizer.evaluation import Counts, score_document  # noqa: E402

FIELDS = ("evidence", "stance", "commitment")
SPLITS = ("tune", "heldout")


def _gold_labels(docs: list[dict[str, Any]], field: str) -> Counter[str]:
    return Counter(a[field] for d in docs for a in d["attributions"] if a.get(field))


def _majority(pairs: Counter[str], label: str) -> dict[str, Any]:
    """Scores of answering ``label`` for every gold label counted in ``pairs``."""
    c = Counts()
    c.evidence.update({(g, label): n for g, n in pairs.items()})
    s = c.scores()["evidence"]
    return {"label": label, "pairs": s["pairs"], "accuracy": s["accuracy"],
            "macro_f1": s["macro_f1"]}  # fmt: skip


def _gold_of(pairs: Counter[tuple[str, str]]) -> Counter[str]:
    """How many matched pairs have each gold label (whatever was predicted)."""
    out: Counter[str] = Counter()
    for (gold, _predicted), n in pairs.items():
        out[gold] += n
    return out


def _correct(c: Counts, field: str) -> int:
    pairs: Counter[tuple[str, str]] = getattr(c, field)
    return sum(n for (g, p), n in pairs.items() if g == p)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--baseline", nargs="+", default=["rules"], choices=["rules", "parse"])
    args = parser.parse_args()
    docs = load_gold(args.gold)
    sections = {name: _splits(docs, name) for name in args.baseline}
    out: dict[str, Any] = {"gold": args.gold.name, "system": "baseline"}
    if len(sections) == 1:
        out.update(next(iter(sections.values())))
    else:
        out["baselines"] = sections
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _splits(docs: list[dict[str, Any]], baseline: str) -> dict[str, Any]:
    """The ``baseline``'s scores on each half, with the majority label's beside them."""
    run = asyncio.run(evaluate(docs, None, None, baseline=baseline))
    tune = [d for d in docs if d.get("split") == "tune"]
    majority = {f: _gold_labels(tune, f).most_common(1)[0][0] for f in FIELDS}
    out: dict[str, Any] = {"splits": {}}
    for split in SPLITS:
        part = [d for d in docs if d.get("split") == split]
        total = Counts()
        per_doc = []
        for d in part:
            c = score_document(d, run.baseline[d["id"]])
            total += c
            s = c.scores()
            per_doc.append(
                {
                    "id": d["id"],
                    "statements": len(d["attributions"]),
                    "content": {k: s["content"][k] for k in ("predicted", "gold", "matched")},
                    "speaker": {k: s["speaker"][k] for k in ("pairs", "correct")},
                    **{f: {"pairs": s[f]["pairs"], "correct": _correct(c, f)} for f in FIELDS},
                }
            )
        s = total.scores()
        matched_gold = {f: _gold_of(getattr(total, f)) for f in FIELDS}
        out["splits"][split] = {
            "documents": [d["id"] for d in part],
            "gold_labels": {f: dict(sorted(_gold_labels(part, f).items())) for f in FIELDS},
            "baseline": {
                "content": s["content"],
                "speaker": s["speaker"],
                **{f: s[f] for f in FIELDS},
            },
            "majority_all_gold": {f: _majority(_gold_labels(part, f), majority[f]) for f in FIELDS},
            "majority_matched": {f: _majority(matched_gold[f], majority[f]) for f in FIELDS},
            "per_document": per_doc,
        }
    return out


if __name__ == "__main__":
    main()
