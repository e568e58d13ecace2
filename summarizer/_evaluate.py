"""The evaluation run: the pipeline over gold documents, beside the rule baseline, scored by
:mod:`summarizer.evaluation` (the library side of ``summarizer eval``).

The model runs through the nightly batch (:func:`~summarizer.batch.run_batch` and its SQLite
store): a long evaluation killed half-way, or rerun with the same model and prompts, asks
nothing twice. The rule baseline is :mod:`summarizer._baseline`, computed on the same
documents so each number has a reference.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarizer import prompts
from summarizer._baseline import BASELINES
from summarizer.batch import BatchOptions, BatchStats, Store, Throttle, run_batch
from summarizer.evaluation import Counts, Similarity, score_documents, to_prediction
from summarizer.exceptions import InputError
from summarizer.models import ArticleSummary
from summarizer.pipeline import PROMPTS, Summarizer

__all__ = [
    "EvalRun",
    "evaluate",
    "format_labels",
    "format_table",
    "load_gold",
    "select",
]


def load_gold(path: Path) -> list[dict[str, Any]]:
    """The gold documents of a JSONL file, checked enough to score (``InputError`` if not)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    docs: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("text"), str) or not doc["text"]:
            raise InputError(f'{where}: expected a gold document with "id" and "text"')
        if not isinstance(doc.get("id"), str) or doc["id"] in seen:
            raise InputError(f'{where}: "id" missing, not a string, or seen before')
        for key in ("attributions", "events"):
            if not isinstance(doc.get(key, []), list):
                raise InputError(f'{where}: "{key}" must be a list')
        seen.add(doc["id"])
        docs.append(doc)
    if not docs:
        raise InputError(f"{path}: no gold documents")
    return docs


def select(
    docs: Sequence[dict[str, Any]],
    limit: int | None = None,
    per_corpus: int | None = None,
    split: str | None = None,
) -> list[dict[str, Any]]:
    """The documents of one ``split`` (our gold's tune / held-out halves) if given, the first
    ``per_corpus`` of each corpus, then the first ``limit`` of those."""
    kept: list[dict[str, Any]] = []
    taken: dict[str, int] = {}
    for doc in docs:
        if split is not None and doc.get("split") != split:
            continue
        corpus = str(doc.get("source_corpus") or "unknown")
        if per_corpus is not None and taken.get(corpus, 0) >= per_corpus:
            continue
        taken[corpus] = taken.get(corpus, 0) + 1
        kept.append(doc)
    return kept[:limit] if limit is not None else kept


@dataclass
class EvalRun:
    """What one evaluation produced: predictions of both systems and how the model ran."""

    docs: list[dict[str, Any]]
    pipeline: dict[str, dict[str, Any]] | None
    baseline: dict[str, dict[str, Any]]
    seconds: list[float] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    capped: list[str] = field(default_factory=list)
    model: str | None = None
    prompt_version: str | None = None
    baseline_name: str = "rules"
    baseline_seconds: dict[str, float] = field(default_factory=dict)
    usage: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each summarized document's usage (requests, tokens, seconds), by document id."""

    def scores(self, sim: Similarity = "overlap") -> dict[str, dict[str, Counts]]:
        out = {"baseline": score_documents(self.docs, self.baseline, sim)}
        if self.pipeline is not None:
            out = {"pipeline": score_documents(self.docs, self.pipeline, sim), **out}
        return out

    def report(self, sim: Similarity = "overlap") -> dict[str, Any]:
        """The ``--out`` JSON: scores, run facts and every prediction."""
        return {
            "date": dt.date.today().isoformat(),
            "model": self.model,
            "prompt_version": self.prompt_version,
            "similarity": sim,
            "docs": len(self.docs),
            "seconds_per_doc": round(statistics.mean(self.seconds), 1) if self.seconds else None,
            "baseline": self.baseline_name,
            "baseline_seconds": {k: round(v, 3) for k, v in self.baseline_seconds.items()},
            "failed": self.failed,
            "statement_cap_hit": self.capped,
            "scores": {
                system: {corpus: c.scores() for corpus, c in counts.items()}
                for system, counts in self.scores(sim).items()
            },
            "predictions": {
                "pipeline": list((self.pipeline or {}).values()),
                "baseline": list(self.baseline.values()),
            },
        }


