"""``summarizer batch``: the nightly job's command line, a thin layer over :func:`run_batch`
(and :func:`run_openai_batch`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from summarizer._cli._exits import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_PROVIDER,
    EXIT_TOO_MANY_FAILED,
    err,
    error_line,
    exit_code,
)
from summarizer._cli._options import BaseUrl, MaxReasks, Model, Quiet, Timeout, Verbose
from summarizer.batch._limits import Throttle
from summarizer.batch._openai_batch import cancel_batches, run_openai_batch
from summarizer.batch._report import _duration
from summarizer.batch._runner import (
    BatchAborted,
    BatchOptions,
    BatchStats,
    batch_concurrency,
    run_batch,
)
from summarizer.batch._store import Store
from summarizer.config import Settings
from summarizer.exceptions import ConfigurationError, SummarizerError
from summarizer.pipeline import Summarizer

__all__ = ["LOG_EVERY", "batch_command"]

LOG_EVERY = 10.0
"""Seconds between two plain progress lines (no terminal: cron, CI)."""


class BatchBackend(StrEnum):
    online = "online"
    openai_batch = "openai-batch"


def batch_command(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="Directories (searched recursively), .jsonl files of article objects "
            '({"id","title","text","url","published","language"}) or article files.',
            metavar="SOURCE",
        ),
    ],
    store: Annotated[
        Path,
        typer.Option(
            envvar="SUMMARIZER_STORE",
            help="SQLite store of the night: what is done, failed, and every result.",
        ),
    ] = Path("summarizer-batch.db"),
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="JSONL output, one line per article of this run."),
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option(help="Also write one JSON file per summarized article here.")
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=512, help="Articles in flight (default 4; 1 for the local model)."),
    ] = None,
    rpm: Annotated[float | None, typer.Option(min=1, help="Requests per minute at most.")] = None,
    tpm: Annotated[float | None, typer.Option(min=1, help="Tokens per minute at most.")] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Send again only the articles that failed.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only articles published (or files modified) on or after this date, YYYY-MM-DD."
        ),
    ] = None,
    glob: Annotated[
        list[str] | None,
        typer.Option(
            help="File patterns in directories (repeatable; default *.txt *.md *.json "
            "*.html *.htm; .jsonl files are always read)."
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            help="File patterns to skip in directories (repeatable; default README* LICENSE* "
            "LICENCE* ATTRIBUTION* CHANGELOG* NOTICE* COPYING* AUTHORS*, case-insensitive)."
        ),
    ] = None,
    max_failed: Annotated[
        float,
        typer.Option(min=0, max=1, help="Exit 6 when more than this share of articles failed."),
    ] = 0.05,
    stop_after_same: Annotated[
        int,
        typer.Option(
            min=0,
            help="Exit 5 at once when this many articles in a row failed with the same "
            "validation error (0: never).",
        ),
    ] = 10,
    model: Model = None,
    base_url: BaseUrl = None,
    max_reasks: MaxReasks = None,
    timeout: Timeout = None,
    backend: Annotated[
        BatchBackend,
        typer.Option(
            help="online: ask the endpoint now. openai-batch: hand the questions to the OpenAI "
            "Batch API (half price, answers within 24 h); run the same command again to "
            "collect and go on, or pass --wait."
        ),
    ] = BatchBackend.online,
    wait: Annotated[
        bool, typer.Option("--wait", help="openai-batch: poll until every article is finished.")
    ] = False,
    poll_interval: Annotated[
        float, typer.Option(min=1, help="openai-batch: seconds between polls with --wait.")
    ] = 60.0,
    cancel: Annotated[
        bool,
        typer.Option("--cancel", help="openai-batch: cancel the batches in progress and stop."),
    ] = False,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Summarize every new article under SOURCE…; resumable, idempotent, rate-limited.

    Articles already done in the store under the same text and run fingerprint (prompts,
    language packs, rules, schemas, model and the settings that change results)
    are never sent again: rerunning a finished night makes no model request. After a crash or
    kill, run the same command again to finish the night. One failed article never stops the
    night; --retry-failed sends the failed ones again.

    With --backend openai-batch the questions go to the OpenAI Batch API: each run collects
    the finished batches, completes the articles they answer, and submits the next questions.

    Exit codes: 0 ok · 3 input error (no such source, bad --since) · 4 configuration or
    provider error that stopped the night · 5 stopped early: the last --stop-after-same
    articles all failed with the same validation error · 6 more than --max-failed of the
    articles failed ·
    7 another run holds the store · 8 the store or an output cannot be written (disk full,
    read-only or unwritable folder): the night stops at once, finished articles are kept.
    """
    missing = [str(s) for s in sources if not s.exists()]
    if missing:
        error_line("InputError", f"no such file or directory: {', '.join(missing)}")
        raise typer.Exit(EXIT_INPUT)
    try:
        since_date = dt.date.fromisoformat(since) if since else None
    except ValueError:
        error_line("InputError", f"--since {since!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(EXIT_INPUT) from None
    try:
        settings = Settings.resolve(
            model=model, base_url=base_url, max_reasks=max_reasks, timeout=timeout
        )
    except ConfigurationError as exc:
        error_line("ConfigurationError", exc.message)
        raise typer.Exit(EXIT_PROVIDER) from None
    api_batch = backend is BatchBackend.openai_batch
    if api_batch and settings.backend != "openai":
        error_line(
            "ConfigurationError",
            "--backend openai-batch needs the OpenAI API (or a compatible one with "
            "/v1/batches): set OPENAI_API_KEY (and OPENAI_BASE_URL)",
        )
        raise typer.Exit(EXIT_PROVIDER)
    chosen = batch_concurrency(settings, concurrency, api_batch=api_batch)
    if concurrency is not None and chosen < concurrency:
        err.print("note: the embedded model serves one request at a time; using --concurrency 1")
    options = BatchOptions(
        concurrency=chosen,
        rpm=rpm,
        tpm=tpm,
        retry_failed=retry_failed,
        since=since_date,
        max_failed=max_failed,
        stop_after_same=stop_after_same,
        out=out,
        out_dir=out_dir,
    )
    if glob:
        options = replace(options, patterns=tuple(glob))
    if exclude:
        options = replace(options, excludes=tuple(exclude))
    mode = _ApiBatchMode(wait, poll_interval, cancel) if api_batch else None
    try:
        stats = _run(sources, store, settings, options, quiet=quiet, api_batch=mode)
    except KeyboardInterrupt:
        err.print(
            "interrupted: finished articles are saved in the store; run the same command "
            "again to finish the night"
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except SummarizerError as exc:
        if verbose:
            err.print_exception()
        stopped = exc.stats if isinstance(exc, BatchAborted) else None
        if stopped is not None and not quiet:
            err.print(_summary_line(stopped, store, None), markup=False)
        code, name = exit_code(exc)
        error_line(name, exc.message)
        raise typer.Exit(code) from None
    if stats is None:
        return  # --cancel said what it did
    if not quiet:
        err.print(_summary_line(stats, store, out))
    if stats.failed_share > max_failed:
        error_line(
            "TooManyFailed",
            f"{stats.failed_share:.1%} of the articles failed, over --max-failed "
            f"{max_failed:.1%}; see `summarizer report {store}`",
        )
        raise typer.Exit(EXIT_TOO_MANY_FAILED)


@dataclass(frozen=True)
class _ApiBatchMode:
    wait: bool
    poll_interval: float
    cancel: bool


def _run(
    sources: list[Path],
    store_path: Path,
    settings: Settings,
    options: BatchOptions,
    *,
    quiet: bool,
    api_batch: _ApiBatchMode | None,
) -> BatchStats | None:
    concurrency = batch_concurrency(settings, options.concurrency)
    throttle = Throttle(concurrency, rpm=options.rpm, tpm=options.tpm)
    progress = _Reporter(quiet=quiet)

    async def main() -> BatchStats | None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is not None:  # systemd and cron stop with SIGTERM: same clean stop as Ctrl-C
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        if api_batch is not None:
            return await _api_batch(sources, store, settings, options, api_batch, progress)
        async with Summarizer(settings=settings, gate=throttle) as summarizer:
            return await run_batch(
                sources, store, summarizer, options, throttle=throttle, on_progress=progress
            )

    with Store(store_path) as store, progress:
        try:
            return asyncio.run(main())
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None
        except BatchAborted:
            raise


async def _api_batch(
    sources: list[Path],
    store: Store,
    settings: Settings,
    options: BatchOptions,
    mode: _ApiBatchMode,
    progress: Callable[[BatchStats], None],
) -> BatchStats | None:
    if mode.cancel:
        cancelled = await cancel_batches(store, settings)
        err.print(
            f"cancelled {len(cancelled)} batch(es): {', '.join(cancelled) or 'none in progress'}; "
            "their questions go in the next run's batches"
        )
        return None
    result = await run_openai_batch(
        [str(s) for s in sources],
        store,
        settings,
        options,
        wait=mode.wait,
        poll_interval=mode.poll_interval,
        on_progress=progress,
    )
    err.print(
        f"Batch API: collected {result.collected_batches} batch(es) ({result.answered} answers, "
        f"{result.requeued} to send again, {result.failed_requests} failed); submitted "
        f"{result.submitted_requests} questions in {len(result.created_batches)} new batch(es); "
        f"{result.in_progress} batch(es) in progress"
        + (
            ": run the same command again later to collect them (or pass --wait)"
            if result.in_progress
            else ""
        )
    )
    assert result.run is not None
    return result.run


class _Reporter:
    """A Rich progress bar on a terminal; a plain line every 10 s otherwise (cron, CI)."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty() and not os.environ.get("CI")
        self.last = 0.0
        self.bar: Progress | None = None
        self.task = None

    def __enter__(self) -> _Reporter:
        if self.tty and not self.quiet:
            self.bar = Progress(
                TextColumn("[bold]batch[/]"),
                BarColumn(),
                TextColumn("{task.fields[line]}"),
                TimeElapsedColumn(),
                console=err,
                transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task("batch", total=None, line="")  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def __call__(self, stats: BatchStats) -> None:
        if self.quiet:
            return
        if self.bar is not None and self.task is not None:
            # Indeterminate (total None) until the inputs are counted; then inputs, not queue.
            self.bar.update(
                self.task, total=stats.total, completed=stats.accounted, line=_line(stats)
            )
            return
        now = time.monotonic()
        if stats.finished or now - self.last >= LOG_EVERY:
            self.last = now
            err.print(f"{dt.datetime.now():%H:%M:%S} {_line(stats)}", markup=False)


def _line(stats: BatchStats) -> str:
    """The progress line. The ETA is the inputs not yet accounted for at the rate articles are
    summarized (a skipped input takes no time, so it can only come early, never late)."""
    summarized = stats.done + stats.failed
    rate = summarized / stats.elapsed if stats.elapsed > 0 else 0.0
    if stats.total is None:
        where, eta = f"{stats.accounted} of ? inputs (counting)", ""
    else:
        left = stats.total - stats.accounted
        where = f"{stats.accounted}/{stats.total} inputs"
        eta = f" · ETA {_duration(left / rate)}" if rate > 0 and left > 0 else ""
    skipped = stats.skipped_done + stats.skipped_failed
    return (
        f"{where} · done {stats.done} · failed {stats.failed} · skipped {skipped} "
        f"· {rate * 60:.1f}/min{eta} · {stats.usage.total_tokens:,} tokens "
        f"· concurrency {stats.concurrency}"
    )


def _summary_line(stats: BatchStats, store: Path, out: Path | None) -> str:
    failures = ", ".join(f"{k} {v}" for k, v in sorted(stats.failures.items())) or "none"
    written = f"; wrote {out}" if out is not None else ""
    return (
        f"run {stats.run_id}: {stats.done} summarized, {stats.failed} failed ({failures}), "
        f"{stats.skipped_done} already done, {stats.skipped_failed} failed before (not retried), "
        f"{stats.duplicates} duplicates, {stats.filtered} before --since"
        + (f", {stats.deferred} waiting for the Batch API" if stats.deferred else "")
        + (f", {stats.restored} missing --out-dir files written again" if stats.restored else "")
        + (
            f", {stats.reused_requests} answers taken from the store (not sent again)"
            if stats.reused_requests
            else ""
        )
        + (f"; {stats.aborted}" if stats.aborted else "")
        + "; "
        f"{stats.usage.requests} requests, {stats.usage.total_tokens:,} tokens in "
        f"{stats.elapsed:.1f} s{written}. Report: summarizer report {store}"
    )
