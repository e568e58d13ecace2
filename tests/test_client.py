"""ModelClient against a real local HTTP server speaking OpenAI chat completions, and its
re-asks against a scripted model.

Nothing here mocks ``openai`` or ``instructor``: the transport tests script the HTTP responses
of a ``pytest-httpserver`` endpoint on this machine and check what a caller sees: the result or
the typed error, the waits the retry policy asked for and the usage metered. The re-ask tests
need only the answers, so a :class:`~summarizer.testing.FunctionModel` gives them (the client's
seam, below the re-ask loop and above the SDK) and they check the messages a re-ask sends back
to the model. Waits are recorded, never slept.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from summarizer import Summarizer, _by_id, summarize
from summarizer._model import Model
from summarizer.client import Meter, ModelClient
from summarizer.config import Secret, Settings
from summarizer.exceptions import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InputError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    TokenBudgetExceededError,
    TruncatedOutputError,
    ValidationExhaustedError,
)
from summarizer.grounding import AlignedText, segment
from summarizer.models import ClaimKind, EvidenceAnswer, EvidenceStatus, Shown
from summarizer.retrying import RetryPolicy
from summarizer.testing import FunctionModel

# These tests start their own servers on loopback; everything else stays blocked.
pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

API_KEY = "sk-test-0123456789-very-secret-key"
TEXT = "The minister said the bridge was closed. Officials gave no proof. The army denied it."
MESSAGES = [
    {"role": "system", "content": f"The article:\n[S1] {TEXT}"},
    {"role": "user", "content": "What does the article show about the evidence for S1?"},
]
VALID = json.dumps({"statement": "fact", "evidence": "none_given", "cue_sentence": 2})
CHAT_PATH = "/v1/chat/completions"


def completion(
    content: str,
    *,
    prompt_tokens: int = 10,
    completion_tokens: int = 5,
    finish_reason: str = "stop",
) -> dict[str, Any]:
    """An OpenAI chat-completion body whose single choice says ``content``."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def reply(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


def error(status: int, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"message": f"scripted HTTP {status}", "type": "test", "code": None}}
    return reply(body, status, headers)


@dataclass
class Endpoint:
    """The scripted server: answers with ``script`` in order and records each request body."""

    script: list[Response | Callable[[], Response]]
    bodies: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, request: Request) -> Response:
        self.bodies.append(json.loads(request.get_data()))
        if not self.script:
            return error(599)  # the client asked more often than the test allows
        step = self.script.pop(0)
        return step if isinstance(step, Response) else step()

    def messages(self, n: int) -> list[dict[str, Any]]:
        """The messages of the ``n``-th request (1-based)."""
        messages: list[dict[str, Any]] = self.bodies[n - 1]["messages"]
        return messages


def serve(httpserver: HTTPServer, *script: Response | Callable[[], Response]) -> Endpoint:
    endpoint = Endpoint(list(script))
    httpserver.expect_request(CHAT_PATH, method="POST").respond_with_handler(endpoint.handle)
    return endpoint


@dataclass
class Run:
    """The outcome of one ``ask``: the answer or the error, the meter and the waits."""

    meter: Meter
    waits: list[float]
    result: EvidenceAnswer | None = None
    error: BaseException | None = None


def ask(
    base_url: str = "http://127.0.0.1:9/v1", *, model: Model | None = None, **overrides: Any
) -> Run:
    """Build a client the way a user would (on ``model`` if given, else on the endpoint at
    ``base_url``) and ask one EvidenceAnswer question."""
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    retry = RetryPolicy(sleep=record, rng=lambda: 0.5, max_attempts=overrides.pop("attempts", 4))
    options: dict[str, Any] = {"max_reasks": 2, "mode": "json", **overrides}
    settings = Settings.resolve(
        backend="openai", base_url=base_url, api_key=API_KEY, retry=retry, env={}, **options
    )
    run = Run(Meter(), waits)

    async def main() -> None:
        client = ModelClient(settings, base_url=base_url, model=model)
        try:
            run.result = await client.ask(
                EvidenceAnswer,
                MESSAGES,
                meter=run.meter,
                context={"sentences": segment(TEXT), "aligned": AlignedText(TEXT)},
            )
        except BaseException as exc:  # the tests assert on the type
            run.error = exc
        finally:
            await client.aclose()

    asyncio.run(asyncio.wait_for(main(), timeout=5))
    return run


