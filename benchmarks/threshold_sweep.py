"""How the confidence thresholds of the evidence and replies passes move the scores, on answers
already asked (no new request: run it with ``OPENAI_BASE_URL`` on a closed port).

    OPENAI_BASE_URL=http://127.0.0.1:9/v1 python benchmarks/threshold_sweep.py \\
        tests/data/gold/fr-wikinews.jsonl --split tune --answers answers.db --out sweep.json

A threshold is chosen on the tune half of our gold and only then applied to the held-out
half (EVAL.md). The JSON holds the thresholds and the scores (no gold or article text).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from eval_cached import ReplayedAnswers  # noqa: E402

from summarizer import _evidence, _replies  # noqa: E402
from summarizer._evaluate import evaluate, load_gold, select  # noqa: E402
from summarizer.batch import Store, Throttle  # noqa: E402
from summarizer.config import Settings  # noqa: E402
from summarizer.pipeline import Summarizer  # noqa: E402

THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


async def _scores(docs: list[dict[str, Any]], answers: Path) -> dict[str, Any]:
    settings = Settings.resolve()
    replayed = ReplayedAnswers(answers)
    throttle = Throttle(1)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "eval.db") as store:
        async with Summarizer(settings=settings, gate=throttle) as s:
            s._wrap = replayed.around
            run = await evaluate(docs, store, s, throttle=throttle)
    if replayed.misses or run.failed:
        raise SystemExit(f"{replayed.misses} answers were not kept; failed: {run.failed}")
    overall: dict[str, Any] = run.scores()["overall"]
    return {k: overall[k] for k in ("evidence", "stance", "commitment")}


def _brief(labels: dict[str, Any]) -> str:
    return f"{labels['accuracy']:.3f} / {labels['macro_f1']:.3f} ({labels['pairs']})"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("--answers", type=Path, required=True)
    parser.add_argument("--split", default="tune")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    docs = select(load_gold(args.gold), split=args.split)
    rows = []
    for t in THRESHOLDS:
        _evidence.THRESHOLD = _replies.THRESHOLD = t
        got = await _scores(docs, args.answers)
        rows.append({"threshold": t, **got})
        print(f"{t:.1f}  evidence {_brief(got['evidence'])}  stance {_brief(got['stance'])}")
    if args.out:
        about = {"split": args.split, "documents": [d["id"] for d in docs]}
        args.out.write_text(json.dumps({**about, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
