"""The batch runner: stream inputs, skip what is done, summarize the rest, export from the store.

Each article's run key is sha256(normalised text) + the run fingerprint
(:mod:`summarizer._fingerprint`: prompts, language packs, rules, parser models, schemas and the
settings that change results), so a rerun of a finished night sends nothing, and a new model,
prompt, pack or rule re-summarizes. An article is
marked ``pending`` in the store before its first request and ``done``/``failed`` after its
last, one commit each; output files are then *exported from the store* (written to a temporary
file and renamed), so a crash at any point leaves either the old file or the complete new one,
and an article summarized before the crash is neither lost nor written twice.

Failures are per article. Only errors that no other article could escape stop the night early
(bad key, bad configuration, the endpoint down for many articles in a row): the articles not
yet sent stay unsent, and the next run picks them up.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from summarizer import prompts
from summarizer._files import atomic_writer, sweep_leftovers, unwritable, write_atomic
from summarizer._fingerprint import digest, fingerprint_parts
from summarizer._input import text_sha256
from summarizer._model import Meter
from summarizer._output import check_writable
from summarizer.batch._inputs import (
    DEFAULT_EXCLUDES,
    DEFAULT_PATTERNS,
    Item,
    aiter_items,
    count_items,
    normalise,
)
from summarizer.batch._limits import Throttle
from summarizer.batch._store import Row, Store, StoreAnswers
from summarizer.client import ANSWER_CACHE
from summarizer.config import Settings
from summarizer.exceptions import (
    InputError,
    ProviderError,
    ProviderUnavailableError,
    SummarizerError,
    ValidationExhaustedError,
    fails_every_input,
)
from summarizer.models import ArticleSummary, Usage
from summarizer.pipeline import PROMPTS, Summarizer

__all__ = [
    "BATCH_API_PARALLEL",
    "ArticleDeferred",
    "BatchAborted",
    "BatchOptions",
    "BatchStats",
    "NightUnwritable",
    "RepeatedFailure",
    "batch_concurrency",
    "run_batch",
    "run_key",
    "schema_hash",
]

_ITEMS_PER_COMMIT = 500
_DOWN_IN_A_ROW = 20
_TICK = 5.0


_INT64 = 2**63 - 1  # what SQLite (and any honest token count) holds


class BatchAborted(SummarizerError):
    """The night was stopped early because no further article could succeed; ``stats`` says
    what it did until then (when the stop came after the night began)."""

    stats: BatchStats | None = None


class RepeatedFailure(BatchAborted):
    """The night was stopped early: its last articles all failed with the same validation
    error (``--stop-after-same``), as every later one would."""


class NightUnwritable(BatchAborted):
    """The night was stopped because its store or outputs cannot be written (disk full,
    read-only or unwritable folder): every later article would be paid for and lost."""


class ArticleDeferred(BaseException):
    """An article's questions were handed to the Batch API: it stays pending until answered.

    Raised by the Batch API's model (:class:`~summarizer.batch._openai_batch.BatchModel`),
    above the ``openai`` SDK; a ``BaseException`` so that nothing on its way up (the re-ask
    loop, the pipeline's error handling) mistakes it for a failed question.
    """


@dataclass(frozen=True)
class BatchOptions:
    """How a batch run behaves; the defaults are the nightly ones."""

    concurrency: int | None = None
    """Articles in flight; None: the backend's (see :func:`batch_concurrency`)."""
    rpm: float | None = None
    tpm: float | None = None
    retry_failed: bool = False
    since: date | None = None
    max_failed: float = 0.05
    stop_after_same: int = 10
    """Stop when this many articles in a row failed with the same validation error (0: never)."""
    out: Path | None = None
    out_dir: Path | None = None
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    excludes: tuple[str, ...] = DEFAULT_EXCLUDES


@dataclass
class BatchStats:
    """What a run did so far; passed to the progress callback and returned at the end."""

    run_id: int = 0
    total: int | None = None  # the inputs, once counted; None until then
    seen: int = 0
    queued: int = 0
    done: int = 0
    failed: int = 0
    skipped_done: int = 0
    skipped_failed: int = 0
    skipped_new: int = 0
    duplicates: int = 0
    deferred: int = 0
    filtered: int = 0
    restored: int = 0  # --out-dir files of articles done before, written again (were missing)
    reused_requests: int = 0  # model answers taken from the store, received by an earlier run
    swept: int = 0  # temporary files of a killed run's atomic writes, removed
    usage: Usage = field(default_factory=Usage)
    failures: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    finished: bool = False
    concurrency: int = 0
    rate_limited: int = 0
    aborted: str | None = None
    stopped_by: str | None = None  # the BatchAborted subclass that ends the night, by name
    failed_share: float = 0.0

    def stop(self, reason: str, by: type[BatchAborted] = BatchAborted) -> None:
        """Stop the night (the first reason given stands): no further article is started."""
        if self.aborted is None:
            self.aborted, self.stopped_by = reason, by.__name__

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def accounted(self) -> int:
        """Inputs whose fate in this run is known: summarized, failed, skipped or filtered."""
        skipped = self.skipped_done + self.skipped_failed + self.skipped_new
        return self.done + self.failed + self.duplicates + self.deferred + skipped + self.filtered

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["usage"] = self.usage.model_dump()
        out["elapsed"] = round(self.elapsed, 3)
        del out["started"]
        return out


BATCH_API_PARALLEL = 64
"""Questions of one article in flight with the Batch API: every question an article has ready
goes in the same batch round."""


def batch_concurrency(
    settings: Settings, requested: int | None = None, *, api_batch: bool = False
) -> int:
    """Articles in flight in a night on ``settings``: ``requested``, else 64 for the OpenAI
    Batch API and 4 for an online endpoint; always 1 for the embedded model, which serves one
    request at a time (more would only queue in its one slot)."""
    if settings.embedded:
        return 1
    return requested or (64 if api_batch else 4)


def schema_hash() -> str:
    """A short hash of the output schema: a schema change makes every key new."""
    schema = json.dumps(ArticleSummary.model_json_schema(), sort_keys=True)
    return hashlib.sha256(schema.encode()).hexdigest()[:16]


def run_key(text_hash: str, fingerprint: str) -> str:
    """The store key of an article: its text's hash under one run fingerprint."""
    return hashlib.sha256(f"{text_hash}|{fingerprint}".encode()).hexdigest()


async def run_batch(
    sources: Iterable[str | os.PathLike[str]],
    store: Store,
    summarizer: Summarizer,
    options: BatchOptions = BatchOptions(),
    *,
    throttle: Throttle | None = None,
    on_progress: Callable[[BatchStats], None] | None = None,
    answer_cache: bool = True,
) -> BatchStats:
    """Summarize every article under ``sources`` not already done in ``store``.

    ``summarizer`` should have been built with ``gate=throttle`` so that each request
    respects the limits; the throttle's article slots bound the articles in flight. Without
    a throttle, they are :func:`batch_concurrency`'s (one at a time for the embedded model).
    With ``answer_cache``, every model answer is stored as it arrives and a request whose
    answer the store holds is not sent again (an article a killed night had in flight);
    a ``retry_failed`` night stores answers but asks afresh (the failure may be the
    answers'). The Batch API backend keeps its own requests (``api_requests``) instead.
    """
    begun = time.time()
    check_outputs(options)
    sources = list(sources)  # walked twice: counted for the progress total, then read
    settings = summarizer.settings
    version = prompts.prompt_version(PROMPTS)
    schema = schema_hash()
    parts = fingerprint_parts(settings)
    fingerprint = digest(parts)
    throttle = throttle or Throttle(batch_concurrency(settings, options.concurrency))
    stats = BatchStats(concurrency=throttle.limit)
    meta = {"model": settings.model, "prompt_version": version, "schema_hash": schema}
    queue: asyncio.Queue[tuple[str, Item, str] | None] = asyncio.Queue(
        maxsize=2 * throttle.max_concurrency
    )
    run = _Run(store, summarizer, options, throttle, stats, meta, fingerprint, on_progress)
    try:
        stats.swept = sweep_outputs(options, begun)
        stats.run_id = _begin(store, settings, options, throttle, meta, parts)
        if answer_cache:
            run.answers = store.answers(fingerprint, stats.run_id, reuse=not options.retry_failed)
        cached = ANSWER_CACHE.set(run.answers)
        try:
            await run.night(sources, queue)
        finally:
            ANSWER_CACHE.reset(cached)
            run.count_reused()
        counts = store.counts(stats.run_id)
        total = sum(counts.values())
        stats.failed_share = counts["failed"] / total if total else 0.0
        if options.out is not None:
            export_jsonl(store, stats.run_id, options.out)
        stats.finished = True
        store.finish_run(
            stats.run_id, {**counts, **_counters(stats), "usage": stats.usage.model_dump()}
        )
    except Exception as exc:
        reason = unwritable(exc)
        if reason is None:
            raise
        stats.stop(_unwritable_reason(reason), NightUnwritable)
    run.report()
    if stats.aborted is not None:
        stop = _STOPS.get(stats.stopped_by or "", BatchAborted)(stats.aborted)
        stop.stats = stats
        raise stop
    return stats


def check_outputs(options: BatchOptions) -> None:
    """Raise :class:`NightUnwritable` before any request when ``--out`` or ``--out-dir``
    cannot be written: a night must not pay for summaries it then cannot write."""
    wanted = [options.out, options.out_dir and options.out_dir / "article.json"]
    for path in (p for p in wanted if p is not None):
        try:
            check_writable(path)
        except InputError as exc:
            raise NightUnwritable(f"stopped before the first article: {exc.message}") from None


def sweep_outputs(options: BatchOptions, before: float) -> int:
    """Remove what a killed night's atomic writes left of ``--out`` and ``--out-dir`` files
    (hidden temporary files older than ``before``, this run's start); nothing else."""
    swept = 0
    if options.out is not None:
        swept += sweep_leftovers(options.out.absolute().parent, re.escape(options.out.name), before)
    if options.out_dir is not None:
        swept += sweep_leftovers(options.out_dir, r".+\.json", before)
    return swept


def _begin(
    store: Store,
    settings: Settings,
    options: BatchOptions,
    throttle: Throttle,
    meta: dict[str, str],
    parts: dict[str, Any],
) -> int:
    """Record the run and what decides its results (the fingerprint and its parts)."""
    return store.begin_run(
        model=settings.model,
        prompt_version=meta["prompt_version"],
        schema_hash=meta["schema_hash"],
        settings={
            "backend": settings.backend,
            "model": settings.model,
            "base_url": settings.shown_url,
            "concurrency": throttle.max_concurrency,
            "rpm": options.rpm,
            "tpm": options.tpm,
            "retry_failed": options.retry_failed,
            "since": options.since.isoformat() if options.since else None,
            "fingerprint": digest(parts),
            "fingerprint_parts": parts,
        },
    )


def _unwritable_reason(reason: str) -> str:
    return (
        f"stopped: cannot write the night's outputs or store ({reason}); the articles finished "
        "before are kept: free space or fix the permissions, then run the same command again"
    )


_STOPS: dict[str, type[BatchAborted]] = {
    c.__name__: c for c in (BatchAborted, NightUnwritable, RepeatedFailure)
}


def _counters(stats: BatchStats) -> dict[str, int]:
    return {
        "seen": stats.seen,
        "skipped_done": stats.skipped_done,
        "skipped_failed": stats.skipped_failed,
        "skipped_new": stats.skipped_new,
        "duplicates": stats.duplicates,
        "deferred": stats.deferred,
        "filtered": stats.filtered,
        "restored": stats.restored,
        "reused_requests": stats.reused_requests,
        "swept": stats.swept,
    }


@dataclass
class _Run:
    store: Store
    summarizer: Summarizer
    options: BatchOptions
    throttle: Throttle
    stats: BatchStats
    meta: dict[str, str]
    fingerprint: str
    on_progress: Callable[[BatchStats], None] | None
    down_in_a_row: int = 0
    same_in_a_row: int = 0
    last_failure: str | None = None
    keys: set[str] = field(default_factory=set)  # in flight in this run
    answers: StoreAnswers | None = None

    async def night(
        self,
        sources: list[str | os.PathLike[str]],
        queue: asyncio.Queue[tuple[str, Item, str] | None],
    ) -> None:
        """Read the inputs into ``queue`` while the workers summarize from it."""
        stats, options = self.stats, self.options
        workers = [
            asyncio.create_task(self.worker(queue)) for _ in range(self.throttle.max_concurrency)
        ]
        ticker = asyncio.create_task(self.tick())
        counting = asyncio.create_task(
            asyncio.to_thread(count_items, sources, options.patterns, options.excludes)
        )
        counting.add_done_callback(self.counted)
        try:
            await self.produce(sources, queue)
            if not counting.done() and stats.aborted is None:
                counting.cancel()  # every input is read: the total is known without the count
                stats.total = stats.seen + stats.filtered
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        finally:
            for task in (*workers, ticker, counting):
                task.cancel()
            await asyncio.gather(*workers, ticker, counting, return_exceptions=True)

    def count_reused(self) -> None:
        if self.answers is not None:
            self.stats.reused_requests = self.answers.reused

    def report(self) -> None:
        self.count_reused()
        self.stats.concurrency = self.throttle.limit
        self.stats.rate_limited = self.throttle.rate_limited
        if self.on_progress is not None:
            self.on_progress(self.stats)

    def counted(self, task: asyncio.Task[int]) -> None:
        """The inputs are counted (in a thread, while the first ones are summarized)."""
        if not task.cancelled() and task.exception() is None:
            self.stats.total = task.result()
            self.report()

    async def tick(self) -> None:
        """Progress while articles are slow (a local model takes minutes per article)."""
        while True:
            await asyncio.sleep(_TICK)
            self.report()

    async def produce(
        self,
        sources: Iterable[str | os.PathLike[str]],
        queue: asyncio.Queue[tuple[str, Item, str] | None],
    ) -> None:
        pending: list[tuple[int, str, str, str]] = []
        stats, store = self.stats, self.store
        async for item in aiter_items(sources, self.options.patterns, self.options.excludes):
            if stats.aborted is not None:
                break
            if self.options.since is not None and (item.date or date.min) < self.options.since:
                stats.filtered += 1
                continue
            stats.seen += 1
            text = normalise(item.article.text) if item.article is not None else None
            key = self._key(item, text)
            pending.append((stats.seen, item.article_id, item.source, key))
            if len(pending) >= _ITEMS_PER_COMMIT:
                store.add_items(stats.run_id, pending)
                pending = []
            found = store.get(key)
            state = found.state if found is not None else None
            if state == "done":
                stats.skipped_done += 1
                if found is not None and found.result is not None:
                    self._restore_file(item, found.result)
            elif state == "failed" and not self.options.retry_failed:
                stats.skipped_failed += 1
            elif state != "failed" and self.options.retry_failed:
                stats.skipped_new += 1  # --retry-failed sends only the failed ones
            else:
                stats.queued += 1
                await queue.put((key, item, text or ""))
                continue
            if stats.seen % 200 == 0:
                self.report()
                await asyncio.sleep(0)  # let workers run while a long skip streams by
        store.add_items(stats.run_id, pending)

    def _restore_file(self, item: Item, result: str) -> None:
        """Write a done article's ``--out-dir`` file if it is missing: a night stopped (or
        killed) between an article's commit and its file leaves none, and the rerun that skips
        the article must not leave it without one."""
        if self.options.out_dir is None:
            return
        path = self.options.out_dir / _file_name(item)
        if not path.exists():
            write_atomic(path, result + "\n")
            self.stats.restored += 1

    def _key(self, item: Item, text: str | None) -> str:
        if text is None:  # unreadable input: keyed by where it came from
            # A file name need not be UTF-8 (lone surrogates in Python): hash what it is.
            source = item.source.encode("utf-8", "surrogatepass")
            return "input:" + hashlib.sha256(source).hexdigest()
        return run_key(text_sha256(text), self.fingerprint)

    async def worker(self, queue: asyncio.Queue[tuple[str, Item, str] | None]) -> None:
        """Summarize jobs until the ``None`` at the end. A worker never dies of an error: the
        producer would then wait for ever on a full queue. An error of the disk stops the
        night (every later article would meet it); any other is its article's failure."""
        while (job := await queue.get()) is not None:
            if self.stats.aborted is None:
                try:
                    await self._one(*job)
                except Exception as exc:
                    await self._worker_error(job[0], exc)

    async def _worker_error(self, key: str, exc: Exception) -> None:
        reason = unwritable(exc)
        if reason is None:
            found = self.store.get(key)
            if found is not None and found.state == "done":
                return  # paid for and kept: a rerun writes the files it lacks
            try:  # recorded as the article's failure, its usage unknown
                await self._failed(key, exc, time.monotonic(), Usage())
                return
            except Exception as again:
                reason = unwritable(again) or f"{type(again).__name__}: {again}"
        self.stats.stop(_unwritable_reason(reason), NightUnwritable)

    async def _one(self, key: str, item: Item, text: str) -> None:
        stats, store = self.stats, self.store
        found = store.get(key)
        if key in self.keys or (
            found is not None and _taken(found, stats.run_id, self.options.retry_failed)
        ):
            stats.duplicates += 1  # the same text again in this night
            return
        self.keys.add(key)
        try:
            await self._summarize(key, item, text)
        finally:
            self.keys.discard(key)
        self.report()

    async def _summarize(self, key: str, item: Item, text: str) -> None:
        stats, store = self.stats, self.store
        await store.astart(key, self._row_meta(key, item, text), stats.run_id)
        started = time.monotonic()
        async with self.throttle.article():
            # The article's meter: its share answered by the Batch API (billed at the
            # discount) is read from it, whether the article succeeds or fails.
            meter = Meter()
            batch = meter.batch
            try:
                if item.error is not None:
                    raise item.error
                assert item.article is not None
                a = item.article
                summary = await self.summarizer.asummarize(
                    text,
                    title=a.title,
                    url=a.url,
                    published=a.published,
                    language=a.language,
                    outlet=a.outlet,
                    author=a.author,
                    meter=meter,
                )
            except ArticleDeferred:
                stats.deferred += 1  # stays pending; a later run gets the batch's answers
                return
            except Exception as exc:  # a bug in one article must not stop the night either
                if unwritable(exc) is not None:
                    raise  # the disk (a full /tmp, say): the night stops, the article stays new
                await self._failed(key, exc, started, batch)
                return
        self.down_in_a_row = 0
        self._same_failure(None)
        usage = summary.provenance.usage
        if _overflows(usage):
            error = ProviderError(
                f"the model endpoint reported impossible usage ({_usage_text(usage)}); "
                "the summary is not kept",
                usage=usage,
            )
            await self._failed(key, error, started, batch)
            return
        result = summary.model_dump_json()
        await store.afinish(key, usage=usage, result=result, batch=batch)
        stats.done += 1
        _add(stats.usage, usage)
        if self.options.out_dir is not None:
            write_atomic(self.options.out_dir / _file_name(item), result + "\n")

    async def _failed(self, key: str, exc: Exception, started: float, batch: Usage) -> None:
        stats = self.stats
        usage = getattr(exc, "usage", None) or Usage()
        usage = usage.model_copy(update={"seconds": round(time.monotonic() - started, 3)})
        if _overflows(usage):  # a count no store holds is no count: the tokens are unknown
            usage = usage.model_copy(update={"prompt_tokens": 0, "completion_tokens": 0})
        if _overflows(batch):
            batch = Usage()
        kind = type(exc).__name__
        message = exc.message if isinstance(exc, SummarizerError) else f"{kind}: {exc}"
        await self.store.afinish(key, usage=usage, error=(kind, message[:2000]), batch=batch)
        stats.failed += 1
        stats.failures[kind] = stats.failures.get(kind, 0) + 1
        _add(stats.usage, usage)
        if fails_every_input(exc):
            stats.stop(f"stopped: {message} (every other article would fail the same way)")
        elif isinstance(exc, ProviderUnavailableError):
            self.down_in_a_row += 1
            if self.down_in_a_row >= _DOWN_IN_A_ROW:
                stats.stop(
                    f"stopped: the model endpoint failed {self.down_in_a_row} articles in a row "
                    f"(last: {message}); rerun later, finished articles are kept"
                )
        else:
            self.down_in_a_row = 0
        self._same_failure(exc)

    def _same_failure(self, exc: Exception | None) -> None:
        """The circuit breaker: stop when the last ``stop_after_same`` articles all failed with
        the same validation error (numbers aside). An endpoint or a schema that makes every
        answer invalid would otherwise spend the re-asks of every article of the night."""
        signature = _validation_signature(exc)
        if signature is None or signature != self.last_failure:
            self.same_in_a_row = 0
        self.last_failure = signature
        if signature is None:
            return
        self.same_in_a_row += 1
        limit = self.options.stop_after_same
        if limit and self.same_in_a_row >= limit:
            assert isinstance(exc, SummarizerError)
            self.stats.stop(
                f"stopped early: the last {limit} articles all failed with the same validation "
                f"error (--stop-after-same {limit}): {exc.message[:300]}; the other articles "
                "are not sent: fix the endpoint or the model, then run the same command again",
                RepeatedFailure,
            )

    def _row_meta(self, key: str, item: Item, text: str) -> dict[str, Any]:
        a = item.article
        return {
            **self.meta,
            "article_id": item.article_id,
            "source": item.source,
            "text_sha256": text_sha256(text) if a is not None else key,
            "title": a.title if a else None,
            "url": a.url if a else None,
            "published": a.published.isoformat() if a and a.published else None,
            "language": a.language if a else None,
            "text": text if a is not None else None,
        }


def _validation_signature(exc: BaseException | None) -> str | None:
    """What makes two validation failures the same one: the problems of the last answer, with
    their numbers (sentence ids, counts) left out; None for any other outcome."""
    if not isinstance(exc, ValidationExhaustedError):
        return None
    return re.sub(r"\d+", "#", "; ".join(exc.errors))


def _taken(row: Row, run_id: int, retry_failed: bool) -> bool:
    """Whether another job already has (or had) this key: the same text twice in a night."""
    if row.state == "pending":
        return row.run_id == run_id  # else a crashed run left it: take it over
    return row.run_id == run_id or row.state == "done" or not retry_failed


_COUNTS = ("prompt_tokens", "completion_tokens", "requests", "transport_retries", "reasks")


def _overflows(usage: Usage) -> bool:
    """Whether a count of ``usage`` (as an endpoint reported it) is beyond any real one."""
    return any(not 0 <= getattr(usage, name) <= _INT64 for name in _COUNTS)


def _usage_text(usage: Usage) -> str:
    return ", ".join(f"{name}={getattr(usage, name)}" for name in _COUNTS[:2])


def _add(total: Usage, usage: Usage) -> None:
    for name in _COUNTS:
        setattr(total, name, getattr(total, name) + getattr(usage, name))


# --- outputs ------------------------------------------------------------------------------------


def safe_name(article_id: str, origin: str = "") -> str:
    """A file name for an article id that cannot leave the output directory.

    Ids come from input files and JSONL lines (untrusted): separators, ``..``, NUL and
    control characters are replaced, and a hash of the id and of the input it came from
    (``origin``: the feed for a JSONL line) keeps distinct articles distinct: the same id in
    two feeds gets two files.
    """
    named = f"{origin}\0{article_id}".encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(named).hexdigest()[:10]
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in article_id)
    stem = stem.strip("._")[:80] or "article"
    return f"{stem}.{digest}.json"


