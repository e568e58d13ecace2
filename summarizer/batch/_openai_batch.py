"""Scale-out: the nightly batch through the OpenAI Batch API (files + batches, half price).

The pipeline is not rewritten for it. It runs as online, but its questions are answered by a
:class:`BatchModel` behind the batches' answers (the model seam, :mod:`summarizer._model`): a
question already answered by a batch is answered from the store at once
(:class:`BatchAnswers`, through the answer cache every kept answer goes through); a new one is
queued in the store under a ``custom_id`` (sha256 of the request body, so the same question of
the same article is the same id on every run) and the article is set aside
(:class:`ArticleDeferred`, raised by the model, above the ``openai`` SDK; the article stays
pending). When every article in flight waits, the wave closes and the next articles go. At the
end, the queued requests are written to JSONL files (at most 50,000 requests and 190 MB each),
uploaded, and turned into batches.

The next run of the same command collects finished batches (output and error files), runs the
pipeline again, and the articles whose questions are all answered are validated and grounded
by the same code as online, and stored done with their usage. Answers that fail validation
are re-asked online (the re-ask carries the bad answer, so it is a different request that no
batch holds), bounded by the re-ask budget. An article takes two or three rounds: the
attribution questions and the overview, then the evidence questions that depend on them.

Every step is in the store before the next one starts (a submission is recorded before its
upload, the file id before the batch is created, and the batch is tagged with the
submission's id), so a process killed at any point resumes without creating a batch twice;
requests that expired or failed on the provider's side (5xx) are queued again; after three
batches without an answer they are sent online, so the night still finishes. A 4xx answer
is final and fails its article like online.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx2
import openai

from summarizer._answers import CachingModel, request_body, request_bytes
from summarizer._model import Meter, Model, Reply
from summarizer.batch._limits import Throttle
from summarizer.batch._runner import (
    BATCH_API_PARALLEL,
    ArticleDeferred,
    BatchOptions,
    BatchStats,
    batch_concurrency,
    run_batch,
)
from summarizer.batch._store import Store
from summarizer.client import translate_provider_error
from summarizer.config import Settings
from summarizer.exceptions import SummarizerError
from summarizer.pipeline import Summarizer

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_REQUESTS",
    "ApiBatchStats",
    "BatchAnswers",
    "BatchModel",
    "cancel_batches",
    "collect_batches",
    "custom_id",
    "run_openai_batch",
    "split_requests",
    "submit_queued",
]

MAX_REQUESTS = 50_000  # per batch file, the provider's limit
MAX_FILE_BYTES = 190 * 1024 * 1024  # under the 200 MB file limit, with room for the JSON framing
_MAX_TRIES = 3
_FINAL = ("completed", "expired", "failed", "cancelled")
_QUIET = 0.2  # seconds with no question arriving before a wave of waiting articles closes


def custom_id(body: dict[str, Any]) -> str:
    """The request's identity: the same question of the same article on every run."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sum-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _is_reask(body: dict[str, Any]) -> bool:
    return any(isinstance(m, dict) and m.get("role") == "assistant" for m in body["messages"])


class BatchAnswers:
    """The Batch API's answers in the store, as the answer cache in front of a
    :class:`BatchModel` (:class:`~summarizer._answers.CachingModel`, billed ``batch``): the
    answer a batch gave to a request, by its ``custom_id``. :func:`collect_batches` writes
    them; an answer received online is not a batch's and is not kept here."""

    def __init__(self, store: Store) -> None:
        self._requests = store.batch_requests

    def get(self, request: dict[str, Any]) -> tuple[str, str | None]:
        body = request_body(request)
        cid = custom_id(body)
        found = None if _is_reask(body) else self._requests.request(cid)
        answered = found is not None and found.state == "answered" and found.status == 200
        return cid, found.response if answered and found is not None else None

    async def put(self, key: str, answer: str) -> None:
        """Nothing: only a batch's answers are kept (by :func:`collect_batches`)."""


