"""Transport retries: the budget for a provider that failed, separate from validation re-asks.

A request is retried on 408/409/429/5xx, timeouts, connection errors and malformed responses
(a body that is not JSON, cut mid-object, or with no choices: the provider failed, the model
said nothing we could re-ask about), never on 400/401/403/404/422. ``Retry-After`` and
``retry-after-ms`` are honoured (capped), otherwise the wait is exponential with full jitter.
The policy is a plain value; each request is run by a tenacity ``AsyncRetrying`` made from
it (our stop, wait and retry predicates), whose injectable ``sleep`` lets tests wait for
nothing.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

__all__ = ["MalformedResponseError", "RetryPolicy", "is_retryable", "retry_after_seconds"]

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


class MalformedResponseError(Exception):
    """A 200 response that carries no usable answer (internal; translated at the boundary)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How many transport attempts to make and how long to wait between them."""

    max_attempts: int = 4
    initial_wait: float = 1.0
    max_wait: float = 30.0
    retry_after_cap: float = 60.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    rng: Callable[[], float] = field(default=random.random, repr=False)

    def wait_for(self, attempt: int, exc: BaseException) -> float:
        """Seconds to wait after failed ``attempt`` (1-based)."""
        hinted = retry_after_seconds(exc)
        if hinted is not None:
            return min(max(hinted, 0.0), self.retry_after_cap)
        ceiling = min(self.max_wait, self.initial_wait * 2.0 ** (attempt - 1))
        return float(ceiling * self.rng())

    def retrying(
        self, on_retry: Callable[[int, BaseException, float], None] | None = None
    ) -> AsyncRetrying:
        """The tenacity controller for one request (made per request: it holds its state)."""

        def before_sleep(state: RetryCallState) -> None:
            if on_retry is not None and state.next_action is not None:
                on_retry(state.attempt_number, _failure(state), state.next_action.sleep)

        return AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(is_retryable),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )

    def _wait(self, state: RetryCallState) -> float:
        return self.wait_for(state.attempt_number, _failure(state))

    async def run(
        self,
        call: Callable[[], Awaitable[T]],
        on_retry: Callable[[int, BaseException, float], None] | None = None,
    ) -> T:
        """Run ``call`` until it succeeds, fails for good, or the attempts are spent.

        The last exception is re-raised unchanged, with ``attempts`` set on it, so the caller
        can translate it; ``on_retry(attempt, exc, wait)`` is told about each retry. A
        ``BaseException`` (a cancellation, a deferred batch question) is never retried.
        """
        attempts = 0

        async def attempt() -> T:
            nonlocal attempts
            attempts += 1
            try:
                return await call()
            except Exception as exc:
                exc.attempts = attempts  # type: ignore[attr-defined]
                raise

        result: T = await self.retrying(on_retry)(attempt)
        return result


def _failure(state: RetryCallState) -> BaseException:
    """The exception of the attempt that just failed (tenacity asks only after a failure)."""
    exc = state.outcome.exception() if state.outcome is not None else None
    if exc is None:  # pragma: no cover - tenacity retries on exceptions only here
        raise RuntimeError("a retry was asked for an attempt that did not fail")
    return exc


def is_retryable(exc: BaseException) -> bool:
    """Whether another attempt of the same request may succeed."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRYABLE_STATUS
    # The SDK wraps timeouts and transport failures (resets, refusals) in these two, and lets
    # a body that is not JSON through as a JSONDecodeError.
    return isinstance(
        exc,
        (
            openai.APITimeoutError,
            openai.APIConnectionError,
            json.JSONDecodeError,
            MalformedResponseError,
        ),
    )


def retry_after_seconds(exc: BaseException) -> float | None:
    """The server's requested wait, from ``retry-after-ms`` or ``Retry-After`` (secs or date)."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    ms = _finite(headers.get("retry-after-ms"))
    if ms is not None:
        return ms / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _finite(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _finite(value: str | None) -> float | None:
    """A number from a header, or None: "nan" would make asyncio.sleep wait forever."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
