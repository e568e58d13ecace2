"""The model seam (summarizer._model): what answers a request, below the re-ask loop.

What the Batch API and the evaluation's replays rely on: a request body built from the
request without the SDK is the SDK's, byte for byte (the batch's JSONL and the replay key are
made from it); the Batch API's model answers from the store, or queues the question and defers
its article itself, before any HTTP request; its answers come back billed at the batch price
and the client attributes them; an earlier run's answer is billed to that run; the
evaluation's answers files, kept by an HTTP transport before, replay in front of the model.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import sqlite3
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import instructor
import openai
import pytest

from summarizer._answers import CachingModel, request_bytes
from summarizer._model import Billing, Meter, Model, Reply
from summarizer._structured import StructuredQuestion
from summarizer.batch import Store
from summarizer.batch._openai_batch import BatchModel, custom_id
from summarizer.batch._runner import ArticleDeferred
from summarizer.client import ModelClient, OpenAIModel
from summarizer.config import Settings
from summarizer.exceptions import BadRequestError
from summarizer.grounding import AlignedText, segment
from summarizer.models import AttributionAnswer, EvidenceAnswer
from summarizer.testing import FunctionModel
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


def _on_a_batch(store: Store, status: int, answer: Any, online: Model) -> ModelClient:
    """A client on the Batch API's model whose store holds ``answer`` (HTTP ``status``) to the
    first question :func:`_ask` asks; ``online`` answers the rest."""
    settings = _settings()
    question = StructuredQuestion.of(EvidenceAnswer, instructor.Mode.JSON)
    request = question.request(
        MESSAGES, model=settings.model, temperature=0, max_tokens=settings.max_tokens
    )
    cid = custom_id(json.loads(request_bytes(request)))

    async def record() -> None:
        await store.batch_requests.queue(cid, request_bytes(request).decode())
        body = json.dumps(answer)
        await store.batch_requests.record_answers(
            answered=[(body, cid)] if status == 200 else [],
            failed=[(status, body, cid)] if status != 200 else [],
            retry=[],
            max_tries=3,
        )

    asyncio.run(record())
    return ModelClient(settings, model=BatchModel(store, online).answering())


def _ask(client: ModelClient, meter: Meter) -> EvidenceAnswer:
    return _run(client.ask(EvidenceAnswer, MESSAGES, meter=meter, context=CONTEXT))


def test_a_batch_answer_is_billed_at_the_batch_price_through_the_seam(tmp_path: Path) -> None:
    answered = completion(VALID, prompt_tokens=300, completion_tokens=20)
    online = FunctionModel(lambda _r: completion(VALID, prompt_tokens=7, completion_tokens=1))
    meter = Meter()
    with Store(tmp_path / "night.db") as store:
        answer = _ask(_on_a_batch(store, 200, answered, online), meter)

    assert answer.statement.value == "fact"
    assert online.requests == []  # the batch answered
    usage = meter.usage
    assert (usage.requests, usage.prompt_tokens, usage.completion_tokens) == (1, 300, 20)
    assert (meter.batch.prompt_tokens, meter.batch.completion_tokens) == (300, 20)


def test_a_reask_goes_online_and_is_billed_online(tmp_path: Path) -> None:
    bad = json.dumps({"statement": "maybe"})
    answered = completion(bad, prompt_tokens=300, completion_tokens=20)
    online = FunctionModel(lambda _r: completion(VALID, prompt_tokens=400, completion_tokens=9))
    meter = Meter()
    with Store(tmp_path / "night.db") as store:
        _ask(_on_a_batch(store, 200, answered, online), meter)

    assert len(online.requests) == 1 and online.requests[0]["messages"][-2]["content"] == bad
    assert (meter.usage.requests, meter.usage.reasks, meter.usage.prompt_tokens) == (2, 1, 700)
    assert (meter.batch.prompt_tokens, meter.batch.completion_tokens) == (300, 20)


def test_a_final_batch_failure_is_the_endpoints_typed_error(tmp_path: Path) -> None:
    refused = {"error": {"message": "unknown parameter", "type": "invalid_request_error"}}
    meter = Meter()
    with Store(tmp_path / "night.db") as store:
        client = _on_a_batch(store, 400, refused, FunctionModel(_never_online))
        with pytest.raises(BadRequestError, match="HTTP 400") as caught:
            _ask(client, meter)

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


@pytest.mark.parametrize("hit", ["earlier", "batch", "online"])
def test_a_kept_answer_is_billed_as_its_cache_says(hit: Billing) -> None:
    """An earlier run's answer is billed to that run, a batch's counted at the batch price,
    an evaluation's replay counted as the request it stands for."""
    answers = _Answers()
    online = FunctionModel(lambda _r: completion(VALID, prompt_tokens=30, completion_tokens=3))
    request = {"model": "m", "messages": MESSAGES}

    async def twice() -> tuple[Reply, Reply, Meter]:
        first = await CachingModel(online, answers, hit=hit).request(request, Meter())
        meter = Meter()
        again = await CachingModel(online, answers, hit=hit).request(request, meter)
        return first, again, meter

    first, again, meter = asyncio.run(twice())
    assert len(online.requests) == 1
    assert again.completion.choices[0].message.content == VALID
    assert (first.billed, again.billed) == ("online", hit)
    counted = (0, 0) if hit == "earlier" else (1, 33)
    assert (meter.usage.requests, meter.usage.total_tokens) == counted


