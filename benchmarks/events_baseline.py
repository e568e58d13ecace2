"""The event rules alone (no model) on the 10 WikiEvents dev documents, tune and held-out halves.

    python benchmarks/events_baseline.py /work/shared/eval/dev_gold.jsonl \
        --out benchmarks/events_baseline.json

Tune = documents 1, 3, 5, 7, 9 in file order (the rules were written looking at these only),
held-out = 2, 4, 6, 8, 10. Scored by summarizer.evaluation; ids, counts and scores only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from summarizer._events import RULES_VERSION, events_prediction  # noqa: E402
from summarizer.evaluation import Counts, score_document  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    docs = [json.loads(line) for line in Path(args.gold).read_text(encoding="utf-8").splitlines()]
    docs = [d for d in docs if d.get("source_corpus") == "wikievents"]
    out: dict = {"rules_version": RULES_VERSION, "splits": {}}
    for split, part in (("tune", docs[0::2]), ("heldout", docs[1::2])):
        total, rows = Counts(), []
        for d in part:
            pred = {"id": d["id"], "events": events_prediction(d["text"], d["lang"])}
            c = score_document(d, pred)
            total = total + c
            rows.append(
                {
                    "id": d["id"],
                    "scores": {k: c.scores()[k] for k in ("trigger", "argument", "arg_text")},
                }
            )
        out["splits"][split] = {
            "documents": rows,
            "scores": {k: total.scores()[k] for k in ("trigger", "argument", "arg_text")},
        }
        print(
            split, json.dumps({k: total.scores()[k] for k in ("trigger", "argument", "arg_text")})
        )
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
