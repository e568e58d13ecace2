"""How the questions of one article are run: in order on one slot, side by side on several."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = [
    "SIBLING_FAILED",
    "Parallel",
    "all_or_nothing",
    "finish_in_flight",
    "in_order",
    "side_by_side",
]

SIBLING_FAILED = "summarizer: another question of the article failed"
"""The message of the cancellation of an article's questions when one of them failed: a request
already sent is then let finish and counted (:func:`finish_in_flight`), a stop of the night
(a cancellation without it) is not waited for."""

T = TypeVar("T")


class Parallel:
    """How many questions of one article may be in flight at once, shared by all its passes."""

    def __init__(self, limit: int) -> None:
        self.sequential = limit <= 1
        self._slots = asyncio.Semaphore(max(1, limit))

    async def bounded(self, call: Callable[[], Awaitable[T]]) -> T:
        async with self._slots:
            return await call()


async def in_order(calls: list[Callable[[], Awaitable[T]]], parallel: Parallel) -> list[T]:
    """Run ``calls`` within the article's limit, results in the order given.

    Sequentially they run one after another in order, which is what a single-slot llama.cpp
    server wants (each request reuses the previous one's prompt cache) and what cassettes
    recorded. The calls are factories, so a question is only created when it is asked.
    """
    if parallel.sequential:
        return [await call() for call in calls]
    return await all_or_nothing([parallel.bounded(call) for call in calls])


async def side_by_side(calls: list[Callable[[], Awaitable[Any]]], parallel: Parallel) -> list[Any]:
    """Run whole passes: in order when the article's questions run in order, else all at once
    (their questions share the article's slots, so the passes themselves take none)."""
    if parallel.sequential:
        return [await call() for call in calls]
    return await all_or_nothing([call() for call in calls])


async def all_or_nothing(calls: list[Awaitable[Any]]) -> list[Any]:
    """Results in order; the first failure cancels the others (the article has failed, and
    its remaining questions would only spend tokens) and is raised as it is. The requests they
    have in flight are let finish, so that what the server billed is counted."""
    if not calls:
        return []  # asyncio.wait refuses an empty set: an article with no statement
    tasks = [asyncio.ensure_future(c) for c in calls]
    why: str | None = SIBLING_FAILED
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except asyncio.CancelledError as exc:
        why = SIBLING_FAILED if SIBLING_FAILED in exc.args else None
        raise
    finally:
        for task in tasks:
            task.cancel(why)
        await asyncio.gather(*tasks, return_exceptions=True)
    failed = [t for t in tasks if not t.cancelled() and t.exception() is not None]
    if failed:
        raise failed[0].exception()  # type: ignore[misc]
    return [t.result() for t in tasks]


async def finish_in_flight(call: Awaitable[T], on_result: Callable[[T], None]) -> T:
    """Await one request and give its result to ``on_result`` (which counts its usage).

    When the article fails elsewhere meanwhile (cancelled with :data:`SIBLING_FAILED`), the
    request has reached the server, which answers and bills it: it is let finish (within its
    timeout) and counted before the cancellation goes on. Any other cancellation (the night
    stops) cancels the request at once."""
    task = asyncio.ensure_future(call)
    try:
        result = await asyncio.shield(task)
    except asyncio.CancelledError as exc:
        if SIBLING_FAILED not in exc.args:
            task.cancel()
            raise
        try:
            with contextlib.suppress(Exception):  # its failure is not the article's error
                on_result(await task)
        finally:
            task.cancel()  # cancelled again while waiting (the night stops): no more waiting
        raise
    on_result(result)
    return result
