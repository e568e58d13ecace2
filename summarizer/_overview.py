"""Pass 2, overview and events: a short summary, events and inconsistencies, by sentence.

One question per part of the article (see :mod:`summarizer._chunking`); the answers of
overlapping parts are merged. An event's trigger is cut from its sentence by our code and its
date resolved by :mod:`summarizer._dates`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from summarizer import prompts
from summarizer._dates import time_ref
from summarizer._document import Document
from summarizer._packs import pack
from summarizer._parallel import Parallel, in_order
from summarizer.client import Meter, ModelClient
from summarizer.grounding import Sentence
from summarizer.models import Event, OverviewAnswer

__all__ = ["ANSWER", "ask", "events", "merge", "messages"]

ANSWER = OverviewAnswer


def messages(doc: Document, chunk: list[Sentence]) -> list[dict[str, str]]:
    return [
        doc.system_message(chunk),
        {
            "role": "user",
            "content": prompts.render("overview.user", language_name=pack(doc.language).name),
        },
    ]


async def ask(
    client: ModelClient,
    doc: Document,
    chunks: list[list[Sentence]],
    meter: Meter,
    parallel: Parallel,
) -> OverviewAnswer:
    """The overview of the whole article: one question per part, merged."""

    async def one(chunk: list[Sentence]) -> OverviewAnswer:
        return await client.ask(
            ANSWER,
            messages(doc, chunk),
            meter=meter,
            context=doc.context,
            max_tokens=600,
            salvage=True,
        )

    return merge(await in_order([partial(one, chunk) for chunk in chunks], parallel))


def merge(answers: list[OverviewAnswer]) -> OverviewAnswer:
    """Merge the overviews of overlapping chunks; the first mention of an event wins."""
    if len(answers) == 1:
        return answers[0]
    found = {(e.sentence, e.trigger): e for a in reversed(answers) for e in a.events}
    return OverviewAnswer.model_construct(
        summary=[s for a in answers for s in a.summary][:6],
        events=sorted(found.values(), key=lambda e: e.sentence),
        inconsistencies=[i for a in answers for i in a.inconsistencies],
    )


def events(
    doc: Document, answer: OverviewAnswer, reporter: Callable[[int], str | None]
) -> list[tuple[int, Event]]:
    """The answer's events with their sentence numbers, triggers cut from the text;
    ``reporter(n)`` is the id of the source whose statement sentence ``n`` is, if any."""
    out: list[tuple[int, Event]] = []
    for e in answer.events:
        sentence = doc.sentences[e.sentence - 1]
        found = doc.aligned.find_words(e.trigger, sentence.start, sentence.end)
        if found is not None:  # a trigger cut at its length cap ends on a whole word
            found = (found[0], _word_end(doc.text, found[1], sentence.end))
        if found is None:  # pragma: no cover - checked by EventAnswer's validator
            continue
        event = Event(
            id=f"e{len(out) + 1}",
            what=e.what,
            trigger=doc.cut(*found),
            when=time_ref(e.when, doc.published),
            status=e.status,
            reported_by=reporter(e.sentence),
        )
        out.append((e.sentence, event))
    return out


def _word_end(text: str, end: int, limit: int) -> int:
    while end < limit and text[end].isalnum():
        end += 1
    return end