def _file_name(item: Item) -> str:
    """The ``--out-dir`` name of ``item``: its id, and its input by absolute path (the same
    whatever folder the night is started from)."""
    return safe_name(item.article_id, os.path.abspath(item.origin or item.source))


def export_jsonl(store: Store, run_id: int, path: Path) -> int:
    """Write one line per article of the run (done or failed), streamed, atomically."""
    lines = 0
    with atomic_writer(path) as handle:
        for line in _jsonl_lines(store, run_id):
            handle.write(line)
            lines += 1
    return lines


def _jsonl_lines(store: Store, run_id: int) -> Iterator[str]:
    for article_id, source, key, row in store.run_items(run_id):
        head = json.dumps({"id": article_id, "source": source, "key": key}, ensure_ascii=False)
        if row is not None and row.state == "done" and row.result is not None:
            yield f'{head[:-1]}, "state": "done", "summary": {row.result}}}\n'
        else:
            error = {"type": "NotRun", "message": "not summarized in this run"}
            if row is not None and row.state == "failed":
                error = {"type": row.error_type or "", "message": row.error_message or ""}
            state = row.state if row is not None else "pending"
            tail = json.dumps({"state": state, "error": error}, ensure_ascii=False)
            yield f"{head[:-1]}, {tail[1:]}\n"
