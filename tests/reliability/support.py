"""Helpers of the reliability suite: a pinned client, a request log that knows questions, runs
bounded in time.

Settings are built directly (not resolved from the environment) so that each article's
questions go one at a time and every count below is exact; the property test of the batch
uses the resolved defaults instead.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from summarizer import ArticleSummary, RetryPolicy, Summarizer, SummarizerError
from summarizer.config import Secret, Settings
from tests.fakes.fake_openai import FakeOpenAI, FakeRequest

KEY = "sk-test-reliability-not-a-real-key"
DEADLINE = 30.0  # no single run of the library may take longer than this

# What the pipeline does with each fault (the design under test):
TRANSPORT = (
    "429",
    "429ms",
    "500",
    "502",
    "503",
    "504",
    "408",
    "timeout",
    "reset",
    "invalid_json",
    "truncated_json",
    "empty_choices",
)
"""Retried on the transport budget (``RetryPolicy.max_attempts``): the provider failed."""
REASK = ("schema_invalid", "no_tool_call", "ungrounded")
"""Sent back to the model on the validation budget (``Settings.max_reasks``)."""
TERMINAL = ("length",)
"""Neither: a cut answer is an error at once (TruncatedOutputError)."""
HARMLESS = ("drip",)
"""A slow but complete answer within the timeout: nothing to retry."""


@dataclass
class Waits:
    """A ``RetryPolicy.sleep`` that records the waits instead of sleeping."""

    seconds: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def settings(
    base_url: str,
    *,
    attempts: int = 3,
    reasks: int = 2,
    timeout: float = 2.0,
    waits: Waits | None = None,
) -> Settings:
    return Settings(
        backend="openai",
        model="fake-model",
        base_url=base_url,
        api_key=Secret(KEY),
        mode="tools",
        timeout=timeout,
        max_reasks=reasks,
        retry=RetryPolicy(max_attempts=attempts, sleep=waits or Waits()),
    )


@dataclass
class Outcome:
    summary: ArticleSummary | None
    error: SummarizerError | None
    seconds: float


def summarize(text: str, config: Settings, *, deadline: float = DEADLINE) -> Outcome:
    """One article through the real pipeline; a typed error is returned, anything else (a
    traceback, a hang past ``deadline``) fails the test."""

    async def go() -> ArticleSummary:
        async with Summarizer(settings=config) as s:
            return await s.asummarize(text)

    started = time.monotonic()
    try:
        summary = asyncio.run(asyncio.wait_for(go(), deadline))
    except SummarizerError as exc:
        return Outcome(None, exc, time.monotonic() - started)
    return Outcome(summary, None, time.monotonic() - started)


@dataclass(frozen=True)
class Seen:
    index: int
    question: str
    """The answer model and the first two messages: the same for a retry and a re-ask."""
    body: str
    fault: str | None


class Schedule:
    """A fault picker for :class:`FakeOpenAI` that logs every request with its question."""

    def __init__(self, pick: Callable[[int, FakeRequest], str | None]) -> None:
        self._pick = pick
        self.seen: list[Seen] = []

    def __call__(self, index: int, request: FakeRequest) -> str | None:
        fault = self._pick(index, request)
        question = json.dumps([request.answer_model, request.messages[:2]], sort_keys=True)
        body = json.dumps(request.messages, sort_keys=True)
        self.seen.append(Seen(index, question, body, fault))
        return fault

    def questions(self) -> dict[str, list[Seen]]:
        out: dict[str, list[Seen]] = defaultdict(list)
        for seen in sorted(self.seen, key=lambda s: s.index):
            out[seen.question].append(seen)
        return dict(out)


def always(fault: str) -> Callable[[int, FakeRequest], str | None]:
    return lambda _i, _r: fault


def first_of(answer_model: str, fault: str) -> Callable[[int, FakeRequest], str | None]:
    """Spoil only the first request asking for ``answer_model``."""
    done: list[int] = []

    def pick(index: int, request: FakeRequest) -> str | None:
        if request.answer_model == answer_model and not done:
            done.append(index)
            return fault
        return None

    return pick


def settle(fake: FakeOpenAI, requests: int, timeout: float = 3.0) -> None:
    """Wait until the fake has logged ``requests`` (it logs a dripped answer after its last
    byte, which the client may read first)."""
    deadline = time.monotonic() + timeout
    while len(fake.log) < requests and time.monotonic() < deadline:
        time.sleep(0.01)


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (connect is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def usage_served(fake: FakeOpenAI) -> tuple[int, int]:
    served = fake.usage_served
    return served["prompt_tokens"], served["completion_tokens"]


def as_dict(value: Any) -> dict[str, Any]:
    return dict(value.model_dump()) if value is not None else {}
