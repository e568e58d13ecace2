"""Pass 1b, label: claim or response (with its stance) and commitment, for several statements
in one question.

The parse has said who makes each statement (:mod:`summarizer._statements`); what a parser
cannot tell is whether a statement asserts something or answers someone, and how firmly. The
model is asked that for up to :data:`GROUP` statements of one part of the article at once,
each by its id, in an answer whose keys are those ids: grammar-constrained decoding then gives
every id exactly once, in order. The article part is the same system message the overview and
evidence passes start with, so a server with prompt caching reads it once.
"""

from __future__ import annotations

from functools import partial
from typing import Literal

from pydantic import BaseModel

from summarizer import _by_id
from summarizer._document import Document, as_data, one_line
from summarizer._parallel import Parallel
from summarizer._statements import Statement
from summarizer.client import Meter, ModelClient
from summarizer.grounding import Sentence
from summarizer.models import AttributionAnswer, Commitment, Stance

__all__ = ["GROUP", "Label", "apply", "ask", "labels_model", "messages"]

GROUP = 8
"""Statements labelled in one question at most: the answer stays under 200 tokens."""


class Label(BaseModel):
    """What the model says of one statement."""

    kind: Literal["claim", "denies", "disputes", "qualifies", "deflects", "supports"]
    commitment: Commitment = Commitment.asserted


def labels_model(ids: list[str]) -> type[BaseModel]:
    """The answer for statements ``ids``: one required :class:`Label` per id."""
    return _by_id.model("StatementLabels", Label, ids)


def _id(s: Statement) -> str:
    return f"A{s.key}"


def messages(doc: Document, chunk: list[Sentence], group: list[Statement]) -> list[dict[str, str]]:
    rows = [
        {
            "id": _id(s),
            "sentence": s.sentence,
            "speaker": s.speaker or "?",
            "content": as_data(one_line(s.content.text)[:300]),
        }
        for s in group
    ]
    return _by_id.messages(doc, chunk, "labels.user", statements=rows)


async def ask(
    client: ModelClient,
    doc: Document,
    chunks: list[list[Sentence]],
    statements: list[Statement],
    meter: Meter,
    parallel: Parallel,
) -> dict[int, Label]:
    """The model's label of each statement, by statement key."""
    pairs = await _by_id.ask(
        client, doc, chunks, statements, ident=_id, name="StatementLabels", item=Label,
        render=partial(messages, doc), size=GROUP, item_tokens=24, meter=meter,
        parallel=parallel,
    )  # fmt: skip
    return {s.key: label for s, label in pairs}


def apply(statement: Statement, label: Label) -> AttributionAnswer:
    """The statement as an attribution answer: the parse's speaker, the model's labels.

    Every statement starts as a claim: the 1.5B model labelled 7 of the seed article's 9
    statements responses, 6 of them wrongly (Ryder's own estimate "disputes"), so a response
    is what a stance cue of the packs makes of a claim (:func:`summarizer._claims.link`), and
    the model's stance is kept beside it (``model+cue`` where they agree)."""
    assert statement.speaker is not None
    return AttributionAnswer.model_construct(
        speaker=statement.speaker,
        speaker_type=statement.speaker_type,
        relayed_by=statement.relayed_by,
        kind="claim",
        stance=None if label.kind == "claim" else Stance(label.kind),
        commitment=label.commitment,
    )