def scripted(*answers: dict[str, Any]) -> FunctionModel:
    """A model that gives ``answers`` in order, and records the requests it was asked."""
    script = list(answers)

    def answer(_request: dict[str, Any]) -> dict[str, Any]:
        assert script, "the client asked more often than the test allows"
        return script.pop(0)

    return FunctionModel(answer)


def messages(model: FunctionModel, n: int) -> list[dict[str, Any]]:
    """The messages of the ``n``-th request (1-based) ``model`` was asked."""
    found: list[dict[str, Any]] = model.requests[n - 1]["messages"]
    return found


def drain(httpserver: HTTPServer, *, requests: int) -> None:
    deadline = time.monotonic() + 3
    while len(httpserver.log) < requests and time.monotonic() < deadline:
        time.sleep(0.01)


def text_of(messages: list[dict[str, Any]], role: str) -> str:
    return "\n".join(str(m["content"]) for m in messages if m["role"] == role)


# --------------------------------------------------------------------------- transport retries


def test_429_honours_retry_after_and_counts_usage_once(httpserver: HTTPServer) -> None:
    endpoint = serve(
        httpserver,
        error(429, {"Retry-After": "7"}),
        reply(completion(VALID, prompt_tokens=40, completion_tokens=9)),
    )
    run = ask(httpserver.url_for("/v1"))

    assert run.error is None
    assert run.result == EvidenceAnswer(
        statement=ClaimKind.fact, evidence=Shown.none_given, cue_sentence=2
    )
    assert run.result.status is EvidenceStatus.none_provided
    assert run.waits == [7.0]
    usage = run.meter.usage
    assert (usage.requests, usage.transport_retries, usage.reasks) == (2, 1, 0)
    assert (usage.prompt_tokens, usage.completion_tokens) == (40, 9)
    assert len(endpoint.bodies) == 2


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After": "999"}, RetryPolicy().retry_after_cap),
    ],
    ids=["retry-after-ms", "retry-after-capped"],
)
def test_429_wait_hints(httpserver: HTTPServer, headers: dict[str, str], expected: float) -> None:
    serve(httpserver, error(429, headers), reply(completion(VALID)))
    run = ask(httpserver.url_for("/v1"))

    assert run.error is None
    assert run.waits == [expected]


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_transient_status_is_retried(httpserver: HTTPServer, status: int) -> None:
    endpoint = serve(httpserver, error(status), reply(completion(VALID)))
    run = ask(httpserver.url_for("/v1"))

    assert run.error is None and run.result is not None
    assert run.waits == [0.5]  # first backoff ceiling 1 s, times rng() == 0.5
    assert run.meter.usage.transport_retries == 1
    assert len(endpoint.bodies) == 2


@pytest.mark.parametrize(
    ("status", "kind"), [(503, ProviderUnavailableError), (429, RateLimitError)]
)
def test_retries_run_out(httpserver: HTTPServer, status: int, kind: type[ProviderError]) -> None:
    endpoint = serve(httpserver, *(error(status) for _ in range(5)))
    run = ask(httpserver.url_for("/v1"), attempts=3)

    assert type(run.error) is kind
    assert run.error.status_code == status
    assert run.error.attempts == 3
    assert run.error.usage is not None
    assert (run.error.usage.requests, run.error.usage.transport_retries) == (3, 2)
    assert run.waits == [0.5, 1.0]
    assert len(endpoint.bodies) == 3


def test_401_fails_at_once_and_never_shows_the_key(httpserver: HTTPServer) -> None:
    endpoint = serve(httpserver, error(401), reply(completion(VALID)))
    run = ask(httpserver.url_for("/v1"))

    assert isinstance(run.error, AuthenticationError)
    assert run.error.status_code == 401
    assert len(endpoint.bodies) == 1
    assert run.waits == []
    printed = "".join(traceback.format_exception(run.error))
    for shown in (str(run.error), repr(run.error), printed):
        assert API_KEY not in shown


