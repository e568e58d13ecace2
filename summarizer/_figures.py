"""Pass 2b, figures: do the headline's figure and the body's count the same group?

The rule (:mod:`summarizer._numbers`) proposes the headline figures the body does not confirm,
each against a body figure of the same noun said in a similar context. What a rule cannot
tell is whether the two count one group: "2 000 soldats … envoyés dans la région de Koursk"
and "plusieurs milliers de soldats … dans la région de Koursk" do; "environ 10 000 soldats …
déployés en Russie" is the whole, another group. The model is asked that for every proposed
pair of the article, several in one question by id (as the labels are); a pair it says counts
two groups is dropped, the others become inconsistencies with basis ``model+cue``
(:func:`summarizer._happenings.inconsistencies`). An article with no proposal costs nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Literal

from pydantic import BaseModel

from summarizer import _by_id, _numbers
from summarizer._document import Document, as_data, one_line
from summarizer._numbers import NumberConflict
from summarizer._parallel import Parallel
from summarizer.client import Meter, ModelClient
from summarizer.grounding import Sentence
from summarizer.models import Span

__all__ = ["GROUP", "Figures", "Pair", "SameGroup", "ask", "messages", "proposed"]

GROUP = 6
"""Pairs asked about in one question at most."""
_AROUND = 10
"""Words shown each side of a figure, inside its sentence: enough to tell place and time."""

_WORD = re.compile(r"\S+")

Figures = list[tuple[NumberConflict, bool]]
"""Each proposed pair and whether the model says both figures count the same group."""


class SameGroup(BaseModel):
    """What the model says of one pair of figures."""

    same_group: Literal["yes", "no"]


@dataclass(frozen=True)
class Pair:
    """A proposed pair, numbered for the question; ``sentence`` is the body figure's (the
    article part it is asked with)."""

    key: int
    conflict: NumberConflict
    sentence: int


def proposed(doc: Document) -> list[Pair]:
    """The rule's pairs of the article, each pair of figures once (the body may repeat one)."""
    out: list[Pair] = []
    for conflict in _numbers.propose(doc.text, doc.language):
        if any(p.conflict.why == conflict.why for p in out):
            continue
        out.append(Pair(len(out) + 1, conflict, doc.sentence_at(conflict.spans[1].start)))
    return out


def _id(pair: Pair) -> str:
    return f"F{pair.key}"


def _around(doc: Document, span: Span) -> str:
    """The figure with up to :data:`_AROUND` words each side, inside its sentence, as written."""
    sentence = doc.sentences[doc.sentence_at(span.start) - 1]
    starts = [m.start() for m in _WORD.finditer(doc.text, sentence.start, span.start)]
    ends = [m.end() for m in _WORD.finditer(doc.text, span.end, sentence.end)]
    start = starts[-_AROUND] if len(starts) >= _AROUND else sentence.start
    end = ends[_AROUND - 1] if len(ends) >= _AROUND else sentence.end
    return one_line(doc.text[start:end])


def messages(doc: Document, chunk: list[Sentence], group: list[Pair]) -> list[dict[str, str]]:
    rows = [
        {
            "id": _id(p),
            "headline": as_data(_around(doc, p.conflict.spans[0])),
            "body": as_data(_around(doc, p.conflict.spans[1])),
        }
        for p in group
    ]
    return _by_id.messages(doc, chunk, "figures.user", pairs=rows)


async def ask(
    client: ModelClient,
    doc: Document,
    chunks: list[list[Sentence]],
    meter: Meter,
    parallel: Parallel,
) -> Figures:
    """Every proposed pair with the model's answer, in the rule's order."""
    pairs = proposed(doc)
    if not pairs:
        return []
    answered = await _by_id.ask(
        client, doc, chunks, pairs, ident=_id, name="FigurePairs", item=SameGroup,
        render=partial(messages, doc), size=GROUP, item_tokens=12, meter=meter,
        parallel=parallel,
    )  # fmt: skip
    return [(p.conflict, a.same_group == "yes") for p, a in answered]
