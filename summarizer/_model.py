"""The model seam: one prepared request answered, whoever answers it.

In the spirit of pydantic-ai's ``Model``: :class:`~summarizer.client.ModelClient` turns an
answer model into a request (instructor's, :mod:`summarizer._structured`), runs the
validation re-asks and meters the article; a :class:`Model` only answers one request, the
keyword arguments of ``chat.completions.create``, with a chat completion. So the ways a
question is answered are swapped without touching the re-ask loop:

* :class:`~summarizer.client.OpenAIModel`, an OpenAI-compatible endpoint (the ``openai`` SDK
  under our retry policy), the default;
* :class:`~summarizer.batch._openai_batch.BatchModel`, the Batch API: the question queued for
  the next batch and its article deferred (raised by the model, above the SDK);
* :class:`~summarizer._answers.CachingModel`, answers kept by request in front of another
  model: an earlier run's, the Batch API's (in front of its ``BatchModel``), an evaluation's;
* :class:`FunctionModel`, a Python function, for tests.

How an answer was billed comes back with it in its :class:`Reply`, so the client attributes it
(the Batch API's discounted share, or an earlier run's answer) without any context variable.
"""

from __future__ import annotations

import inspect
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from openai.types.chat import ChatCompletion

from summarizer.models import Usage

__all__ = ["Billing", "FunctionModel", "Meter", "Model", "Reply", "bill", "completion_of"]

Billing: TypeAlias = Literal["online", "batch", "earlier"]


@dataclass
class Meter:
    """Usage of one article, summed over every request, retry and re-ask.

    ``batch`` is the share of ``usage`` that the Batch API answered, billed at its discount.
    ``reused_tokens`` are those of answers taken from an earlier run's (an
    :class:`~summarizer._answers.AnswerCache`): billed by that run, not by this one, but spent
    by the article against its token budget, so a rerun decides as the first run would have."""

    usage: Usage = field(default_factory=Usage)
    batch: Usage = field(default_factory=Usage)
    reused_requests: int = 0
    reused_tokens: int = 0
    started: float = field(default_factory=time.monotonic)
    warnings: list[str] = field(default_factory=list)

    def snapshot(self) -> Usage:
        return self.usage.model_copy(update={"seconds": round(time.monotonic() - self.started, 3)})


@dataclass(frozen=True)
class Reply:
    """A model's answer to one request, and how it was billed.

    ``online``: sent, and counted in the meter as it went (every attempt); ``batch``: answered
    by the Batch API, counted like a request sent, its tokens the article's discounted share;
    ``earlier``: an earlier run's answer, billed by that run (nothing counted now)."""

    completion: ChatCompletion
    billed: Billing = "online"


class Model(ABC):
    """What answers a prepared request: the seam below the re-ask loop."""

    @abstractmethod
    async def request(self, request: dict[str, Any], meter: Meter) -> Reply:
        """Answer ``request`` (the keyword arguments of ``chat.completions.create``).

        The requests sent and their tokens are counted in ``meter.usage`` as they happen, so
        an article that fails still reports what it spent. A failed request raises a
        :class:`~summarizer.exceptions.SummarizerError`; a ``BaseException`` (a cancellation,
        a question deferred to a batch) passes through everything above."""

    async def aclose(self) -> None:  # noqa: B027 - nothing to release by default
        """Release what the model holds (connections)."""


def bill(meter: Meter, completion: Any) -> None:
    """Count an answer's tokens: per attempt, since an answer retried away was billed too."""
    used = getattr(completion, "usage", None)
    if used is not None:
        meter.usage.prompt_tokens += used.prompt_tokens or 0
        meter.usage.completion_tokens += used.completion_tokens or 0


def completion_of(data: dict[str, Any]) -> ChatCompletion:
    """A chat completion from its JSON, built as leniently as the ``openai`` SDK builds it."""
    return ChatCompletion.construct(**data)


Answerer: TypeAlias = Callable[
    [dict[str, Any]], "ChatCompletion | dict[str, Any] | Awaitable[ChatCompletion | dict[str, Any]]"
]


class FunctionModel(Model):
    """A Python function answers: canned answers for tests, without an HTTP server.

    ``function(request)`` returns the chat completion (or its JSON as a dict), or an awaitable
    of it; what it raises is raised as it is (raise a
    :class:`~summarizer.exceptions.SummarizerError` to play a failed endpoint). Each call counts
    as one request sent, with its completion's tokens. ``requests`` keeps what was asked."""

    def __init__(self, function: Answerer) -> None:
        self.function = function
        self.requests: list[dict[str, Any]] = []

    async def request(self, request: dict[str, Any], meter: Meter) -> Reply:
        self.requests.append(request)
        meter.usage.requests += 1
        answer = self.function(request)
        if inspect.isawaitable(answer):
            answer = await answer
        completion = answer if isinstance(answer, ChatCompletion) else completion_of(answer)
        bill(meter, completion)
        return Reply(completion)