@pytest.mark.parametrize("status", [400, 404])
def test_refused_request_is_not_retried(httpserver: HTTPServer, status: int) -> None:
    endpoint = serve(httpserver, error(status), reply(completion(VALID)))
    run = ask(httpserver.url_for("/v1"))

    assert isinstance(run.error, BadRequestError)
    assert run.error.status_code == status
    assert "scripted HTTP" in (run.error.body or "")
    assert len(endpoint.bodies) == 1
    assert run.waits == []


def test_connection_refused_is_retried_then_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = ask(f"http://127.0.0.1:{port}/v1", attempts=3)

    assert isinstance(run.error, ProviderUnavailableError)
    assert run.error.attempts == 3
    assert "could not reach" in str(run.error)
    assert run.waits == [0.5, 1.0]
    assert run.meter.usage.requests == 3


def test_read_timeout_is_retried_then_unavailable(httpserver: HTTPServer) -> None:
    release = threading.Event()

    def stall() -> Response:
        release.wait(timeout=3)
        return reply(completion(VALID))

    serve(httpserver, stall, stall)
    started = time.monotonic()
    try:
        run = ask(httpserver.url_for("/v1"), attempts=2, timeout=0.3)
    finally:
        release.set()
        drain(httpserver, requests=2)  # so no stalled request reaches the next test's script

    assert time.monotonic() - started < 3
    assert isinstance(run.error, ProviderUnavailableError)
    assert "timed out" in str(run.error)
    assert run.error.attempts == 2
    assert run.waits == [0.5]


# --------------------------------------------------------------------------- validation re-asks


def test_schema_invalid_answer_is_reasked_with_the_problem() -> None:
    bad = json.dumps({"statement": "maybe"})
    model = scripted(
        completion(bad, prompt_tokens=30, completion_tokens=4),
        completion(VALID, prompt_tokens=50, completion_tokens=6),
    )
    run = ask(model=model)

    assert run.error is None
    assert run.result is not None and run.result.status is EvidenceStatus.none_provided
    usage = run.meter.usage
    assert (usage.requests, usage.reasks) == (2, 1)
    assert (usage.prompt_tokens, usage.completion_tokens) == (80, 10)
    second = messages(model, 2)
    assert second[-2] == {"role": "assistant", "content": bad}
    assert second[-1]["role"] == "user"
    assert "statement" in second[-1]["content"]


def test_ungrounded_sentence_number_is_reasked() -> None:
    model = scripted(
        completion(json.dumps({"statement": "fact", "evidence": "shown", "cue_sentence": 99})),
        completion(VALID),
    )
    run = ask(model=model)

    assert run.error is None and run.result is not None
    assert run.meter.usage.reasks == 1
    assert "S99 does not exist" in messages(model, 2)[-1]["content"]


def test_invalid_json_is_reasked_saying_json() -> None:
    model = scripted(completion("{not json"), completion(VALID))
    run = ask(model=model)

    assert run.error is None and run.result is not None
    assert run.meter.usage.reasks == 1
    assert messages(model, 2)[-2] == {"role": "assistant", "content": "{not json"}
    assert "JSON" in messages(model, 2)[-1]["content"]


def test_always_invalid_exhausts_the_reasks() -> None:
    bad = completion(json.dumps({"statement": "maybe"}), prompt_tokens=20, completion_tokens=3)
    model = scripted(*([bad] * 5))
    run = ask(model=model)

    assert isinstance(run.error, ValidationExhaustedError)
    assert run.error.attempts == 3
    assert run.error.errors and any("statement" in e for e in run.error.errors)
    assert run.error.usage is not None
    assert (run.error.usage.prompt_tokens, run.error.usage.completion_tokens) == (60, 9)
    assert (run.error.usage.requests, run.error.usage.reasks) == (3, 2)
    assert len(model.requests) == 3


