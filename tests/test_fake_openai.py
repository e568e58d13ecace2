"""The fake OpenAI server (tests/fakes/fake_openai.py) is trustworthy: its answers satisfy the
real pipeline in every mode, and each fault looks on the wire like the failure it names.

Other suites (batch, reliability, benchmarks) build on it, so a fake that silently answers
wrongly would make them prove nothing. Everything runs on 127.0.0.1 with short latencies;
waits of the retry policy are recorded, never slept.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from pydantic import BaseModel, ValidationError

from summarizer import Summarizer, prompts
from summarizer._parse import has_parser
from summarizer.exceptions import (
    ProviderUnavailableError,
    SummarizerError,
    TruncatedOutputError,
)
from summarizer.grounding import AlignedText, render_numbered, segment
from summarizer.models import (
    ArticleSummary,
    Basis,
    EvidenceAnswer,
    OverviewAnswer,
    attribution_model,
)
from summarizer.retrying import RetryPolicy
from tests.fakes.fake_openai import (
    FAULTS,
    FakeOpenAI,
    FakeRequest,
)

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

HERE = Path(__file__).resolve().parent
FAKE_SCRIPT = HERE / "fakes" / "fake_openai.py"
KURSK = (HERE / "data" / "kursk.fr.txt").read_text(encoding="utf-8")
ARTICLES = sorted((HERE / "data").glob("*.txt"))


async def _no_sleep(_seconds: float) -> None:
    return None


NO_WAIT = RetryPolicy(max_attempts=4, sleep=_no_sleep)

# -- helpers -------------------------------------------------------------------------------


def summarize_with(
    fake: FakeOpenAI,
    *,
    mode: str = "tools",
    text: str = KURSK,
    retry: RetryPolicy = NO_WAIT,
    timeout: float | None = None,
) -> ArticleSummary:
    """The real pipeline against the fake: backend openai for tools/json_schema, local for json."""

    async def run() -> ArticleSummary:
        if mode == "json":
            summarizer = Summarizer(
                backend="local", base_url=fake.base_url, mode="json", retry=retry, timeout=timeout
            )
        else:
            summarizer = Summarizer(
                backend="openai",
                base_url=fake.base_url,
                api_key="test-key",
                mode=mode,  # type: ignore[arg-type]
                retry=retry,
                timeout=timeout,
            )
        async with summarizer:
            return await summarizer.asummarize(text)

    return asyncio.run(run())


def article_messages(text: str = KURSK) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """Messages carrying the numbered article as the pipeline renders it, and the validation
    context our answer models check references against."""
    sentences = segment(text, "fr")
    system = prompts.render(
        "article.system", language="fr", published=None, numbered=render_numbered(sentences)
    )
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": "Summarize the article."},
    ]
    return messages, {"sentences": sentences, "aligned": AlignedText(text)}


def tools_body(model: type[BaseModel], messages: list[dict[str, str]]) -> dict[str, Any]:
    name = model.__name__
    return {
        "model": "m",
        "messages": messages,
        "tools": [
            {
                "type": "function",
                "function": {"name": name, "parameters": model.model_json_schema()},
            }
        ],
        "tool_choice": {"type": "function", "function": {"name": name}},
    }


def json_body(model: type[BaseModel], messages: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "model": "m",
        "messages": messages,
        "response_format": {"type": "json_object", "schema": model.model_json_schema()},
    }


# Built once: a client's default TLS context costs ~80 ms, and everything here is plain HTTP.
_TLS = ssl.create_default_context()


def post(fake: FakeOpenAI, body: dict[str, Any]) -> httpx2.Response:
    """One chat request on a fresh connection (closed before the test's server stops)."""
    with httpx2.Client(verify=_TLS, timeout=5.0) as client:
        return client.post(f"{fake.base_url}/chat/completions", json=body)


def answer_text(response: httpx2.Response) -> str:
    """The model's answer: tool-call arguments or message content."""
    message = response.json()["choices"][0]["message"]
    calls = message.get("tool_calls")
    return str(calls[0]["function"]["arguments"] if calls else message["content"])


def raw_request(path: str, body: bytes = b"", method: str = "POST", extra: str = "") -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


def read_all(sock: socket.socket) -> tuple[bytes, OSError | None]:
    """Every byte until EOF, and the error that ended the read, if any."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except OSError as exc:
        return data, exc
    return data, None


def read_response(stream: Any) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response from a socket file (Content-Length framed)."""
    status_line = stream.readline().decode()
    headers: dict[str, str] = {}
    while (line := stream.readline().decode()) not in ("\r\n", ""):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stream.read(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


def fault_once_for(answer_model: str, fault: str) -> Callable[[int, FakeRequest], str | None]:
    """A fault picker that spoils the first request for ``answer_model`` only."""
    done: list[int] = []

    def pick(index: int, request: FakeRequest) -> str | None:
        if request.answer_model == answer_model and not done:
            done.append(index)
            return fault
        return None

    return pick


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server
        assert server.errors == []


# -- valid answers -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["tools", "json", "json_schema"])
def test_the_pipeline_succeeds_against_the_fake(fake: FakeOpenAI, mode: str) -> None:
    summary = summarize_with(fake, mode=mode)

    usage = summary.provenance.usage
    assert summary.claims and summary.events and summary.summary
    assert summary.check_grounded(KURSK) == []
    assert (usage.reasks, usage.transport_retries, summary.provenance.warnings) == (0, 0, [])
    # What the client metered is exactly what the server reported.
    assert usage.requests == fake.requests == fake.ok_served
    assert fake.usage_served == {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    # With a parser the parse's statements are labelled in groups; the one it finds no
    # speaker for (« selon laquelle … ») is asked the speaker by sentence. The subtitle's
    # figure the body does not confirm is asked about once. Statements after another
    # source's are asked whether they answer it.
    labels = {"StatementLabels"} if has_parser("fr") else set()
    assert {r.answer_model for r in fake.log} == {
        "AttributionAnswer",
        "OverviewAnswer",
        "Replies",
        "ClaimsEvidence",
        "FigurePairs",
        *labels,
    }
    assert [r.answer_model for r in fake.log].count("FigurePairs") == 1
    # the fake says every pair counts one group: both become inconsistencies, both spans cut
    assert [[s.text for s in i.spans] for i in summary.inconsistencies[:2]] == [
        ["2 000 soldats", "plusieurs milliers de soldats"],
        ["2 000 soldats", "environ 10 000 soldats"],
    ]
    assert {i.basis for i in summary.inconsistencies[:2]} == {Basis.model_and_cue}


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.name[:20])
def test_every_test_article_gets_a_grounded_summary_without_reasks(
    fake: FakeOpenAI, path: Path
) -> None:
    text = path.read_text(encoding="utf-8")
    summary = summarize_with(fake, text=text)
    assert summary.provenance.usage.reasks == 0
    assert summary.provenance.warnings == []
    assert summary.events and summary.check_grounded(text) == []
    # only an article whose headline gives a figure its body does not is asked about figures
    asked = "FigurePairs" in {r.answer_model for r in fake.log}
    assert asked == (path.name == "kursk.fr.txt")


def test_answers_follow_the_schema_and_the_article(fake: FakeOpenAI) -> None:
    messages, context = article_messages()
    overview = OverviewAnswer.model_validate_json(
        answer_text(post(fake, tools_body(OverviewAnswer, messages))), context=context
    )
    sentence = context["sentences"][overview.events[0].sentence - 1]
    assert sentence.text.startswith(overview.events[0].trigger)

    speaker_model = attribution_model(["Patrick Ryder", "Mark Rutte"])
    attribution = speaker_model.model_validate_json(
        answer_text(post(fake, json_body(speaker_model, messages)))
    )
    assert (attribution.speaker, attribution.kind) == ("Patrick Ryder", "claim")


def test_a_plain_chat_request_gets_text_and_models_are_listed(fake: FakeOpenAI) -> None:
    response = post(fake, {"model": "m", "messages": [{"role": "user", "content": "Hi"}]})
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"]
    with openai.OpenAI(api_key="k", base_url=fake.base_url, max_retries=0) as client:
        assert len(client.models.list().data) == 1
    assert fake.requests == 1  # listing models is not a chat request


# -- each fault on the wire ----------------------------------------------------------------


def test_constructor_rejects_unknown_faults() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        FakeOpenAI(faults={"418": 0.1})
    with pytest.raises(ValueError, match="unknown fault"):
        FakeOpenAI(faults=["500", "teapot"])
    with pytest.raises(ValueError, match="sum"):
        FakeOpenAI(faults={"500": 0.7, "429": 0.7})


@pytest.mark.parametrize(
    ("fault", "status", "header"),
    [
        ("429", 429, ("retry-after", "0.25")),
        ("429ms", 429, ("retry-after-ms", "250")),
        ("500", 500, None),
        ("502", 502, None),
        ("503", 503, None),
        ("504", 504, None),
        ("408", 408, None),
    ],
)
def test_status_faults(fault: str, status: int, header: tuple[str, str] | None) -> None:
    messages, _ = article_messages()
    with FakeOpenAI(faults=[fault], retry_after=0.25) as fake:
        response = post(fake, tools_body(EvidenceAnswer, messages))
        assert response.status_code == status
        assert "error" in response.json()
        if header is not None:
            assert response.headers[header[0]] == header[1]
        assert post(fake, tools_body(EvidenceAnswer, messages)).status_code == 200
        assert (fake.faults_served, fake.ok_served) == ({fault: 1}, 1)


def test_invalid_and_truncated_json() -> None:
    messages, _ = article_messages()
    with FakeOpenAI(faults=["invalid_json", "truncated_json"]) as fake:
        for _ in range(2):
            response = post(fake, tools_body(EvidenceAnswer, messages))
            assert response.status_code == 200
            assert len(response.content) == int(response.headers["content-length"])
            with pytest.raises(json.JSONDecodeError):
                json.loads(response.content)
        assert fake.usage_served["total_tokens"] == 0


@pytest.mark.parametrize("body", [tools_body, json_body])
def test_length_is_a_valid_envelope_cut_mid_answer(
    body: Callable[[type[BaseModel], list[dict[str, str]]], dict[str, Any]],
) -> None:
    messages, _ = article_messages()
    with FakeOpenAI(faults=["length"]) as fake:
        envelope = post(fake, body(OverviewAnswer, messages)).json()
        assert envelope["choices"][0]["finish_reason"] == "length"
        assert envelope["usage"]["completion_tokens"] > 0
        message = envelope["choices"][0]["message"]
        cut = (
            message["tool_calls"][0]["function"]["arguments"]
            if message.get("tool_calls")
            else (message["content"])
        )
        assert cut.startswith("{")
        with pytest.raises(json.JSONDecodeError):
            json.loads(cut)
        assert fake.usage_served["total_tokens"] == envelope["usage"]["total_tokens"]


def test_schema_invalid_breaks_the_schema_both_ways() -> None:
    messages, _ = article_messages()
    with FakeOpenAI(faults=["schema_invalid", "schema_invalid"]) as fake:
        for _ in range(2):  # even index: a required field missing; odd: a wrong type
            response = post(fake, tools_body(EvidenceAnswer, messages))
            json.loads(answer_text(response))
            with pytest.raises(ValidationError):
                EvidenceAnswer.model_validate_json(answer_text(response))


def test_ungrounded_fits_the_schema_but_not_the_article() -> None:
    messages, context = article_messages()
    with FakeOpenAI(faults=["ungrounded", "ungrounded"]) as fake:
        for model in (OverviewAnswer, EvidenceAnswer):
            text = answer_text(post(fake, tools_body(model, messages)))
            model.model_validate_json(text)  # the schema is satisfied ...
            with pytest.raises(ValidationError, match=r"does not exist|is not written"):
                model.model_validate_json(text, context=context)  # ... the references are not


def test_no_tool_call_and_empty_choices() -> None:
    messages, _ = article_messages()
    with FakeOpenAI(faults=["no_tool_call", "no_tool_call", "empty_choices"]) as fake:
        message = post(fake, tools_body(EvidenceAnswer, messages)).json()["choices"][0]["message"]
        assert message["content"] and not message.get("tool_calls")
        message = post(fake, json_body(EvidenceAnswer, messages)).json()["choices"][0]["message"]
        assert message["content"] == ""
        envelope = post(fake, tools_body(EvidenceAnswer, messages)).json()
        assert envelope["choices"] == [] and envelope["usage"]["prompt_tokens"] > 0


def test_reset_sends_half_a_body_then_an_rst() -> None:
    messages, _ = article_messages()
    body = json.dumps(tools_body(OverviewAnswer, messages)).encode()
    with FakeOpenAI(faults=["reset", "reset"]) as fake:
        with socket.create_connection(("127.0.0.1", fake.port), timeout=5) as sock:
            sock.sendall(raw_request("/v1/chat/completions", body))
            data, error = read_all(sock)
        head, _, partial = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        assert 0 < len(partial) < length
        assert isinstance(error, ConnectionResetError)
        with pytest.raises((httpx2.ReadError, httpx2.RemoteProtocolError)):
            post(fake, tools_body(OverviewAnswer, messages))


def test_drip_sends_a_valid_answer_a_few_bytes_at_a_time() -> None:
    messages, _ = article_messages()
    body = json.dumps(tools_body(EvidenceAnswer, messages)).encode()
    with FakeOpenAI(faults=["drip"], drip_seconds=0.3) as fake:
        with socket.create_connection(("127.0.0.1", fake.port), timeout=5) as sock:
            sock.sendall(raw_request("/v1/chat/completions", body, extra="Connection: close\r\n"))
            reads, data = 0, b""
            while chunk := sock.recv(65536):
                reads, data = reads + 1, data + chunk
        assert reads > 10
        envelope = json.loads(data.partition(b"\r\n\r\n")[2])
        EvidenceAnswer.model_validate_json(
            envelope["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
        )
        assert fake.usage_served["total_tokens"] == envelope["usage"]["total_tokens"]


def test_a_hanging_request_holds_no_slot_and_stalls_nobody() -> None:
    messages, _ = article_messages()
    body = json.dumps(tools_body(EvidenceAnswer, messages)).encode()
    with FakeOpenAI(faults=["timeout"], slots=1, hang_seconds=1.5) as fake:
        with socket.create_connection(("127.0.0.1", fake.port), timeout=5) as hung:
            hung.sendall(raw_request("/v1/chat/completions", body))
            deadline = time.monotonic() + 5
            while fake.requests == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert post(fake, tools_body(EvidenceAnswer, messages)).status_code == 200
            hung.setblocking(False)
            with pytest.raises(BlockingIOError):
                hung.recv(1)  # still open, nothing said
            hung.setblocking(True)
            assert read_all(hung) == (b"", None)  # closed after hang_seconds, never answered
        assert fake.faults_served == {"timeout": 1}


def test_keep_alive_expect_continue_and_chunked_bodies(fake: FakeOpenAI) -> None:
    messages, _ = article_messages()
    payload = json.dumps(tools_body(EvidenceAnswer, messages)).encode()
    with socket.create_connection(("127.0.0.1", fake.port), timeout=5) as sock:
        stream = sock.makefile("rb")
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        assert stream.readline() == b"HTTP/1.1 100 Continue\r\n"
        assert stream.readline() == b"\r\n"
        half = len(payload) // 2
        for piece in (payload[:half], payload[half:]):
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        sock.sendall(b"0\r\n\r\n")
        status, headers, answer = read_response(stream)
        assert (status, headers["connection"]) == (200, "keep-alive")
        assert json.loads(answer)["choices"]
        sock.sendall(raw_request("/v1/models", method="GET"))  # same connection
        status, _, listed = read_response(stream)
        assert status == 200 and len(json.loads(listed)["data"]) == 1
    assert fake.requests == 1


# -- the pipeline sees each fault as the failure it names ----------------------------------


@pytest.mark.parametrize(
    "fault", ["429", "429ms", "500", "502", "503", "504", "408", "reset", "timeout"]
)
def test_transport_faults_are_retried_by_the_pipeline(fault: str) -> None:
    with FakeOpenAI(faults=[fault], hang_seconds=5.0) as fake:
        summary = summarize_with(fake, timeout=0.5 if fault == "timeout" else None)
        usage = summary.provenance.usage
        assert (usage.transport_retries, usage.reasks) == (1, 0)
        assert summary.claims
        assert usage.requests == fake.requests
        assert usage.prompt_tokens == fake.usage_served["prompt_tokens"]
        assert fake.errors == []


def test_two_429s_then_ok() -> None:
    with FakeOpenAI(faults=["429", "429"]) as fake:
        usage = summarize_with(fake).provenance.usage
    assert usage.transport_retries == 2 and fake.faults_served == {"429": 2}


def test_a_server_that_keeps_failing_is_reported_with_its_status() -> None:
    with (
        FakeOpenAI(faults=lambda _i, _r: "500") as fake,
        pytest.raises(ProviderUnavailableError) as caught,
    ):
        summarize_with(fake, mode="json")  # one question at a time
    assert caught.value.status_code == 500
    assert fake.requests == NO_WAIT.max_attempts


def test_a_failed_question_cancels_the_article_s_other_questions() -> None:
    with (
        FakeOpenAI(faults=lambda _i, _r: "500") as fake,
        pytest.raises(ProviderUnavailableError) as caught,
    ):
        summarize_with(fake)  # backend openai: 4 questions in flight at once
    # The 4 questions in flight spend their attempts, and a question that took a slot freed by
    # the first failure, before the cancel reached it, may send one more; without the cancel
    # every question of the article (about 10 here) would spend all of its attempts.
    assert NO_WAIT.max_attempts <= fake.requests <= 5 * NO_WAIT.max_attempts
    assert caught.value.usage is not None and caught.value.usage.requests <= fake.requests


@pytest.mark.parametrize(
    ("answer_model", "fault"),
    [
        ("AttributionAnswer", "schema_invalid"),
        ("AttributionAnswer", "no_tool_call"),
        ("OverviewAnswer", "ungrounded"),
        ("ClaimsEvidence", "ungrounded"),
        ("OverviewAnswer", "schema_invalid"),
    ],
)
def test_bad_answers_are_reasked(answer_model: str, fault: str) -> None:
    with FakeOpenAI(faults=fault_once_for(answer_model, fault)) as fake:
        summary = summarize_with(fake)
    usage = summary.provenance.usage
    assert (usage.reasks, usage.transport_retries) == (1, 0)
    assert fake.faults_served == {fault: 1}
    assert usage.completion_tokens == fake.usage_served["completion_tokens"]


def test_length_is_a_truncated_output() -> None:
    with FakeOpenAI(faults=["length"]) as fake, pytest.raises(TruncatedOutputError):
        summarize_with(fake, mode="json")


@pytest.mark.parametrize("fault", ["invalid_json", "truncated_json", "empty_choices"])
def test_unusable_envelopes_end_in_a_summarizer_error(fault: str) -> None:
    with FakeOpenAI(faults=lambda _i, _r: fault) as fake, pytest.raises(SummarizerError):
        summarize_with(fake)
    assert fake.errors == []


# -- schedules, slots, stats ---------------------------------------------------------------


def test_fault_probabilities_are_reproducible_by_seed() -> None:
    def schedule(seed: int) -> list[str | None]:
        with FakeOpenAI(faults={"500": 0.3, "429": 0.2}, seed=seed) as fake:
            for _ in range(40):
                post(fake, {"model": "m", "messages": [{"role": "user", "content": "x"}]})
            assert fake.requests == 40
            assert fake.ok_served + sum(fake.faults_served.values()) == 40
            return [r.fault for r in sorted(fake.log, key=lambda r: r.index)]

    first = schedule(7)
    assert first == schedule(7) != schedule(8)
    assert {"500", "429", None} == set(first)


def test_fault_callables_see_the_request() -> None:
    seen: list[tuple[int, str, str | None]] = []

    def pick(index: int, request: FakeRequest) -> str | None:
        seen.append((index, request.mode, request.answer_model))
        return None

    messages, _ = article_messages()
    with FakeOpenAI(faults=pick) as fake:
        post(fake, tools_body(OverviewAnswer, messages))
        post(fake, json_body(EvidenceAnswer, messages))
    assert seen == [(0, "tools", "OverviewAnswer"), (1, "json", "EvidenceAnswer")]


def test_slots_bound_the_requests_processed_at_once() -> None:
    messages, _ = article_messages()
    body = tools_body(EvidenceAnswer, messages)
    for slots, bound in ((2, 2), (None, 6)):
        with FakeOpenAI(latency=0.3, slots=slots) as fake:
            start = threading.Barrier(6)

            def one(_: int, fake: FakeOpenAI = fake, start: threading.Barrier = start) -> int:
                start.wait()
                return post(fake, body).status_code

            with ThreadPoolExecutor(6) as pool:
                assert list(pool.map(one, range(6))) == [200] * 6
            if slots is None:
                assert fake.max_in_flight > 2  # unbounded: the six overlap
            else:
                assert fake.max_in_flight == bound
            assert fake.in_flight == 0


def test_stats_log_and_reset(fake: FakeOpenAI) -> None:
    messages, _ = article_messages()
    post(fake, tools_body(EvidenceAnswer, messages))
    (record,) = fake.log
    assert (record.index, record.fault, record.model, record.answer_model) == (
        0,
        None,
        "m",
        "EvidenceAnswer",
    )
    chars = sum(len(m["content"]) for m in messages)
    assert record.prompt_tokens == pytest.approx(chars / 4, abs=1)
    assert fake.usage_served["prompt_tokens"] == record.prompt_tokens
    fake.reset_stats()
    assert (fake.requests, fake.log, fake.usage_served["total_tokens"]) == (0, [], 0)
    post(fake, tools_body(EvidenceAnswer, messages))
    assert fake.log[0].index == 1  # the fault schedule keeps counting


def test_the_fault_names_are_the_documented_ones() -> None:
    assert set(FAULTS) == {
        *("429", "429ms", "500", "502", "503", "504", "408"),
        *("timeout", "reset", "drip", "invalid_json", "truncated_json", "length"),
        *("schema_invalid", "ungrounded", "no_tool_call", "empty_choices"),
    }


# -- as a process --------------------------------------------------------------------------


@pytest.mark.slow
def test_the_process_prints_ready_serves_and_writes_stats(tmp_path: Path) -> None:
    stats_file = tmp_path / "stats.json"
    with subprocess.Popen(
        [
            sys.executable,
            str(FAKE_SCRIPT),
            "--port",
            "0",
            "--slots",
            "4",
            "--fault",
            "429=1.0",
            "--stats-file",
            str(stats_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        try:
            assert process.stdout is not None
            ready = process.stdout.readline().split()
            assert ready[0] == "READY" and ready[1].startswith("http://127.0.0.1:")
            with httpx2.Client(verify=_TLS, timeout=5.0) as client:
                response = client.post(
                    f"{ready[1]}/chat/completions",
                    json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
                )
            assert response.status_code == 429 and response.headers["retry-after"] == "1"
            deadline = time.monotonic() + 5
            while json.loads(stats_file.read_text())["requests"] != 1:
                assert time.monotonic() < deadline, "the stats file was not updated"
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
    stats = json.loads(stats_file.read_text())
    assert stats["faults_served"] == {"429": 1} and stats["errors"] == []
