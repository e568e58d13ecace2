"""How the confidence thresholds of the evidence and replies passes move the scores, on answers
already asked (no new request: run it on a closed port, naming the model and backend the
answers were asked with, so that the requests are the same bytes as when they were kept).

    OPENAI_BASE_URL=http://127.0.0.1:9/v1 SUMMARIZER_BACKEND=local \\
    SUMMARIZER_MODEL=qwen2.5-coder-1.5b-instruct-q4_k_m python benchmarks/threshold_sweep.py \\
        tests/data/gold/fr-wikinews.jsonl --split tune --answers answers.db --out sweep.json

Each pass's threshold is swept on its own, the other pass's held at its value in the code.
The replies threshold decides which statements are claims, so the evidence questions of
other thresholds differ: without ``OPENAI_BASE_URL`` the embedded model answers them (and
the answers are kept); on a closed port such a row records how many answers were missing.
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

THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


async def _scores(docs: list[dict[str, Any]], answers: Path) -> dict[str, Any]:
    settings = Settings.resolve()
    replayed = ReplayedAnswers(answers)
    throttle = Throttle(1)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "eval.db") as store:
        async with Summarizer(settings=settings, gate=throttle) as s:
            s._wrap = replayed.around
            run = await evaluate(docs, store, s, throttle=throttle)
    if run.failed:
        return {"missing_answers": replayed.misses, "failed": sorted(run.failed)}
    overall: dict[str, Any] = run.scores()["pipeline"]["overall"].scores()
    return {k: overall[k] for k in ("evidence", "stance", "commitment")}


def _brief(labels: dict[str, Any]) -> str:
    return f"{labels['accuracy']:.3f} / {labels['macro_f1']:.3f} ({labels['pairs']})"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("--answers", type=Path, required=True)
    parser.add_argument("--split", default="tune")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--passes", nargs="+", choices=("evidence", "replies"), default=["evidence", "replies"]
    )
    args = parser.parse_args()
    docs = select(load_gold(args.gold), split=args.split)
    rows = []
    for module in [{"evidence": _evidence, "replies": _replies}[p] for p in args.passes]:
        kept = module.THRESHOLD
        for t in THRESHOLDS:
            module.THRESHOLD = t
            got = await _scores(docs, args.answers)
            rows.append({"pass": module.__name__.rsplit(".", 1)[-1], "threshold": t, **got})
            if "failed" in got:
                print(f"{rows[-1]['pass']:10} {t:.1f}  {got['missing_answers']} answers missing")
                continue
            print(
                f"{rows[-1]['pass']:10} {t:.1f}  evidence {_brief(got['evidence'])}  "
                f"stance {_brief(got['stance'])}  commitment {_brief(got['commitment'])}"
            )
        module.THRESHOLD = kept
    if args.out:
        about = {"split": args.split, "documents": [d["id"] for d in docs]}
        args.out.write_text(json.dumps({**about, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