def test_reasks_carry_only_the_last_bad_answer() -> None:
    answers = [json.dumps({"statement": f"wrong-{n}"}) for n in range(1, 5)]
    model = scripted(*(completion(a) for a in answers))
    run = ask(model=model, max_reasks=3)

    assert isinstance(run.error, ValidationExhaustedError)
    assert len(model.requests) == 4
    original = len(messages(model, 1))
    assert [len(messages(model, n)) for n in (2, 3, 4)] == [original + 2] * 3
    fourth = messages(model, 4)
    assert text_of(fourth, "assistant") == answers[2]  # only the answer just before it
    for older in answers[:2]:
        assert older not in json.dumps(fourth)


def test_truncated_answer_is_not_reasked() -> None:
    cut = completion('{"status": "prov', completion_tokens=60, finish_reason="length")
    model = scripted(cut, completion(VALID))
    run = ask(model=model)

    assert isinstance(run.error, TruncatedOutputError)
    assert run.error.usage is not None and run.error.usage.completion_tokens == 60
    assert len(model.requests) == 1


def test_token_budget_stops_the_reasks() -> None:
    bad = completion(json.dumps({"statement": "maybe"}), prompt_tokens=70, completion_tokens=10)
    model = scripted(*([bad] * 3))
    run = ask(model=model, token_budget=100)

    assert isinstance(run.error, TokenBudgetExceededError)
    assert len(model.requests) == 2
    assert run.error.usage is not None and run.error.usage.total_tokens == 160


def test_a_reask_sends_the_same_request_over_http(httpserver: HTTPServer) -> None:
    """The scripted model sees the request the endpoint is sent: the re-asks above hold there."""
    bad = json.dumps({"statement": "maybe"})
    endpoint = serve(httpserver, reply(completion(bad)), reply(completion(VALID)))
    model = scripted(completion(bad), completion(VALID))
    over_http, scripted_run = ask(httpserver.url_for("/v1")), ask(model=model)

    assert over_http.error is None and scripted_run.error is None
    assert endpoint.bodies == [json.loads(json.dumps(r)) for r in model.requests]
    assert over_http.meter.usage == scripted_run.meter.usage.model_copy(
        update={"seconds": over_http.meter.usage.seconds}
    )


def test_empty_choices_is_a_typed_error(httpserver: HTTPServer) -> None:
    empty = {**completion(VALID), "choices": []}
    endpoint = serve(httpserver, *([reply(empty)] * 4))
    run = ask(httpserver.url_for("/v1"))

    # Nothing to re-ask about: a provider fault, retried on the transport budget, billed each time.
    assert isinstance(run.error, ProviderError), repr(run.error)
    assert "unusable response after 4 attempt(s)" in run.error.message
    assert len(endpoint.bodies) == 4
    assert run.error.usage is not None and run.error.usage.transport_retries == 3
    assert run.error.usage.requests == 4 and run.error.usage.reasks == 0
    assert run.error.usage.prompt_tokens == 4 * empty["usage"]["prompt_tokens"]


def test_empty_choices_then_an_answer_succeeds(httpserver: HTTPServer) -> None:
    empty = {**completion(VALID), "choices": []}
    serve(httpserver, reply(empty), reply(completion(VALID)))
    run = ask(httpserver.url_for("/v1"))
    assert run.error is None, run.error


# --------------------------------------------------------------------------- settings


def test_settings_explicit_beats_env_beats_defaults() -> None:
    env = {
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "SUMMARIZER_MODEL": "env-model",
        "SUMMARIZER_TIMEOUT": "12",
        "SUMMARIZER_MAX_REASKS": "5",
        "SUMMARIZER_MAX_STATEMENTS": "0",
    }
    settings = Settings.resolve(model="arg-model", max_reasks=1, env=env)

    assert settings.model == "arg-model"
    assert settings.base_url == "http://127.0.0.1:9/v1"
    assert settings.timeout == 12.0
    assert settings.max_reasks == 1
    assert settings.max_statements == 0  # every statement sentence
    assert settings.token_budget == Settings().token_budget


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({}, "local"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, "openai"),
        ({"OPENAI_API_KEY": API_KEY}, "openai"),
    ],
    ids=["nothing", "base-url", "key"],
)
def test_settings_backend_follows_what_is_configured(env: dict[str, str], backend: str) -> None:
    assert Settings.resolve(env=env).backend == backend


