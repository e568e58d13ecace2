"""Questions about several items of one article part at once, each by its id.

The labels and evidence passes ask the 1.5B model about up to a handful of statements in one
request: the article part is the system message the overview starts with (so a server with
prompt caching reads it once), the items are listed by id, and the answer model has one
required field per id, so grammar-constrained decoding gives every id exactly once, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel, create_model

from summarizer import prompts
from summarizer._chunking import by_part, chunk_of
from summarizer._document import Document
from summarizer._parallel import Parallel, in_order
from summarizer.client import Meter, ModelClient
from summarizer.grounding import Sentence

__all__ = ["ask", "messages", "model"]

_T = TypeVar("_T")


def model(name: str, item: type[BaseModel], ids: list[str]) -> type[BaseModel]:
    """The answer model ``name``: one required ``item`` per id of ``ids``."""
    fields: dict[str, object] = {i: (item, ...) for i in ids}
    return create_model(name, **fields)  # type: ignore[call-overload,no-any-return]


def messages(
    doc: Document, chunk: list[Sentence], template: str, **rows: list[dict[str, Any]]
) -> list[dict[str, str]]:
    """The part ``chunk`` as system message, then ``template`` rendered with the item rows."""
    return [
        doc.system_message(chunk),
        {"role": "user", "content": prompts.render(template, **rows)},
    ]


async def ask(
    client: ModelClient,
    doc: Document,
    chunks: list[list[Sentence]],
    items: Sequence[Any],
    *,
    ident: Callable[[Any], str],
    name: str,
    item: type[BaseModel],
    render: Callable[[list[Sentence], list[Any]], list[dict[str, str]]],
    size: int,
    item_tokens: int,
    meter: Meter,
    parallel: Parallel,
    confidence: dict[str, float] | None = None,
) -> list[tuple[Any, Any]]:
    """Each of ``items`` (which have a ``sentence``) with its answer, in order, at most
    ``size`` of one part a question; with ``confidence``, each label's probability under
    ``"<id>.<field>"`` (:meth:`summarizer.client.ModelClient.ask`)."""

    async def one(group: list[Any]) -> list[tuple[Any, Any]]:
        answer = await client.ask(
            model(name, item, [ident(x) for x in group]),
            render(chunk_of(chunks, group[0].sentence), group),
            meter=meter,
            context=doc.context,
            max_tokens=item_tokens * len(group) + 40,
            confidence=confidence,
        )
        return [(x, getattr(answer, ident(x))) for x in group]

    groups = by_part(chunks, items, size)
    return [
        pair for got in await in_order([partial(one, g) for g in groups], parallel) for pair in got
    ]
