"""``summarizer eval``: run the pipeline over gold documents and score it beside the baseline
(:mod:`summarizer._evaluate`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import statistics
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from summarizer._baseline import BASELINES
from summarizer._cli._batch import LOG_EVERY
from summarizer._cli._exits import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_PROVIDER,
    err,
    error_line,
    fail,
    write_out,
)
from summarizer._cli._options import BaseUrl, MaxReasks, Model, Quiet, Timeout, Verbose
from summarizer._evaluate import EvalRun, evaluate, format_labels, format_table, load_gold, select
from summarizer.batch import BatchStats, Store, Throttle, batch_concurrency
from summarizer.config import Settings
from summarizer.evaluation import Similarity
from summarizer.exceptions import InputError, SummarizerError
from summarizer.pipeline import Summarizer

__all__ = ["eval_command"]


class _Progress:
    """One line on stderr when an article finishes, and every 10 s while one is slow."""

    def __init__(self, total: int, *, quiet: bool) -> None:
        self.total, self.quiet = total, quiet
        self.last = 0.0
        self.finished = -1

    def __call__(self, stats: BatchStats) -> None:
        finished = stats.done + stats.failed + stats.skipped_done + stats.skipped_failed
        now = time.monotonic()
        if self.quiet or (finished == self.finished and now - self.last < LOG_EVERY):
            return
        self.last, self.finished = now, finished
        err.print(
            f"{dt.datetime.now():%H:%M:%S} eval: {finished}/{self.total} documents "
            f"({stats.done} summarized, {stats.failed} failed, {stats.skipped_done} from the "
            f"store) · {stats.usage.total_tokens:,} tokens · {stats.elapsed:.0f} s",
            markup=False,
        )


def eval_command(
    gold: Annotated[
        Path, typer.Argument(help="Gold JSONL (see EVAL.md): id, text, attributions, events.")
    ],
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first N documents (after --per-corpus).")
    ] = None,
    per_corpus: Annotated[
        int | None, typer.Option(min=1, help="Only the first N documents of each corpus.")
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(help='Only the documents whose "split" is this (our gold: tune, heldout).'),
    ] = None,
    store: Annotated[
        Path,
        typer.Option(help="Batch store of the model's summaries; a rerun reuses what is done."),
    ] = Path("summarizer-eval.db"),
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the scores, run facts and predictions (JSON)."),
    ] = None,
    baseline_only: Annotated[
        bool, typer.Option("--baseline-only", help="Score the rule baseline only; no model.")
    ] = False,
    baseline: Annotated[
        str,
        typer.Option(
            "--baseline",
            help="Which rule baseline: rules (quotations and a nearby verb) or parse (the "
            "spaCy parser front end; the rules where a language has no parser).",
        ),
    ] = "rules",
    similarity: Annotated[
        str, typer.Option("--sim", help="Content similarity: overlap (default) or jaccard.")
    ] = "overlap",
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Summarize again the documents that failed.")
    ] = False,
    model: Model = None,
    base_url: BaseUrl = None,
    max_reasks: MaxReasks = None,
    timeout: Timeout = None,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Score the pipeline on gold documents, beside the rule baseline, per corpus and overall.

    Content P/R/F1 (word overlap ≥ 0.5, one-to-one), speaker accuracy on matched pairs, event
    trigger and argument P/R/F1, and, where the gold labels them, evidence status, stance and
    commitment.
    The summaries go through the batch store (--store): rerun the same command after an
    interruption and only the missing documents are sent.

    Exit codes: 0 ok · 3 input error · 4 configuration or provider error · 7 store busy.
    """
    if similarity not in ("overlap", "jaccard"):
        error_line("InputError", f"--sim {similarity!r}: use overlap or jaccard")
        raise typer.Exit(EXIT_INPUT)
    sim: Similarity = "overlap" if similarity == "overlap" else "jaccard"
    if baseline not in BASELINES:
        error_line("InputError", f"--baseline {baseline!r}: use " + " or ".join(BASELINES))
        raise typer.Exit(EXIT_INPUT)
    try:
        docs = select(load_gold(gold), limit, per_corpus, split)
        if not docs:
            raise InputError(f"{gold}: no gold documents with split {split!r}")
        run = _run(docs, store, baseline_only, retry_failed, model, base_url, max_reasks, timeout,
                   quiet, baseline)  # fmt: skip
    except KeyboardInterrupt:
        err.print("interrupted: finished documents are in the store; run the same command again")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except (SummarizerError, ValidationError) as exc:
        if verbose:
            err.print_exception()
        if isinstance(exc, SummarizerError):
            fail(exc)
        error_line(type(exc).__name__, str(exc).splitlines()[0])  # a stored summary unread
        raise typer.Exit(EXIT_PROVIDER) from None
    scores = run.scores(sim)
    typer.echo(format_table(scores))
    for name in ("evidence", "stance", "commitment"):
        labels = format_labels(scores, name)
        if labels:
            typer.echo("\n" + labels.rstrip())
    if not quiet:
        err.print(_facts(run), markup=False)
    if out is not None:
        write_out(out, json.dumps(run.report(sim), ensure_ascii=False, indent=1))


def _facts(run: EvalRun) -> str:
    if run.pipeline is None:
        per_doc = statistics.mean(run.baseline_seconds.values()) if run.baseline_seconds else 0
        return (
            f"{len(run.docs)} documents, {run.baseline_name} baseline only, "
            f"{per_doc:.2f} s per document"
        )
    mean = f"{statistics.mean(run.seconds):.0f} s" if run.seconds else "–"
    facts = (
        f"{len(run.docs)} documents, model {run.model}, prompts {run.prompt_version}, "
        f"{mean} per summarized document"
    )
    if run.failed:
        facts += f"; {len(run.failed)} not summarized (scored as empty): " + ", ".join(run.failed)
    if run.capped:
        facts += f"; {len(run.capped)} hit the statement cap (later statements not attributed)"
    return facts


def _run(
    docs: list[dict[str, Any]],
    store_path: Path,
    baseline_only: bool,
    retry_failed: bool,
    model: str | None,
    base_url: str | None,
    max_reasks: int | None,
    timeout: float | None,
    quiet: bool,
    baseline: str = "rules",
) -> EvalRun:
    if baseline_only:
        return asyncio.run(evaluate(docs, None, None, baseline=baseline))
    settings = Settings.resolve(
        model=model, base_url=base_url, max_reasks=max_reasks, timeout=timeout
    )
    throttle = Throttle(batch_concurrency(settings))
    progress = _Progress(len(docs), quiet=quiet)

    async def main() -> EvalRun:
        with Store(store_path) as store:
            async with Summarizer(settings=settings, gate=throttle) as summarizer:
                return await evaluate(
                    docs,
                    store,
                    summarizer,
                    throttle=throttle,
                    retry_failed=retry_failed,
                    on_progress=progress,
                    baseline=baseline,
                )

    try:
        return asyncio.run(main())  # BatchAborted is a SummarizerError: one line, exit 4
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
