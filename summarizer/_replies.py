"""Pass 2b, replies: which statements answer another source's, and how (the stance).

A parser cannot tell an answer from a claim of one's own, and a stance phrase of the packs
("dément", "a critiqué") marks only some answers: most responses in our gold dispute with no
such phrase. Asked to label statements one by one, the 1.5B model called most of them
responses. Here it sees both sides: each statement that no stance phrase settles, beside
the earlier statement of another source it most likely answers
(:func:`summarizer._grammar.answered`: the one it names, else one sharing a word with it,
else the nearest), and says whether it answers it and how, for up to :data:`GROUP` pairs of
one article part in one question, by id. An answer the model is unsure of (its probability
under :data:`THRESHOLD`, when the endpoint returns log-probabilities) leaves a claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

from pydantic import BaseModel

from summarizer import _by_id
from summarizer._claims import Draft, Reply, Statements, said
from summarizer._document import Document, as_data, one_line
from summarizer._grammar import answered
from summarizer._parallel import Parallel
from summarizer.client import Meter, ModelClient
from summarizer.grounding import Sentence
from summarizer.models import Stance

__all__ = ["GROUP", "THRESHOLD", "ReplyAnswer", "apply", "ask", "messages", "pairs"]

GROUP = 6
"""Pairs asked about in one question at most: both statements of each are in the prompt."""
THRESHOLD = 0.5
"""A reply the model gives a lower probability than this is not taken: set before any
measurement and kept, since on the tune half of our gold the model's reply probabilities do
not separate responses from claims (EVAL.md); sweeping it would ask new evidence questions."""


class ReplyAnswer(BaseModel):
    """What the model says of one pair: does the later statement answer the earlier one."""

    answers: Literal["no", "denies", "disputes", "qualifies", "deflects", "supports"]


@dataclass(frozen=True)
class _Pair:
    response: Draft
    earlier: Draft

    @property
    def sentence(self) -> int:
        return self.response.sentence


def pairs(doc: Document, statements: Statements) -> list[_Pair]:
    """Each statement no stance phrase made a response, with the earlier statement of another
    source it most likely answers (none for the article's first speaker)."""
    out = []
    for d in statements.claims:
        earlier = [c for c in statements.drafts if c.sentence < d.sentence]
        found = answered(doc.text, said(doc, d), [said(doc, c) for c in earlier])
        if found is not None:
            out.append(_Pair(d, earlier[found]))
    return out


def _id(pair: _Pair) -> str:
    return f"R{pair.response.key}"


def _row(d: Draft) -> dict[str, object]:
    return {
        "sentence": d.sentence,
        "speaker": d.answer.speaker,
        "content": as_data(one_line(d.quote.text)[:300]),
    }


def messages(doc: Document, chunk: list[Sentence], group: list[_Pair]) -> list[dict[str, str]]:
    rows = [{"id": _id(p), "a": _row(p.earlier), "b": _row(p.response)} for p in group]
    return _by_id.messages(doc, chunk, "replies.user", pairs=rows)


async def ask(
    client: ModelClient,
    doc: Document,
    chunks: list[list[Sentence]],
    statements: Statements,
    meter: Meter,
    parallel: Parallel,
) -> dict[int, Reply]:
    """The model's reading of each pair, by the later statement's key."""
    confidence: dict[str, float] = {}
    answered_pairs = await _by_id.ask(
        client, doc, chunks, pairs(doc, statements), ident=_id, name="Replies",
        item=ReplyAnswer, render=partial(messages, doc), size=GROUP, item_tokens=12,
        meter=meter, parallel=parallel, confidence=confidence,
    )  # fmt: skip
    return {
        p.response.key: apply(p.earlier.key, answer, confidence.get(f"{_id(p)}.answers"))
        for p, answer in answered_pairs
    }


def apply(target: int, answer: ReplyAnswer, probability: float | None) -> Reply:
    """The model's answer as a reply: an answer it is unsure of is no reply."""
    unsure = probability is not None and probability < THRESHOLD
    stance = None if answer.answers == "no" or unsure else Stance(answer.answers)
    return Reply(target, stance, probability)
