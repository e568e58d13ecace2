"""``summarizer eval`` with every model answer kept, so code after the model is measured twice.

    python benchmarks/eval_cached.py GOLD.jsonl --answers answers.db [--per-corpus N] [--out F]
        [--scores F]

Runs the evaluation of ``summarizer eval`` on the embedded model (or the configured endpoint)
with a cache in front of the model (:class:`ReplayedAnswers`, a
:class:`summarizer._answers.CachingModel`) that stores each answer under the sha256 of its
request and replays it when the same request comes again. A change to what code does *after*
the model (speaker resolution, evidence grounding, the mapping to predictions) is then
measured before and after on identical model answers, in seconds instead of hours; a change
that alters the requests sends only the changed ones to the model. Each run uses a fresh batch
store unless ``--store`` names one, so by default no summary is reused, only answers.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from summarizer import _parse  # noqa: E402
from summarizer._answers import CachingModel, request_bytes  # noqa: E402
from summarizer._cli._eval import _Progress  # noqa: E402
from summarizer._evaluate import (  # noqa: E402
    evaluate,
    format_labels,
    format_table,
    load_gold,
    select,
)
from summarizer._model import Model  # noqa: E402
from summarizer.batch import Store, Throttle  # noqa: E402
from summarizer.config import Settings  # noqa: E402
from summarizer.evaluation import score_document  # noqa: E402
from summarizer.pipeline import Summarizer  # noqa: E402


class ReplayedAnswers:
    """The answers file, in front of the model (a :class:`summarizer._answers.CachingModel`):
    a request seen before is answered from SQLite, a new one asked and its answer stored.

    The key is the one the HTTP transport that kept these files used, sha256 of
    ``POST {path}\n{body}``, the body being the bytes the ``openai`` SDK sends
    (:func:`summarizer._answers.request_bytes` makes the same), so files written before replay
    as they did; the answer is the completion's JSON. A replayed answer is counted as the
    request it stands for, so a replay reports the requests and tokens of the run it replays.
    """

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, status INTEGER, body BLOB)"
        )
        self.hits = self.misses = 0
        self.chat_path = "/v1/chat/completions"

    def around(self, model: Model) -> Model:
        """``model`` with these answers in front: a :class:`Summarizer`'s model wrapper."""
        base_url = getattr(model, "base_url", None)
        if base_url is not None:
            self.chat_path = urlsplit(str(base_url)).path.rstrip("/") + "/chat/completions"
        return CachingModel(model, self, hit="online")

    def get(self, request: dict[str, Any]) -> tuple[str, str | None]:
        head = f"POST {self.chat_path}\n".encode()
        key = hashlib.sha256(head + request_bytes(request)).hexdigest()
        row = self.db.execute(
            "SELECT body FROM answers WHERE key = ? AND status = 200", (key,)
        ).fetchone()
        if row is None:
            self.misses += 1
            return key, None
        self.hits += 1
        body = row[0]
        return key, body.decode() if isinstance(body, bytes) else str(body)

    async def put(self, key: str, answer: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO answers VALUES (?, ?, ?)", (key, 200, answer.encode())
        )
        self.db.commit()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("--answers", type=Path, required=True, help="SQLite file of answers")
    parser.add_argument("--per-corpus", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--corpus", default=None, help="only the documents of this corpus")
    parser.add_argument(
        "--split", default=None, help="only this half of our gold (tune or heldout)"
    )
    parser.add_argument("--out", type=Path, default=None, help="report JSON")
    parser.add_argument(
        "--scores",
        type=Path,
        default=None,
        help="per-document JSON to commit: ids, counts, scores, requests, tokens and seconds "
        "(no gold or article text, unlike --out, whose predictions quote the articles)",
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="keep the summaries in this batch store (default: a fresh temporary one), so "
        "`summarizer eval --store` prints the same table afterwards without the model",
    )
    parser.add_argument(
        "--seconds-from",
        type=Path,
        action="append",
        default=[],
        help="--scores JSON of a run that asked the model these documents' questions: its "
        "seconds are kept for them (a replay's seconds measure nothing); repeatable",
    )
    args = parser.parse_args()
    docs = [d for d in load_gold(args.gold) if args.corpus in (None, d.get("source_corpus"))]
    docs = select(docs, limit=args.limit, per_corpus=args.per_corpus, split=args.split)
    settings = Settings.resolve()
    answers = ReplayedAnswers(args.answers)
    started = time.monotonic()
    throttle = Throttle(1)
    with (
        tempfile.TemporaryDirectory() as tmp,
        Store(args.store or Path(tmp) / "eval.db") as store,
    ):
        async with Summarizer(settings=settings, gate=throttle) as s:
            s._wrap = answers.around
            progress = _Progress(len(docs), quiet=False)
            run = await evaluate(docs, store, s, throttle=throttle, on_progress=progress)
    scores = run.scores()
    print(format_table(scores))
    for name in ("evidence", "stance"):
        print(format_labels(scores, name))
    print(
        f"{len(docs)} documents, {time.monotonic() - started:.0f} s, answers replayed "
        f"{answers.hits}, asked {answers.misses}, failed {sorted(run.failed)}",
        file=sys.stderr,
    )
    if args.out:
        args.out.write_text(json.dumps(run.report(), ensure_ascii=False, indent=1))
    if args.scores:
        scores = per_document(docs, run)
        for earlier in args.seconds_from:
            timed = json.loads(earlier.read_text(encoding="utf-8"))
            for row in scores["documents"]:
                found = next((r for r in timed["documents"] if r["id"] == row["id"]), None)
                if found is not None and found.get("seconds") is not None:
                    row["seconds"] = found["seconds"]
                    row["seconds_from"] = f"{earlier.name} ({timed['date']})"
        args.scores.write_text(json.dumps(scores, indent=1) + "\n")


_LABELS = ("evidence", "stance", "commitment")
_SCORED = ("content", "speaker", "trigger", "argument", *_LABELS)


def per_document(docs: list[dict[str, Any]], run: Any) -> dict[str, Any]:
    """The committed form of a run: per document its id, corpus, counts, scores and usage."""
    rows = []
    for d in docs:
        scores = score_document(d, (run.pipeline or {}).get(d["id"])).scores()
        # our gold labels evidence, stance and commitment too; the public gold does not
        labelled = {f for a in d.get("attributions") or [] for f in _LABELS if a.get(f)}
        usage = run.usage.get(d["id"], {})
        rows.append(
            {
                "id": d["id"],
                "corpus": d.get("source_corpus"),
                "lang": d.get("lang"),
                "failed": run.failed.get(d["id"]),
                **{k: usage.get(k) for k in ("requests", "prompt_tokens", "completion_tokens")},
                "reasks": usage.get("reasks"),
                "seconds": usage.get("seconds"),
                "scores": {k: scores[k] for k in _SCORED if k not in _LABELS or k in labelled},
            }
        )
    totals = run.report()
    return {
        "date": totals["date"],
        "model": totals["model"],
        "prompt_version": totals["prompt_version"],
        "parser": _parse.parser_versions(),
        "scores": totals["scores"],
        "documents": rows,
    }


if __name__ == "__main__":
    asyncio.run(main())
