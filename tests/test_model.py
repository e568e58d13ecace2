"""The model seam (summarizer._model): what answers a request, below the re-ask loop.

What the Batch API and the evaluation's replays rely on: a request body built from the
request without the SDK is the SDK's, byte for byte (the batch's JSONL and the replay key are
made from it); the Batch API's model answers from the store, or queues the question and defers
its article itself, before any HTTP request; its answers come back billed at the batch price
and the client attributes them; an earlier run's answer is billed to that run.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import instructor
import openai
import pytest

from summarizer._answers import CachingModel, request_bytes
from summarizer._model import FunctionModel, Meter, Reply
from summarizer._structured import StructuredQuestion
from summarizer.batch import Store
from summarizer.batch._openai_batch import BatchModel, custom_id
from summarizer.batch._runner import ArticleDeferred
from summarizer.client import ModelClient
from summarizer.config import Settings
from summarizer.exceptions import BadRequestError
from summarizer.grounding import AlignedText, segment
from summarizer.models import AttributionAnswer, EvidenceAnswer
from tests.test_client import MESSAGES, TEXT, VALID, completion

T = TypeVar("T")
CONTEXT = {"sentences": segment(TEXT), "aligned": AlignedText(TEXT)}


def _run(asked: Awaitable[T]) -> T:
    """``asked`` run to its end; a question left waiting for a batch fails the test."""

    async def bounded() -> T:
        return await asyncio.wait_for(asked, timeout=10)

    return asyncio.run(bounded())


def _settings(**options: Any) -> Settings:
    return Settings.resolve(
        backend="openai",
        base_url="http://127.0.0.1:9/v1",
        api_key="sk-test-not-a-real-key",
        env={},
        **{"mode": "json", **options},
    )


async def _sent_by_the_sdk(request: dict[str, Any]) -> bytes:
    """The body the ``openai`` SDK sends for ``request`` (answered by a mock transport)."""
    seen: list[bytes] = []

    def handler(sent: httpx2.Request) -> httpx2.Response:
        seen.append(sent.content)
        return httpx2.Response(200, json=completion(VALID))

    transport = httpx2.MockTransport(handler)
    async with openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="http://sdk.test/v1",
        http_client=httpx2.AsyncClient(transport=transport),
    ) as sdk:
        await sdk.chat.completions.create(**request)
    return seen[0]


@pytest.mark.parametrize(
    ("mode", "grammar"),
    [
        (instructor.Mode.TOOLS, False),
        (instructor.Mode.JSON_SCHEMA, False),
        (instructor.Mode.JSON, False),
        (instructor.Mode.JSON, True),
    ],
)
def test_the_body_built_without_the_sdk_is_the_sdks(mode: instructor.Mode, grammar: bool) -> None:
    question = StructuredQuestion.of(AttributionAnswer, mode, grammar=grammar)
    unusual = [
        *MESSAGES,
        {"role": "assistant", "content": "« déjà » \u2028 </script> 🙂"},
        {"role": "user", "content": 'quote " backslash \\ tab \t'},
    ]
    request = question.request(
        unusual, model="m", temperature=0, max_tokens=64, logprobs=True, top_logprobs=1
    )
    assert request_bytes(request) == asyncio.run(_sent_by_the_sdk(request))


def _never_online(_request: dict[str, Any]) -> dict[str, Any]:
    raise AssertionError("this question must not be sent online")


def test_the_batch_model_queues_and_defers_before_any_http_request(tmp_path: Path) -> None:
    question = StructuredQuestion.of(EvidenceAnswer, instructor.Mode.TOOLS)
    request = question.request(MESSAGES, model="m", temperature=0, max_tokens=64)

    async def main(store: Store) -> BaseException | None:
        model = BatchModel(store, FunctionModel(_never_online))
        asked = asyncio.create_task(model.request(request, Meter()))
        while not model.waiting:
            await asyncio.sleep(0)
        model.release_all()
        try:
            await asked
        except BaseException as exc:  # ArticleDeferred is a BaseException on purpose
            return exc
        return None

    with Store(tmp_path / "night.db") as store:
        deferred = asyncio.run(main(store))
        assert isinstance(deferred, ArticleDeferred)
        assert not isinstance(deferred, Exception)  # nothing on its way catches it
        cid = custom_id(json.loads(request_bytes(request)))
        assert store.batch_requests.queued() == [(cid, request_bytes(request).decode())]


def _answered_store(store: Store, request: dict[str, Any], status: int, answer: Any) -> None:
    cid = custom_id(json.loads(request_bytes(request)))

    async def record() -> None:
        await store.batch_requests.queue(cid, request_bytes(request).decode())
        body = json.dumps(answer)
        failed = [(status, body, cid)] if status != 200 else []
        answered = [(body, cid)] if status == 200 else []
        await store.batch_requests.record_answers(
            answered=answered, failed=failed, retry=[], max_tries=3
        )

    asyncio.run(record())


def test_a_batch_answer_is_billed_at_the_batch_price_through_the_seam(tmp_path: Path) -> None:
    settings = _settings()
    question = StructuredQuestion.of(EvidenceAnswer, instructor.Mode.JSON)
    request = question.request(
        MESSAGES, model=settings.model, temperature=0, max_tokens=settings.max_tokens
    )
    with Store(tmp_path / "night.db") as store:
        _answered_store(
            store, request, 200, completion(VALID, prompt_tokens=300, completion_tokens=20)
        )
        online = FunctionModel(lambda _r: completion(VALID, prompt_tokens=7, completion_tokens=1))
        client = ModelClient(settings, model=BatchModel(store, online))
        meter = Meter()
        answer = _run(client.ask(EvidenceAnswer, MESSAGES, meter=meter, context=CONTEXT))

    assert answer.statement.value == "fact"
    assert online.requests == []  # the batch answered
    assert (meter.usage.requests, meter.usage.prompt_tokens, meter.usage.completion_tokens) == (
        1,
        300,
        20,
    )
    assert (meter.batch.prompt_tokens, meter.batch.completion_tokens) == (300, 20)


def test_a_reask_goes_online_and_is_billed_online(tmp_path: Path) -> None:
    settings = _settings()
    question = StructuredQuestion.of(EvidenceAnswer, instructor.Mode.JSON)
    request = question.request(
        MESSAGES, model=settings.model, temperature=0, max_tokens=settings.max_tokens
    )
    bad = json.dumps({"statement": "maybe"})
    with Store(tmp_path / "night.db") as store:
        _answered_store(
            store, request, 200, completion(bad, prompt_tokens=300, completion_tokens=20)
        )
        online = FunctionModel(lambda _r: completion(VALID, prompt_tokens=400, completion_tokens=9))
        client = ModelClient(settings, model=BatchModel(store, online))
        meter = Meter()
        _run(client.ask(EvidenceAnswer, MESSAGES, meter=meter, context=CONTEXT))

    assert len(online.requests) == 1 and online.requests[0]["messages"][-2]["content"] == bad
    assert (meter.usage.requests, meter.usage.reasks, meter.usage.prompt_tokens) == (2, 1, 700)
    assert (meter.batch.prompt_tokens, meter.batch.completion_tokens) == (300, 20)


def test_a_final_batch_failure_is_the_endpoints_typed_error(tmp_path: Path) -> None:
    settings = _settings()
    question = StructuredQuestion.of(EvidenceAnswer, instructor.Mode.JSON)
    request = question.request(
        MESSAGES, model=settings.model, temperature=0, max_tokens=settings.max_tokens
    )
    refused = {"error": {"message": "unknown parameter", "type": "invalid_request_error"}}
    with Store(tmp_path / "night.db") as store:
        _answered_store(store, request, 400, refused)
        client = ModelClient(settings, model=BatchModel(store, FunctionModel(_never_online)))
        meter = Meter()
        with pytest.raises(BadRequestError, match="HTTP 400") as caught:
            _run(client.ask(EvidenceAnswer, MESSAGES, meter=meter, context=CONTEXT))

    assert caught.value.status_code == 400 and "unknown parameter" in (caught.value.body or "")
    assert meter.usage.requests == 1 and meter.batch.total_tokens == 0


class _Answers:
    """An in-memory answer cache (the store's and the evaluation's are SQLite)."""

    def __init__(self) -> None:
        self.stored: dict[str, str] = {}

    def get(self, request: dict[str, Any]) -> tuple[str, str | None]:
        key = request_bytes(request).decode()
        return key, self.stored.get(key)

    async def put(self, key: str, answer: str) -> None:
        self.stored[key] = answer


@pytest.mark.parametrize("replay", [False, True])
def test_an_earlier_answer_is_billed_to_the_run_that_received_it(replay: bool) -> None:
    answers = _Answers()
    online = FunctionModel(lambda _r: completion(VALID, prompt_tokens=30, completion_tokens=3))
    request = {"model": "m", "messages": MESSAGES}

    async def twice() -> tuple[Reply, Reply, Meter]:
        first = await CachingModel(online, answers, replay=replay).request(request, Meter())
        meter = Meter()
        again = await CachingModel(online, answers, replay=replay).request(request, meter)
        return first, again, meter

    first, again, meter = asyncio.run(twice())
    assert len(online.requests) == 1
    assert again.completion.choices[0].message.content == VALID
    assert first.billed == "online"
    if replay:  # an evaluation's replay: counted as the request it stands for
        assert again.billed == "online"
        assert (meter.usage.requests, meter.usage.total_tokens) == (1, 33)
    else:
        assert again.billed == "earlier"
        assert (meter.usage.requests, meter.usage.total_tokens) == (0, 0)