class BatchModel(Model):
    """The questions no batch answered: queued for the next one, the article deferred;
    re-asks, and requests the batches failed too often, go ``online``; a request a batch
    refused for good fails as the endpoint's refusal would.

    The deferral is raised here, above the ``openai`` SDK and the retry policy, so nothing on
    the way can take it for a failed request. :meth:`answering` puts the batches' answers in
    front (billed ``batch``: the article's discounted share,
    :attr:`~summarizer._model.Meter.batch`)."""

    def __init__(self, store: Store, online: Model) -> None:
        self.store = store
        self._requests = store.batch_requests
        self.online = online
        self.waiting = 0
        self.online_in_flight = 0
        self.queued = 0
        self.last_change = time.monotonic()
        self._release = asyncio.Event()

    def answering(self) -> Model:
        """This model behind the answers the batches gave: the Batch API's whole model."""
        return CachingModel(self, BatchAnswers(self.store), hit="batch")

    async def request(self, request: dict[str, Any], meter: Meter) -> Reply:
        body = request_body(request)
        if _is_reask(body):
            return await self._online(request, meter)
        cid = custom_id(body)
        found = self._requests.request(cid)
        if found is not None and found.state == "online":  # the batches failed it too often
            return await self._online(request, meter)
        if found is not None and found.state in ("answered", "failed"):
            meter.usage.requests += 1
            raise _refused(found.status or 500, found.response or "{}", meter)
        if found is None:
            self.queued += 1
            await self._requests.queue(cid, request_bytes(request).decode())
        release = self._release
        self.waiting += 1
        self.last_change = time.monotonic()
        try:
            await release.wait()
        finally:
            self.waiting -= 1
        raise ArticleDeferred(cid)

    async def _online(self, request: dict[str, Any], meter: Meter) -> Reply:
        self.online_in_flight += 1
        try:
            return await self.online.request(request, meter)
        finally:
            self.online_in_flight -= 1
            self.last_change = time.monotonic()

    def close_wave_if_quiet(self) -> bool:
        """Release the waiting articles once nothing has moved for a moment."""
        quiet = time.monotonic() - self.last_change >= _QUIET
        if self.waiting and not self.online_in_flight and quiet:
            self._release.set()
            self._release = asyncio.Event()
            self.last_change = time.monotonic()
            return True
        return False

    def release_all(self) -> None:
        self._release.set()

    async def aclose(self) -> None:
        self.release_all()
        await self.online.aclose()


def _refused(status: int, response: str, meter: Meter) -> SummarizerError:
    """A batch's final refusal of a request (a 4xx), as the endpoint's would be translated."""
    error = openai.APIStatusError(
        f"Error code: {status} - {response}",
        response=httpx2.Response(status, content=response.encode(), request=_CHAT),
        body=json.loads(response),
    )
    return translate_provider_error(error, meter)


_CHAT = httpx2.Request("POST", "https://api.openai.com/v1/chat/completions")


@dataclass
class ApiBatchStats:
    """What one invocation did with the Batch API."""

    collected_batches: int = 0
    answered: int = 0
    requeued: int = 0
    failed_requests: int = 0
    submitted_requests: int = 0
    created_batches: list[str] = field(default_factory=list)
    in_progress: int = 0
    run: BatchStats | None = None


async def run_openai_batch(
    sources: Iterable[str],
    store: Store,
    settings: Settings,
    options: BatchOptions,
    *,
    wait: bool = False,
    poll_interval: float = 60.0,
    on_progress: Callable[[BatchStats], None] | None = None,
) -> ApiBatchStats:
    """Collect finished batches, run the pipeline on what is answered, submit the rest.

    With ``wait``, repeat until every article is done or failed (polling every
    ``poll_interval`` seconds); otherwise return after submitting, and let the next run
    (the same command) continue. Every question an article has ready goes in the same round
    (:data:`BATCH_API_PARALLEL`), and ``options.concurrency`` defaults to the Batch API's
    (:func:`batch_concurrency`).
    """
    sources = list(sources)
    settings = replace(settings, parallel_requests=BATCH_API_PARALLEL)
    api = _api_client(settings)
    stats = ApiBatchStats()
    try:
        while True:
            await collect_batches(store, api, stats)
            stats.run = await _wave_run(sources, store, settings, options, on_progress)
            await submit_queued(store, api, stats)
            stats.in_progress = _in_progress(store)
            if not wait or stats.in_progress == 0:
                return stats
            while _in_progress(store):
                await asyncio.sleep(poll_interval)
                await collect_batches(store, api, stats)
    finally:
        await api.close()


