"""The answer cache seam: model answers already received, by request.

What keeps a batch rerun from paying twice: an article killed with some of its questions
answered is summarized again on the rerun, and those questions are answered from the cache
instead of being sent again. The library has no cache (every request is sent); the batch
runner gives its store's (:class:`summarizer.batch._store.StoreAnswers`). The cache is a
:class:`~summarizer._model.Model` around the one that sends (:class:`CachingModel`): asked
before sending, told after the answer arrived; nothing here raises into the SDK.
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from typing import Any, Protocol

from summarizer._model import Billing, Meter, Model, Reply, bill, completion_of

__all__ = [
    "ANSWER_CACHE",
    "AnswerCache",
    "CachingModel",
    "request_body",
    "request_bytes",
    "request_key",
]


class AnswerCache(Protocol):
    """``get`` gives the key of this asking of a request and the chat-completion JSON stored
    under it (None when there is none); ``put`` stores the answer under that key as soon as it
    arrived and returns once it is durable, so a process killed a moment later still has it.
    A request is the keyword arguments of ``chat.completions.create`` (a re-ask carries the
    bad answer: another request). The n-th asking of the same request in a run is its own
    key: a re-ask identical to the one before is sent again, as without a cache, and a rerun
    meets the answers of the killed run in the order they came."""

    def get(self, request: dict[str, Any]) -> tuple[str, str | None]: ...

    async def put(self, key: str, answer: str) -> None: ...


ANSWER_CACHE: ContextVar[AnswerCache | None] = ContextVar("summarizer_answer_cache", default=None)
"""The cache of a :class:`~summarizer.client.ModelClient` built without one: the batch runner
sets it for its night (its clients are made by :class:`~summarizer.pipeline.Summarizer`, which
takes no cache). Unset, as in the library, every request is sent."""

_NOT_BODY = frozenset({"extra_headers", "extra_query", "timeout"})


_FIRST = ("messages", "model")


def request_body(request: dict[str, Any]) -> dict[str, Any]:
    """The JSON body the ``openai`` SDK sends for ``request``: every field sent, in the SDK's
    order (the messages, the model, the others by name), ``extra_body`` merged last as the
    SDK merges it; never a header, so never the API key."""
    body = {k: request[k] for k in _FIRST if k in request}
    for name in sorted(request):
        if name not in _NOT_BODY and name not in _FIRST and name != "extra_body":
            body[name] = request[name]
    body.update(request.get("extra_body") or {})
    return body


def request_bytes(request: dict[str, Any]) -> bytes:
    """:func:`request_body` as the SDK serializes it (the same bytes: compact, UTF-8)."""
    body = request_body(request)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def request_key(request: dict[str, Any], salt: str, asking: int = 0) -> str:
    """sha256 of the canonical body of ``request`` (:func:`request_body`), of ``salt`` (the
    run fingerprint: another prompt, pack or rule never meets this run's answers) and of
    ``asking``, how many times the run asked this same request before."""
    body = request_body(request)
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{salt}\0{asking}\0{canonical}".encode()).hexdigest()


class CachingModel(Model):
    """``model`` with ``cache`` in front: a request whose answer the cache holds is answered
    from it, anything else is asked of ``model`` and its answer stored once it arrived.

    One cache for every answer kept by request: a batch store's answers of earlier runs, the
    Batch API's (:class:`summarizer.batch._openai_batch.BatchAnswers`) and an evaluation's
    replays. A kept answer comes back billed ``hit``: ``earlier`` (by the run that received
    it: nothing counted now), ``batch`` (a Batch API answer, counted as a request at the
    batch price) or ``online`` (counted as the request it stands for: an evaluation's replay
    measures the requests and tokens of the run it replays)."""

    def __init__(self, model: Model, cache: AnswerCache, *, hit: Billing = "earlier") -> None:
        self.model, self.cache, self.hit = model, cache, hit

    async def request(self, request: dict[str, Any], meter: Meter) -> Reply:
        key, stored = self.cache.get(request)
        if stored is not None:
            completion = completion_of(json.loads(stored))
            if self.hit != "earlier":
                meter.usage.requests += 1
                bill(meter, completion)
            return Reply(completion, self.hit)
        reply = await self.model.request(request, meter)
        # A store that cannot take it (disk full) raises its error: the night stops.
        await self.cache.put(key, reply.completion.to_json(indent=None))
        return reply

    async def aclose(self) -> None:
        await self.model.aclose()
