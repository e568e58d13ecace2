"""The answer cache seam: model answers already received, by request.

What keeps a batch rerun from paying twice: an article killed with some of its questions
answered is summarized again on the rerun, and those questions are answered from the cache
instead of being sent again. The library has no cache (every request is sent); the batch
runner gives its store's (:class:`summarizer.batch._store.StoreAnswers`). Nothing here raises
into the SDK: the client asks the cache before sending and tells it after the answer arrived.
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from typing import Any, Protocol

__all__ = ["ANSWER_CACHE", "AnswerCache", "request_key"]


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


def request_key(request: dict[str, Any], salt: str, asking: int = 0) -> str:
    """sha256 of the canonical body of ``request`` (every field sent, ``extra_body`` merged as
    the SDK merges it; never a header, so never the API key), of ``salt`` (the run
    fingerprint: another prompt, pack or rule never meets this run's answers) and of
    ``asking``, how many times the run asked this same request before."""
    body = {k: v for k, v in request.items() if k not in _NOT_BODY and k != "extra_body"}
    body.update(request.get("extra_body") or {})
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{salt}\0{asking}\0{canonical}".encode()).hexdigest()