async def _wave_run(
    sources: list[str],
    store: Store,
    settings: Settings,
    options: BatchOptions,
    on_progress: Callable[[BatchStats], None] | None,
) -> BatchStats:
    concurrency = batch_concurrency(settings, options.concurrency, api_batch=True)
    throttle = Throttle(concurrency, rpm=options.rpm, tpm=options.tpm)
    summarizer = Summarizer(settings=settings, gate=throttle)
    deferring: list[BatchModel] = []  # one, around the endpoint's model once it is made

    def defer(online: Model) -> Model:
        deferring.append(BatchModel(store, online))
        return deferring[-1].answering()

    summarizer._wrap = defer

    async def close_waves() -> None:
        while True:
            await asyncio.sleep(_QUIET / 4)
            for model in deferring:
                model.close_wave_if_quiet()

    closer = asyncio.create_task(close_waves())
    try:
        async with summarizer:
            return await run_batch(
                sources,
                store,
                summarizer,
                options,
                throttle=throttle,
                on_progress=on_progress,
                answer_cache=False,  # the answers are in api_requests, counted from there
            )
    finally:
        closer.cancel()
        await asyncio.gather(closer, return_exceptions=True)
        for model in deferring:
            model.release_all()


def _api_client(settings: Settings) -> openai.AsyncOpenAI:
    key = settings.api_key.reveal() if settings.api_key is not None else "no-key"
    return openai.AsyncOpenAI(
        api_key=key,
        base_url=settings.base_url or "https://api.openai.com/v1",
        max_retries=4,
        timeout=settings.timeout,
    )


def _in_progress(store: Store) -> int:
    return store.batch_requests.unfinished()


# --- submitting -------------------------------------------------------------------------------


def split_requests(
    lines: Iterable[tuple[str, bytes]],
    max_requests: int = MAX_REQUESTS,
    max_bytes: int = MAX_FILE_BYTES,
) -> Iterable[list[tuple[str, bytes]]]:
    """Group (custom_id, JSONL line) pairs into files within the provider's limits."""
    group: list[tuple[str, bytes]] = []
    size = 0
    for cid, line in lines:
        if len(line) > max_bytes:
            raise ValueError(f"request {cid} alone is {len(line)} bytes, over {max_bytes}")
        if group and (len(group) >= max_requests or size + len(line) > max_bytes):
            yield group
            group, size = [], 0
        group.append((cid, line))
        size += len(line)
    if group:
        yield group


def _line(cid: str, body: str) -> bytes:
    head = json.dumps({"custom_id": cid, "method": "POST", "url": "/v1/chat/completions"})
    return f'{head[:-1]}, "body": {body}}}\n'.encode()


async def submit_queued(store: Store, api: openai.AsyncOpenAI, stats: ApiBatchStats) -> None:
    """Finish submissions a crash interrupted, then submit every queued request."""
    requests = store.batch_requests
    for sub in requests.interrupted():
        await _complete_submission(store, api, stats, sub.id, sub.state, sub.file_id, resumed=True)
    queued = requests.queued()
    for group in split_requests((cid, _line(cid, body)) for cid, body in queued):
        sub_id = await requests.prepare([cid for cid, _ in group])
        await _complete_submission(store, api, stats, sub_id, "preparing", None, resumed=False)


