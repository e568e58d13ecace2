"""The batch throttle: rpm/tpm buckets, 429 pauses, adaptive concurrency (simulated clock)."""

from __future__ import annotations

import asyncio

import httpx2
import openai

from summarizer.batch import Throttle


class Clock:
    """Simulated time: ``sleep`` advances it instead of waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _429(retry_after: str | None = None) -> openai.RateLimitError:
    headers = {"retry-after": retry_after} if retry_after else {}
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx2.Response(429, headers=headers, request=request)
    return openai.RateLimitError("rate limited", response=response, body=None)


def test_rpm_spreads_requests_over_the_minute() -> None:
    clock = Clock()
    throttle = Throttle(4, rpm=60, clock=clock, sleep=clock.sleep)

    async def main() -> None:
        for _ in range(40):
            await throttle.acquire(0)

    asyncio.run(main())
    # 10 s of burst at 1 request/s, then one per second: 40 requests need ~30 s.
    assert 29.0 <= clock.now <= 31.0


def test_tpm_is_corrected_by_real_usage() -> None:
    clock = Clock()
    throttle = Throttle(4, tpm=6000, clock=clock, sleep=clock.sleep)

    async def main(used: int) -> None:
        for _ in range(20):
            await throttle.acquire(1000)
            throttle.release(1000, used, None)

    asyncio.run(main(100))  # the estimate was 10x too high: only the 100 used must refill
    assert 18.0 <= clock.now <= 20.0
    clock.now = 1000.0
    asyncio.run(main(1000))  # 20k tokens at 100/s with 1k of burst: about 190 s
    assert 180.0 <= clock.now - 1000.0 <= 200.0


def test_429_pauses_everyone_for_retry_after_and_halves_concurrency() -> None:
    clock = Clock()
    throttle = Throttle(16, clock=clock, sleep=clock.sleep)
    throttle.release(10, None, _429("7"))
    throttle.release(10, None, _429("7"))  # same pause: no second halving
    assert throttle.limit == 8 and throttle.rate_limited == 2
    asyncio.run(throttle.acquire(10))
    assert clock.now == 7.0
    throttle.release(10, None, _429())  # no Retry-After: a default pause, a new halving
    assert throttle.limit == 4


def test_concurrency_grows_back_after_successes() -> None:
    throttle = Throttle(8)
    throttle.release(1, None, _429("0"))
    assert throttle.limit == 4
    for _ in range(4 + 5 + 6 + 7):
        throttle.release(1, 1, None)
    assert throttle.limit == 8
    for _ in range(50):
        throttle.release(1, 1, None)
    assert throttle.limit == 8  # never above --concurrency


def test_article_slots_bound_the_articles_in_flight() -> None:
    throttle = Throttle(3)
    peak = 0

    async def article() -> None:
        nonlocal peak
        async with throttle.article():
            peak = max(peak, throttle.in_flight)
            await asyncio.sleep(0.01)

    async def main() -> None:
        await asyncio.gather(*(article() for _ in range(20)))

    asyncio.run(main())
    assert peak == 3 and throttle.in_flight == 0


def test_other_errors_do_not_slow_down() -> None:
    throttle = Throttle(8)
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    throttle.release(1, None, openai.APITimeoutError(request))
    assert throttle.limit == 8
