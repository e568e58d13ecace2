"""Keeping a night inside the provider's limits: rpm, tpm and adaptive concurrency.

:class:`Throttle` is the :class:`~summarizer.client.RequestGate` of a batch run. Every HTTP
request (retries included) waits for a request token and for its estimated tokens; the estimate
is corrected by the real usage when the answer arrives. A 429 pauses *every* request for the
server's ``Retry-After`` (not only the one that got it, which the retry policy already delays)
and halves the number of articles in flight; each run of successes as long as the current
limit grows it back by one (AIMD, as TCP does), up to ``--concurrency``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import openai

from summarizer.retrying import retry_after_seconds

__all__ = ["Throttle"]

_DEFAULT_PAUSE = 1.0
_BURST_SECONDS = 10.0


class _Bucket:
    """A token bucket refilled at ``per_minute / 60`` per second, holding 10 s of burst."""

    def __init__(self, per_minute: float, clock: Callable[[], float]) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * _BURST_SECONDS)
        self.level = self.capacity
        self._clock = clock
        self._at = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.level = min(self.capacity, self.level + (now - self._at) * self.rate)
        self._at = now

    def wait_for(self, amount: float) -> float:
        """Take ``amount`` and return 0, or return the seconds to wait before asking again.

        A request bigger than the whole bucket goes through when the bucket is full (and
        leaves it in debt), otherwise it could never be sent.
        """
        self._refill()
        if self.level >= min(amount, self.capacity):
            self.level -= amount
            return 0.0
        return (min(amount, self.capacity) - self.level) / self.rate

    def give_back(self, amount: float) -> None:
        self.level = min(self.capacity, self.level + amount)


class Throttle:
    """Admission of articles (adaptive concurrency) and requests (rpm, tpm, 429 pauses)."""

    def __init__(
        self,
        concurrency: int,
        *,
        rpm: float | None = None,
        tpm: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.max_concurrency = max(1, concurrency)
        self.limit = self.max_concurrency
        self.in_flight = 0
        self.rate_limited = 0
        self.lowest_limit = self.limit
        self._clock, self._sleep = clock, sleep
        self._requests = _Bucket(rpm, clock) if rpm else None
        self._tokens = _Bucket(tpm, clock) if tpm else None
        self._pause_until = 0.0
        self._streak = 0
        self._changed = asyncio.Event()

    @asynccontextmanager
    async def article(self) -> AsyncIterator[None]:
        """Hold one of the ``limit`` article slots while an article is summarized."""
        while self.in_flight >= self.limit:
            self._changed.clear()
            await self._changed.wait()
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._changed.set()

    async def acquire(self, estimate: int) -> None:
        for bucket, amount in ((self._requests, 1.0), (self._tokens, float(estimate))):
            while True:
                pause = self._pause_until - self._clock()
                if pause > 0:
                    await self._sleep(pause)
                    continue
                wait = 0.0 if bucket is None else bucket.wait_for(amount)
                if wait <= 0:
                    break
                await self._sleep(wait)

    def release(self, estimate: int, used: int | None, error: BaseException | None) -> None:
        if self._tokens is not None and used is not None:
            self._tokens.give_back(estimate - used)  # negative when the estimate was low
        if _is_rate_limit(error):
            self._on_rate_limit(error)
        elif error is None:
            self._streak += 1
            if self._streak >= self.limit and self.limit < self.max_concurrency:
                self.limit += 1
                self._streak = 0
                self._changed.set()

    def _on_rate_limit(self, error: BaseException | None) -> None:
        self.rate_limited += 1
        self._streak = 0
        now = self._clock()
        hinted = retry_after_seconds(error) if error is not None else None
        already_paused = self._pause_until > now
        self._pause_until = max(self._pause_until, now + (hinted or _DEFAULT_PAUSE))
        if not already_paused:  # one halving per pause, not one per request in flight
            self.limit = max(1, self.limit // 2)
            self.lowest_limit = min(self.lowest_limit, self.limit)


def _is_rate_limit(error: BaseException | None) -> bool:
    return isinstance(error, openai.APIStatusError) and error.status_code == 429