async def _complete_submission(
    store: Store,
    api: openai.AsyncOpenAI,
    stats: ApiBatchStats,
    sub_id: int,
    state: str,
    file_id: str | None,
    *,
    resumed: bool,
) -> None:
    requests = store.batch_requests
    tag = {"summarizer_submission": f"{_store_tag(store)}:{sub_id}"}
    # A batch created just before a crash, not yet recorded, is adopted, not created again.
    adopted = await _find_batch(api, tag) if resumed else None
    if adopted is None:
        if state == "preparing" or file_id is None:
            data = b"".join(_line(cid, body) for cid, body in requests.bodies(sub_id))
            uploaded = await _call(api.files.create(
                file=(f"summarizer-{sub_id}.jsonl", io.BytesIO(data)), purpose="batch"
            ))  # fmt: skip
            file_id = uploaded.id
            await requests.uploaded(sub_id, file_id)
        adopted = await _call(api.batches.create(
            input_file_id=file_id,
            endpoint="/v1/chat/completions",
            completion_window="24h",
            metadata=tag,
        ))  # fmt: skip
    await requests.created(sub_id, adopted.id, adopted.status)
    stats.submitted_requests += requests.size(sub_id)
    stats.created_batches.append(adopted.id)


def _store_tag(store: Store) -> str:
    """Tells this store's submissions from another store's in the same account."""
    started = store.first_run_started()
    return hashlib.sha256(f"{store.path.resolve()}|{started}".encode()).hexdigest()[:12]


async def _find_batch(api: openai.AsyncOpenAI, tag: dict[str, str]) -> Any | None:
    """The batch tagged ``tag`` among the account's 100 most recent ones, if any."""
    page = await _call(api.batches.list(limit=100))
    for batch in page.data:
        if (batch.metadata or {}).get("summarizer_submission") == tag["summarizer_submission"]:
            return batch
    return None


async def _call(call: Any) -> Any:
    try:
        return await call
    except openai.OpenAIError as exc:
        raise translate_provider_error(exc, Meter()) from exc


# --- collecting -------------------------------------------------------------------------------


async def collect_batches(store: Store, api: openai.AsyncOpenAI, stats: ApiBatchStats) -> None:
    """Download the answers of every finished batch into the store."""
    requests = store.batch_requests
    for sub_id, batch_id in requests.running():
        batch = await _call(api.batches.retrieve(batch_id))
        if batch.status not in _FINAL:
            await requests.status(sub_id, batch.status)
            continue
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                content = await _call(api.files.content(file_id))
                await _record_lines(store, stats, content.text.splitlines())
        # Requests the batch never answered (expired, failed, cancelled): queue them again.
        await requests.finished(
            sub_id,
            batch.status,
            error_body=_error_body(f"the batch ended {batch.status}"),
            max_tries=_MAX_TRIES,
        )
        stats.collected_batches += 1


async def _record_lines(store: Store, stats: ApiBatchStats, lines: list[str]) -> None:
    answered: list[tuple[str, str]] = []
    retry: list[tuple[str, str]] = []
    final: list[tuple[int, str, str]] = []
    for raw in lines:
        if not raw.strip():
            continue
        line = json.loads(raw)
        response = line.get("response") or {}
        status = int(response.get("status_code") or 0)
        body = json.dumps(response.get("body") or {})
        if status == 200:
            answered.append((body, line["custom_id"]))
        elif status and status < 500 and status not in (408, 409, 429):
            final.append((status, body, line["custom_id"]))
        else:  # expired, 5xx, rate-limited inside the batch: another batch may do it
            message = (line.get("error") or {}).get("message") or f"HTTP {status}"
            retry.append((_error_body(message), line["custom_id"]))
    await store.batch_requests.record_answers(
        answered=answered, failed=final, retry=retry, max_tries=_MAX_TRIES
    )
    stats.answered += len(answered)
    stats.failed_requests += len(final)
    stats.requeued += len(retry)


def _error_body(message: str) -> str:
    return json.dumps({"error": {"message": message, "type": "server_error"}})


async def cancel_batches(store: Store, settings: Settings) -> list[str]:
    """Cancel every batch still running; its requests are queued again for a later run."""
    api = _api_client(settings)
    cancelled = []
    try:
        for _sub_id, batch_id in store.batch_requests.running():
            batch = await _call(api.batches.cancel(batch_id))
            cancelled.append(str(batch.id))
    finally:
        await api.close()
    return cancelled
