"""What the parse alone reaches: the parse-based and the quotation baselines on the dev gold.

No model. Both baselines run on every document of the gold file; the JSON written holds, per
document and baseline, the document id, its corpus, counts, scores and seconds (no text), and
the micro-averaged scores per corpus, plus the PolNeAR halves the rules were tuned on
(``tune``: its first 10 documents in file order) and not (``held_out``: the other 10).

    python benchmarks/parse_baseline.py ../shared/eval/dev_gold.jsonl \
        --json benchmarks/parse_baseline.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer import _parse  # noqa: E402
from summarizer._baseline import BASELINES  # noqa: E402
from summarizer._evaluate import load_gold  # noqa: E402
from summarizer.evaluation import Counts, score_document  # noqa: E402

TUNE = 10  # the first PolNeAR documents, the ones the rules were tuned on


def _brief(c: Counts) -> dict[str, Any]:
    s = c.scores()
    content, speaker = s["content"], s["speaker"]
    return {
        "gold": content["gold"],
        "predicted": content["predicted"],
        "matched": content["matched"],
        "precision": round(content["precision"], 3),
        "recall": round(content["recall"], 3),
        "f1": round(content["f1"], 3),
        "speaker_pairs": speaker["pairs"],
        "speaker_correct": speaker["correct"],
        "speaker_accuracy": None if speaker["accuracy"] is None else round(speaker["accuracy"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    docs = [d for d in load_gold(args.gold) if d.get("attributions")]
    polnear = [d["id"] for d in docs if d.get("source_corpus") == "polnear"]
    halves = {"tune": set(polnear[:TUNE]), "held_out": set(polnear[TUNE:])}
    for lang in sorted({str(d.get("lang")) for d in docs}):  # load models outside the timing
        _parse.parse("Warm-up.", lang)
    out: dict[str, Any] = {
        "gold": args.gold.name,
        "parser": _parse.parser_versions(),
        "tune_documents": sorted(halves["tune"]),
        "baselines": {},
    }
    for name, predict in BASELINES.items():
        per_doc = []
        groups: dict[str, Counts] = {}
        for doc in docs:
            t0 = time.perf_counter()
            prediction = predict(doc["id"], doc["text"], doc.get("lang"))
            seconds = time.perf_counter() - t0
            counts = score_document(doc, prediction)
            corpus = str(doc.get("source_corpus"))
            parsed = _parse.has_parser(doc.get("lang"))
            per_doc.append(
                {"id": doc["id"], "corpus": corpus, "parser": parsed,
                 "seconds": round(seconds, 3), **_brief(counts)}
            )  # fmt: skip
            keys = [corpus, "overall"] + [h for h, ids in halves.items() if doc["id"] in ids]
            for key in keys:
                groups[key] = groups.get(key, Counts()) + counts
        seconds_by_corpus: dict[str, list[float]] = {}
        for row in per_doc:
            seconds_by_corpus.setdefault(row["corpus"], []).append(row["seconds"])
        summary = {key: _brief(c) for key, c in groups.items()}
        for corpus, secs in seconds_by_corpus.items():
            summary[corpus]["seconds_per_doc"] = round(sum(secs) / len(secs), 3)
        out["baselines"][name] = {"summary": summary, "documents": per_doc}
        print(name, json.dumps(summary), file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