def _eval_cached() -> Any:
    """benchmarks/eval_cached.py, a script (not a package), loaded as a module."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "eval_cached.py"
    spec = importlib.util.spec_from_file_location("eval_cached", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_evaluations_answers_files_replay_through_the_seam(tmp_path: Path) -> None:
    """A file the evaluation's HTTP transport kept (keyed by what the SDK sent) replays in
    front of the model, counted as the requests it stands for; new answers are kept too."""
    question = StructuredQuestion.of(EvidenceAnswer, instructor.Mode.TOOLS)
    request = question.request(MESSAGES, model="m", temperature=0, max_tokens=64)
    seen: list[httpx2.Request] = []

    def handler(sent: httpx2.Request) -> httpx2.Response:
        seen.append(sent)
        return httpx2.Response(200, json=completion(VALID))

    async def send() -> None:
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
        async with openai.AsyncOpenAI(
            api_key="sk-test", base_url="http://127.0.0.1:9/v1", http_client=client
        ) as sdk:
            await sdk.chat.completions.create(**request)

    asyncio.run(send())
    sent = seen[0]
    old_key = hashlib.sha256(
        sent.method.encode() + b" " + sent.url.path.encode() + b"\n" + sent.content
    ).hexdigest()
    db = tmp_path / "answers.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE answers (key TEXT PRIMARY KEY, status INTEGER, body BLOB)")
        con.execute(
            "INSERT INTO answers VALUES (?, 200, ?)",
            (old_key, json.dumps(completion(VALID)).encode()),
        )

    eval_cached = _eval_cached()
    answers = eval_cached.ReplayedAnswers(db)
    closed = OpenAIModel(_settings(), base_url="http://127.0.0.1:9/v1")  # a closed port
    meter = Meter()
    reply = _run(answers.around(closed).request(request, meter))
    assert reply.completion.choices[0].message.content == VALID
    assert (answers.hits, answers.misses, meter.usage.requests, meter.usage.total_tokens) == (
        1,
        0,
        1,
        15,
    )

    other = question.request(MESSAGES, model="m", temperature=0, max_tokens=65)
    asked = FunctionModel(lambda _r: completion(VALID))
    _run(answers.around(asked).request(other, Meter()))
    again = eval_cached.ReplayedAnswers(db)
    _run(again.around(FunctionModel(_never_online)).request(other, Meter()))
    assert (len(asked.requests), again.hits) == (1, 1)
