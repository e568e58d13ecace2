"""Every way a provider fails, against the fault server on 127.0.0.1, through the real pipeline.

For each fault: which budget pays for it (transport retries or validation re-asks, counted
exactly), the final error's type and message, the usage summed over every attempt (equal to
what the server billed), and a bound on the time taken. Waits between retries are recorded,
never slept, except where the wait itself is under test.
"""

from __future__ import annotations

import dataclasses
import functools

import pytest
from typer.testing import CliRunner

from summarizer import (
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    RetryPolicy,
    TruncatedOutputError,
    ValidationExhaustedError,
)
from summarizer._cli import app
from summarizer._cli._exits import EXIT_OUTPUT, EXIT_PROVIDER
from tests.batch_support import article_text
from tests.fakes.fake_openai import FakeOpenAI
from tests.reliability.support import (
    HARMLESS,
    REASK,
    TERMINAL,
    TRANSPORT,
    Schedule,
    Waits,
    always,
    closed_port,
    first_of,
    settings,
    settle,
    summarize,
    usage_served,
)

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])

TEXT = article_text(3)
ATTEMPTS, REASKS = 3, 2
HANG = 0.4  # the client's timeout in the timeout cases


def test_the_fault_table_names_every_fault_of_the_server() -> None:
    from tests.fakes.fake_openai import FAULTS

    assert set(TRANSPORT + REASK + TERMINAL + HARMLESS) == set(FAULTS)


@functools.cache
def _baseline() -> int:
    """Requests of a fault-free summary of TEXT (made once, when a test first needs it)."""
    schedule = Schedule(lambda _i, _r: None)
    with FakeOpenAI(faults=schedule) as fake:
        outcome = summarize(TEXT, settings(fake.base_url))
    assert outcome.summary is not None
    return len(schedule.seen)


# -- one fault, then the server behaves: the right budget pays, exactly once ---------------


@pytest.mark.parametrize("fault", TRANSPORT + REASK + HARMLESS)
def test_one_fault_costs_one_retry_or_one_reask(fault: str) -> None:
    baseline = _baseline()
    waits = Waits()
    schedule = Schedule(first_of("OverviewAnswer", fault))
    with FakeOpenAI(faults=schedule, retry_after=0.25, hang_seconds=5, drip_seconds=0.3) as fake:
        outcome = summarize(
            TEXT, settings(fake.base_url, timeout=HANG if fault == "timeout" else 2, waits=waits)
        )
        settle(fake, baseline + (fault not in HARMLESS))
        assert outcome.error is None, outcome.error
        assert outcome.summary is not None
        usage = outcome.summary.provenance.usage
        expected = {
            "transport_retries": int(fault in TRANSPORT),
            "reasks": int(fault in REASK),
            "requests": baseline + (fault not in HARMLESS),
        }
        assert {k: getattr(usage, k) for k in expected} == expected
        assert usage.requests == fake.requests
        assert (usage.prompt_tokens, usage.completion_tokens) == usage_served(fake)
        assert fake.faults_served == {fault: 1} and fake.errors == []
    assert outcome.summary.check_grounded(TEXT) == []
    # A 429 waits what the server asked, in seconds or in milliseconds; others back off.
    if fault in ("429", "429ms"):
        assert waits.seconds == [0.25]
    assert outcome.seconds < 10


# -- a fault that never stops: the budget runs out, the error says what happened ------------


TRANSPORT_ERRORS = {
    "429": (RateLimitError, 429, "HTTP 429 after 3 attempt(s)"),
    "429ms": (RateLimitError, 429, "HTTP 429 after 3 attempt(s)"),
    "500": (ProviderUnavailableError, 500, "HTTP 500 after 3 attempt(s)"),
    "502": (ProviderUnavailableError, 502, "HTTP 502 after 3 attempt(s)"),
    "503": (ProviderUnavailableError, 503, "HTTP 503 after 3 attempt(s)"),
    "504": (ProviderUnavailableError, 504, "HTTP 504 after 3 attempt(s)"),
    "408": (ProviderUnavailableError, 408, "HTTP 408 after 3 attempt(s)"),
    "timeout": (ProviderUnavailableError, None, "timed out after 3 attempt(s)"),
    "reset": (ProviderUnavailableError, None, "after 3 attempt(s) (ReadError)"),
    "invalid_json": (ProviderError, None, "3 attempt(s) (a body that is not JSON)"),
    "truncated_json": (ProviderError, None, "3 attempt(s) (a body that is not JSON)"),
    "empty_choices": (ProviderError, None, "3 attempt(s) (the endpoint answered with no choices)"),
}


@pytest.mark.parametrize("fault", TRANSPORT)
def test_a_lasting_provider_fault_spends_the_transport_budget_only(fault: str) -> None:
    kind, status, words = TRANSPORT_ERRORS[fault]
    waits = Waits()
    schedule = Schedule(always(fault))
    with FakeOpenAI(faults=schedule, retry_after=0.25, hang_seconds=5) as fake:
        config = settings(fake.base_url, attempts=ATTEMPTS, timeout=HANG, waits=waits)
        outcome = summarize(TEXT, config)
        settle(fake, ATTEMPTS)
        error = outcome.error
        assert type(error) is kind, error
        assert isinstance(error, ProviderError)
        assert words in error.message and "sk-" not in error.message
        assert (error.status_code, error.attempts) == (status, ATTEMPTS)
        # One question, asked ATTEMPTS times with the same body; no re-ask.
        (question,) = schedule.questions().values()
        assert len(question) == ATTEMPTS and len({s.body for s in question}) == 1
        assert error.usage is not None
        u = error.usage
        assert (u.requests, u.transport_retries, u.reasks) == (ATTEMPTS, ATTEMPTS - 1, 0)
        assert u.requests == fake.requests
        assert (u.prompt_tokens, u.completion_tokens) == usage_served(fake)
        if fault == "empty_choices":  # an empty answer is still billed, and counted
            assert u.prompt_tokens > 0
    if fault in ("429", "429ms"):
        assert waits.seconds == [0.25] * (ATTEMPTS - 1)
    bound = ATTEMPTS * HANG + 5 if fault == "timeout" else 5
    assert outcome.seconds < bound


