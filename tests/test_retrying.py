"""RetryPolicy without a server: what is retried, how long it waits, when it gives up."""

from __future__ import annotations

import asyncio
import email.utils
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summarizer.retrying import RetryPolicy, is_retryable, retry_after_seconds

URL = "http://127.0.0.1/v1/chat/completions"


def status_error(status: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    request = httpx2.Request("POST", URL)
    response = httpx2.Response(status, headers=headers or {}, request=request)
    return openai.APIStatusError(f"HTTP {status}", response=response, body=None)


def recording_policy(**options: Any) -> tuple[RetryPolicy, list[float]]:
    """A policy whose sleep records the wait instead of sleeping."""
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    return RetryPolicy(sleep=record, **options), waits


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retryable(status: int) -> None:
    assert is_retryable(status_error(status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_refusals_are_not_retryable(status: int) -> None:
    assert not is_retryable(status_error(status))


def test_transport_failures_are_retryable_other_errors_are_not() -> None:
    request = httpx2.Request("POST", URL)
    assert is_retryable(openai.APITimeoutError(request))
    assert is_retryable(openai.APIConnectionError(request=request))
    assert not is_retryable(ValueError("a bug, not the network"))


def _http_date(offset: timedelta) -> str:
    return email.utils.format_datetime(datetime.now(UTC) + offset, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"retry-after-ms": "soon", "Retry-After": "9"}, 9.0),
        ({"Retry-After": _http_date(timedelta(hours=-1))}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
    ids=["seconds", "fraction", "ms", "ms-wins", "bad-ms", "past-date", "garbage", "none"],
)
def test_retry_after_seconds(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(status_error(429, headers)) == expected


def test_retry_after_http_date_in_the_future() -> None:
    wait = retry_after_seconds(
        status_error(503, {"Retry-After": _http_date(timedelta(seconds=30))})
    )
    assert wait is not None and 28 <= wait <= 30


def test_retry_after_needs_a_response() -> None:
    assert retry_after_seconds(ValueError("no response")) is None


def test_server_hint_is_capped_and_never_negative() -> None:
    policy = RetryPolicy(retry_after_cap=60.0)
    assert policy.wait_for(1, status_error(429, {"Retry-After": "999"})) == 60.0
    assert policy.wait_for(1, status_error(429, {"Retry-After": "-5"})) == 0.0


@pytest.mark.parametrize("header", ["Retry-After", "retry-after-ms"])
def test_a_nan_hint_still_gives_a_finite_wait(header: str) -> None:
    policy = RetryPolicy(retry_after_cap=60.0)
    wait = policy.wait_for(1, status_error(429, {header: "nan"}))
    assert 0.0 <= wait <= 60.0


def test_backoff_doubles_up_to_max_wait() -> None:
    policy = RetryPolicy(initial_wait=1.0, max_wait=10.0, rng=lambda: 1.0)
    waits = [policy.wait_for(n, status_error(503)) for n in range(1, 7)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_backoff_is_full_jitter() -> None:
    policy = RetryPolicy(initial_wait=1.0, max_wait=10.0, rng=lambda: 0.25)
    assert policy.wait_for(3, status_error(503)) == 1.0  # ceiling 4 s, times 0.25


def test_non_retryable_error_is_raised_at_once_with_attempts() -> None:
    policy, waits = recording_policy()
    calls = 0

    async def refuse() -> str:
        nonlocal calls
        calls += 1
        raise status_error(400)

    with pytest.raises(openai.APIStatusError) as caught:
        asyncio.run(policy.run(refuse))
    assert calls == 1 and waits == []
    assert caught.value.attempts == 1  # type: ignore[attr-defined]


def test_on_retry_is_told_about_each_retry() -> None:
    policy, waits = recording_policy(max_attempts=3, rng=lambda: 1.0)
    told: list[tuple[int, int, float]] = []
    outcomes = [status_error(503), status_error(429, {"Retry-After": "3"})]

    async def flaky() -> str:
        if outcomes:
            raise outcomes.pop(0)
        return "ok"

    def on_retry(attempt: int, exc: BaseException, wait: float) -> None:
        assert isinstance(exc, openai.APIStatusError)
        told.append((attempt, exc.status_code, wait))

    assert asyncio.run(policy.run(flaky, on_retry)) == "ok"
    assert told == [(1, 503, 1.0), (2, 429, 3.0)]
    assert waits == [1.0, 3.0]


@settings(max_examples=150, deadline=None)
@given(
    max_attempts=st.integers(min_value=1, max_value=6),
    outcomes=st.lists(st.sampled_from([429, 500, 200]), min_size=6, max_size=6),
)
def test_attempts_are_bounded_and_success_is_found(max_attempts: int, outcomes: list[int]) -> None:
    policy, waits = recording_policy(max_attempts=max_attempts)
    calls = 0

    async def call() -> int:
        nonlocal calls
        status = outcomes[calls]
        calls += 1
        if status != 200:
            raise status_error(status)
        return status

    within = outcomes[:max_attempts]
    try:
        result = asyncio.run(policy.run(call))
    except openai.APIStatusError as exc:
        assert 200 not in within
        assert calls == max_attempts
        assert exc.status_code == within[-1]
        assert exc.attempts == calls  # type: ignore[attr-defined]
    else:
        assert result == 200
        assert calls == within.index(200) + 1
    assert calls <= max_attempts
    assert len(waits) == calls - 1
    assert all(0 <= w <= policy.max_wait for w in waits)