def test_settings_rejects_a_non_number() -> None:
    with pytest.raises(ConfigurationError, match="SUMMARIZER_MAX_REASKS"):
        Settings.resolve(env={"SUMMARIZER_MAX_REASKS": "x"})


def test_secret_never_shows_the_key() -> None:
    settings = Settings.resolve(api_key=API_KEY, env={})
    assert settings.api_key == Secret(API_KEY)
    assert settings.api_key is not None and settings.api_key.reveal() == API_KEY
    for shown in (repr(settings.api_key), str(settings.api_key), f"{settings.api_key}"):
        assert API_KEY not in shown
    assert API_KEY not in repr(settings)
    assert "short" not in repr(Secret("short")) + str(Secret("short"))


# --------------------------------------------------------------------------- public API


def test_summarize_inside_a_running_loop_is_refused() -> None:
    async def main() -> None:
        summarize(TEXT, base_url="http://127.0.0.1:9/v1", api_key=API_KEY)

    with pytest.raises(ConfigurationError, match="event loop"):
        asyncio.run(main())


def test_blank_article_fails_before_any_request(httpserver: HTTPServer) -> None:
    endpoint = serve(httpserver, reply(completion(VALID)))
    with pytest.raises(InputError):
        summarize("   ", base_url=httpserver.url_for("/v1"), api_key=API_KEY)
    assert endpoint.bodies == []


def test_summarizer_repr_hides_the_key() -> None:
    summarizer = Summarizer(base_url="http://127.0.0.1:9/v1", api_key=API_KEY)
    assert API_KEY not in repr(summarizer)
    assert "127.0.0.1:9" in repr(summarizer)


class _ReadOnlyMessage(Exception):
    @property
    def message(self) -> str:
        return str(self.args[0])


def test_an_error_with_a_read_only_message_is_translated_and_masked() -> None:
    from summarizer.client import translate_provider_error
    from summarizer.exceptions import SummarizerError

    secret = Secret("sk-read-only-secret-123")
    cause = _ReadOnlyMessage("refused with key sk-read-only-secret-123")
    error = translate_provider_error(cause, Meter(), secret=secret)
    assert isinstance(error, SummarizerError)
    assert "sk-read-only-secret-123" not in str(error)
    assert "sk-read-only-secret-123" not in str(cause.args)


# --------------------------------------------------------------------------- label confidence


def test_confidence_asks_for_log_probabilities_and_reads_each_label(httpserver: HTTPServer) -> None:
    content = '{"C1": {"statement": "opinion"}}'
    tokens = ['{"', "C1", '":', ' {"', "statement", '":', ' "', "opinion", '"}}']
    logprobs = [-0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.4, -0.0]
    body = completion(content)
    body["choices"][0]["logprobs"] = {
        "content": [{"token": t, "logprob": lp, "bytes": None, "top_logprobs": []}
                    for t, lp in zip(tokens, logprobs, strict=True)]
    }  # fmt: skip
    endpoint = serve(httpserver, reply(body), reply(completion(content)))
    settings = Settings.resolve(
        backend="openai", base_url=httpserver.url_for("/v1"), api_key=API_KEY, env={}, mode="json"
    )
    found: dict[str, float] = {}

    async def main() -> None:
        client = ModelClient(settings, base_url=httpserver.url_for("/v1"))
        try:
            context = {"sentences": segment(TEXT), "aligned": AlignedText(TEXT)}
            answer_model = _by_id.model("ClaimsEvidence", EvidenceAnswer, ["C1"])
            await client.ask(
                answer_model, MESSAGES, meter=Meter(), context=context, confidence=found
            )
            await client.ask(answer_model, MESSAGES, meter=Meter(), context=context)
        finally:
            await client.aclose()

    asyncio.run(asyncio.wait_for(main(), timeout=5))
    assert found == {"C1.statement": 0.6703}  # exp(-0.4)
    # llama.cpp's server sends log-probabilities only when top_logprobs is set too; a question
    # that does not want them does not pay for them.
    assert (endpoint.bodies[0]["logprobs"], endpoint.bodies[0]["top_logprobs"]) == (True, 1)
    assert "logprobs" not in endpoint.bodies[1]