async def evaluate(
    docs: list[dict[str, Any]],
    store: Store | None,
    summarizer: Summarizer | None,
    *,
    throttle: Throttle | None = None,
    retry_failed: bool = False,
    on_progress: Callable[[BatchStats], None] | None = None,
    baseline: str = "rules",
) -> EvalRun:
    """Predictions of the baseline (``rules`` or ``parse``) and, given a store and a
    summarizer, of the pipeline.

    The gold documents go to :func:`run_batch` as a temporary JSONL (id, text, language,
    title), so articles already done in ``store`` under this model and prompts are reused.
    """
    predict = BASELINES[baseline]
    predictions: dict[str, dict[str, Any]] = {}
    baseline_seconds: dict[str, float] = {}
    for d in docs:
        started = time.perf_counter()
        predictions[d["id"]] = predict(d["id"], d["text"], d.get("lang"))
        baseline_seconds[d["id"]] = time.perf_counter() - started
    run = EvalRun(docs, None, predictions, baseline_name=baseline)
    run.baseline_seconds = baseline_seconds
    if store is None or summarizer is None:
        return run
    run.model = summarizer.settings.model
    run.prompt_version = prompts.prompt_version(PROMPTS)
    throttle = throttle or Throttle(1)
    with tempfile.TemporaryDirectory(prefix="summarizer-eval-") as tmp:
        inputs = Path(tmp) / "gold.jsonl"
        with inputs.open("w", encoding="utf-8") as handle:
            for d in docs:
                article = {"id": d["id"], "text": d["text"], "language": d.get("lang")}
                article["title"] = d.get("title")
                handle.write(json.dumps(article, ensure_ascii=False) + "\n")
        options = BatchOptions(concurrency=throttle.limit, retry_failed=retry_failed)
        stats = await run_batch(
            [inputs], store, summarizer, options, throttle=throttle, on_progress=on_progress
        )
    run.pipeline = {}
    wanted = {d["id"] for d in docs}
    for article_id, _source, _key, row in store.run_items(stats.run_id):
        if article_id not in wanted:
            continue
        if row is None or row.state != "done" or row.result is None:
            state = row.state if row is not None else "pending"
            message = row.error_message if row is not None else None
            run.failed[article_id] = f"{state}: {message or 'not summarized'}"
            continue
        summary = ArticleSummary.model_validate_json(row.result)
        run.pipeline[article_id] = to_prediction(article_id, summary)
        run.seconds.append(summary.provenance.usage.seconds)
        run.usage[article_id] = summary.provenance.usage.model_dump(mode="json")
        if any(w.startswith("only the first") for w in summary.provenance.warnings):
            run.capped.append(article_id)
    return run


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def format_table(scores: Mapping[str, Mapping[str, Counts]]) -> str:
    """A Markdown table: one row per corpus and system, overall last."""
    head = (
        "| corpus | system | docs | content P | content R | content F1 | speaker acc (pairs) "
        "| trigger P | trigger R | trigger F1 | arg P | arg R | arg F1 |"
    )
    rows = [head, "|" + "---|" * 13]
    corpora = [c for c in next(iter(scores.values())) if c != "overall"] + ["overall"]
    for corpus in corpora:
        for system, counts in scores.items():
            s = counts[corpus].scores()
            c, t, a, sp = s["content"], s["trigger"], s["argument"], s["speaker"]
            att = c["docs"] > 0
            ev = t["docs"] > 0
            cells = [
                corpus,
                system,
                str(s["docs"]),
                *(_pct(c[k]) if att else "–" for k in ("precision", "recall", "f1")),
                f"{_pct(sp['accuracy'])} ({sp['pairs']})" if att else "–",
                *(_pct(t[k]) if ev else "–" for k in ("precision", "recall", "f1")),
                *(_pct(a[k]) if ev else "–" for k in ("precision", "recall", "f1")),
            ]
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def format_labels(scores: Mapping[str, Mapping[str, Counts]], field_name: str) -> str:
    """Accuracy, macro-F1 and confusion matrix (rows gold, columns predicted) of ``evidence``,
    ``stance`` or ``commitment`` on matched pairs; empty when the gold labels none."""
    out: list[str] = []
    for system, counts in scores.items():
        labels = counts["overall"].scores()[field_name]
        if not labels["pairs"]:
            continue
        matrix: dict[str, dict[str, int]] = labels["confusion"]
        columns = sorted({p for row in matrix.values() for p in row})
        out.append(
            f"{field_name}, {system}: accuracy {_pct(labels['accuracy'])}, macro-F1 "
            f"{_pct(labels['macro_f1'])} on {labels['pairs']} matched pairs "
            "(rows gold, columns predicted)"
        )
        out.append("| gold \\ predicted | " + " | ".join(columns) + " |")
        out.append("|" + "---|" * (len(columns) + 1))
        for gold in sorted(matrix):
            out.append(
                f"| {gold} | " + " | ".join(str(matrix[gold].get(p, 0)) for p in columns) + " |"
            )
        out.append("")
    return "\n".join(out)