@pytest.mark.parametrize("fault", REASK)
def test_a_lasting_bad_answer_spends_the_reask_budget_only(fault: str) -> None:
    schedule = Schedule(always(fault))
    with FakeOpenAI(faults=schedule) as fake:
        outcome = summarize(TEXT, settings(fake.base_url, attempts=ATTEMPTS, reasks=REASKS))
        error = outcome.error
        assert isinstance(error, ValidationExhaustedError), error
        assert error.attempts == REASKS + 1 and error.errors
        assert f"no valid answer after {REASKS + 1} attempts; last problems:" in error.message
        questions = schedule.questions()
        failed = [q for q in questions.values() if len(q) > 1]
        assert len(failed) == 1 and len(failed[0]) == REASKS + 1  # the question that failed
        # Each re-ask carries the last answer and what was wrong with it, nothing more.
        assert [s.body.count('"role": "assistant"') for s in failed[0]] == [0] + [1] * REASKS
        assert error.usage is not None
        u = error.usage
        answered = len(questions) - 1  # attributions an "ungrounded" fault cannot spoil
        assert (u.requests, u.reasks, u.transport_retries) == (
            answered + REASKS + 1,
            REASKS,
            0,
        )
        assert u.requests == fake.requests
        assert (u.prompt_tokens, u.completion_tokens) == usage_served(fake)
    if fault == "ungrounded":
        assert "is not written in" in error.message or "does not exist" in error.message
    if fault == "no_tool_call":
        assert "No tool calls" in error.message
    assert outcome.seconds < 5


def test_a_cut_answer_is_not_retried_nor_reasked() -> None:
    schedule = Schedule(always("length"))
    with FakeOpenAI(faults=schedule) as fake:
        outcome = summarize(TEXT, settings(fake.base_url))
        error = outcome.error
        assert isinstance(error, TruncatedOutputError), error
        assert "finish_reason=length" in error.message and "max_tokens=" in error.message
        assert error.usage is not None
        u = error.usage
        assert (u.requests, u.transport_retries, u.reasks) == (1, 0, 0) == (fake.requests, 0, 0)
        assert (u.prompt_tokens, u.completion_tokens) == usage_served(fake)
        assert u.completion_tokens > 0  # the cut answer was billed


def test_a_refused_connection_spends_the_transport_budget() -> None:
    config = settings(f"http://127.0.0.1:{closed_port()}/v1", attempts=ATTEMPTS)
    outcome = summarize(TEXT, config)
    error = outcome.error
    assert isinstance(error, ProviderUnavailableError), error
    assert "could not reach the model endpoint after 3 attempt(s) (ConnectError)" in error.message
    assert error.usage is not None
    u = error.usage
    assert (u.requests, u.transport_retries, u.total_tokens) == (ATTEMPTS, ATTEMPTS - 1, 0)
    assert outcome.seconds < 5


def test_a_slow_drip_longer_than_the_timeout_is_a_timeout_not_a_hang() -> None:
    """The timeout bounds a whole request: a server that sends a byte now and then, each
    within the read timeout, must not hold a request (and a batch slot) for ever."""
    with FakeOpenAI(faults=always("drip"), drip_seconds=3.0) as fake:
        outcome = summarize(TEXT, settings(fake.base_url, attempts=2, timeout=0.5))
    error = outcome.error
    assert isinstance(error, ProviderUnavailableError), outcome
    assert "timed out after 2 attempt(s)" in error.message
    assert error.usage is not None and error.usage.requests == 2
    assert outcome.seconds < 2.5


def test_a_retry_after_beyond_the_cap_is_capped_and_really_waited() -> None:
    """The one test that sleeps: a server asking for 10 minutes gets the policy's cap."""
    with FakeOpenAI(faults=["429"], retry_after=600) as fake:
        capped = RetryPolicy(max_attempts=2, retry_after_cap=0.3)
        config = dataclasses.replace(settings(fake.base_url), retry=capped)
        outcome = summarize(TEXT, config)
    assert outcome.summary is not None
    assert outcome.summary.provenance.usage.transport_retries == 1
    assert 0.3 <= outcome.seconds < 5


# -- the command line: one line, the documented exit code, never a traceback -----------------


@pytest.mark.parametrize(
    ("fault", "code", "kind"),
    [
        ("503", EXIT_PROVIDER, "ProviderUnavailableError"),
        ("429", EXIT_PROVIDER, "RateLimitError"),
        ("invalid_json", EXIT_PROVIDER, "ProviderError"),
        ("reset", EXIT_PROVIDER, "ProviderUnavailableError"),
        ("schema_invalid", EXIT_OUTPUT, "ValidationExhaustedError"),
        ("length", EXIT_OUTPUT, "TruncatedOutputError"),
    ],
)
def test_cli_exit_codes_and_one_error_line(
    fault: str, code: int, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RetryPolicy, "wait_for", lambda _self, _attempt, _exc: 0.0)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("SUMMARIZER_TIMEOUT", "5")
    with FakeOpenAI(faults=always(fault), retry_after=0.0) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        result = CliRunner().invoke(app, ["summarize", "-", "--format", "json"], input=TEXT)
    assert result.exit_code == code, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and errors[0].startswith(f"error ({kind}): standard input:")
    assert "Traceback" not in result.output and result.stdout == ""
