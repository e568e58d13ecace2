"""Statements → claims and responses: who the sources are, which claim a response answers.

Pure rules over the attribution answers, shared by the evidence pass (it asks only about
claims) and by assembly. A response is linked to the nearest earlier claim of another
speaker; a claim with a denial or dispute phrase is a response; a response with nothing
before it to answer is a claim of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from summarizer._candidates import REPORTER, UNNAMED, Cue, find_cues
from summarizer._document import Document
from summarizer._grammar import Said, answered
from summarizer.grounding import quoted_segments
from summarizer.models import (
    AttributionAnswer,
    Basis,
    Source,
    SourceType,
    Span,
    Stance,
)

__all__ = [
    "Attributed",
    "Draft",
    "Reply",
    "Statements",
    "cues",
    "link",
    "said",
    "sentence_quote",
    "stance",
]

SourceKey = tuple[str, str | None]


@dataclass(frozen=True)
class Attributed:
    """What the attribution stage says of one statement: where it is and who says it how."""

    key: int
    """Numbers the article's statements from 1, in text order; answers refer to it."""
    sentence: int
    quote: Span
    answer: AttributionAnswer


@dataclass(frozen=True)
class Reply:
    """What the replies pass (:mod:`summarizer._replies`) says of a statement: whether it
    answers the earlier statement it was paired with, and how."""

    target: int
    """The key of the earlier statement."""
    stance: Stance | None
    """None: it does not answer it."""
    probability: float | None = None
    """How sure the model was, when the endpoint returns log-probabilities."""


@dataclass(eq=False)
class Draft:
    """One statement on its way to a claim or counterclaim."""

    key: int
    sentence: int
    answer: AttributionAnswer
    speaker: str
    """The id of its source."""
    quote: Span
    id: str = ""
    target: Draft | None = None
    promoted: bool = False
    reply: Reply | None = None
    """The replies pass's reading, when it made this statement a response."""


@dataclass
class Statements:
    sources: list[Source]
    drafts: list[Draft]
    """In sentence order."""
    claims: list[Draft]
    responses: list[Draft]
    statement_at: dict[int, Draft] = field(default_factory=dict)

    def telling(self, offset: int) -> list[Draft]:
        """The statements whose content holds ``offset`` (an event they tell), in order."""
        return [d for d in self.drafts if d.quote.start <= offset < d.quote.end]

    def window(self, draft: Draft, sentences: int) -> list[int]:
        """The claim's sentence and the next two, unless another speaker takes over."""
        out = [draft.sentence]
        for m in range(draft.sentence + 1, min(draft.sentence + 3, sentences) + 1):
            other = self.statement_at.get(m)
            if other is not None and other.speaker != draft.speaker:
                break
            out.append(m)
        return out


def link(
    doc: Document, attributions: list[Attributed], replies: Mapping[int, Reply] | None = None
) -> Statements:
    """The statements of ``attributions`` as sourced, linked and numbered drafts: a stance
    phrase of the packs makes a statement a response, and so does the replies pass."""
    statements = sorted(
        (a for a in attributions if a.answer.kind != "none"), key=lambda a: a.quote.start
    )
    by_key = _sources([a.answer for a in statements])
    drafts = [
        Draft(a.key, a.sentence, a.answer, by_key[_source_key(a.answer)].id, a.quote)
        for a in statements
    ]
    by_statement = {d.key: d for d in drafts}
    for d in drafts:
        if d.answer.kind == "claim" and _stance_cues(doc, d):
            d.promoted = True  # a denial or dispute phrase makes it a response
        elif (reply := (replies or {}).get(d.key)) is not None and reply.stance is not None:
            d.promoted, d.reply = True, reply
    claims = [d for d in drafts if d.answer.kind == "claim" and not d.promoted]
    for d in drafts:
        if d.answer.kind == "response" or d.promoted:
            answered_one = by_statement.get(d.reply.target) if d.reply is not None else None
            d.target = answered_one if answered_one in claims else _nearest_claim(doc, claims, d)
    responses = [d for d in drafts if d.target is not None]
    claims = [d for d in drafts if d not in responses]
    for prefix, group in (("c", claims), ("cc", responses)):
        for n, d in enumerate(group, 1):
            d.id = f"{prefix}{n}"
    return Statements(
        sources=list(by_key.values()),
        drafts=drafts,
        claims=claims,
        responses=responses,
        statement_at={d.sentence: d for d in reversed(drafts)},  # a sentence's first
    )


def cues(doc: Document, kind: str, sentence_ids: list[int]) -> list[Cue]:
    return find_cues(kind, doc.sentences, sentence_ids, doc.aligned)


def stance(doc: Document, draft: Draft) -> tuple[Stance, Basis, str | None]:
    """A response's stance: the model's if a cue confirms it, else the first cue's, else the
    model's (``disputes`` if it gave none). The model's is the replies pass's, which saw both
    statements, else the labels pass's."""
    model = draft.reply.stance if draft.reply is not None else draft.answer.stance
    found = cues(doc, "stance", [draft.sentence])
    labels = [Stance(c.label) for c in found]
    if model is not None and model in labels:
        return model, Basis.model_and_cue, None
    if labels:
        cue = doc.cut(found[0].start, found[0].end).text
        note = f"cue “{cue}”" + (f"; the model said {model.value}" if model else "")
        return labels[0], Basis.cue, note
    reply = draft.reply
    if reply is not None and reply.probability is not None:
        return (
            model or Stance.disputes,
            Basis.model,
            f"the model's probability {reply.probability:.2f}",
        )
    return model or Stance.disputes, Basis.model, None


def _stance_cues(doc: Document, draft: Draft) -> list[Cue]:
    return [
        c
        for c in cues(doc, "stance", [draft.sentence])
        if c.label in ("denies", "disputes", "deflects")
    ]


def sentence_quote(doc: Document, sentence_id: int) -> Span:
    """The longest quotation of the sentence, else the whole sentence: verbatim by
    construction."""
    s = doc.sentences[sentence_id - 1]
    quoted = quoted_segments(doc.text, s.start, s.end)
    if quoted:
        start, end = max(quoted, key=lambda q: q[1] - q[0])
        return doc.cut(start, end)
    return doc.cut(s.start, s.end)


def _nearest_claim(doc: Document, claims: list[Draft], response: Draft) -> Draft | None:
    """The claim a response answers (:func:`summarizer._grammar.answered`)."""
    earlier = [c for c in claims if c.sentence < response.sentence]
    found = answered(doc.text, said(doc, response), [said(doc, c) for c in earlier])
    return None if found is None else earlier[found]


def said(doc: Document, draft: Draft) -> Said:
    """The statement as :func:`summarizer._grammar.answered` reads it: its sentence, source."""
    s = doc.sentences[draft.sentence - 1]
    return Said(s.start, s.end, draft.speaker, draft.answer.speaker)


def _source_key(answer: AttributionAnswer) -> SourceKey:
    relay = answer.relayed_by
    return answer.speaker, relay if relay and relay != answer.speaker else None


def _sources(statements: list[AttributionAnswer]) -> dict[SourceKey, Source]:
    """Sources keyed by (name, relay), in order of first statement.

    "The Pentagon" quoted directly and "the Pentagon according to RIA Novosti" are two sources,
    the second with ``via`` set: the relay concerns those statements only.
    """
    types: dict[SourceKey, SourceType] = {}
    for a in statements:
        types.setdefault(_source_key(a), _speaker_type(a))
    for _name, relay in list(types):
        if relay is not None:
            types.setdefault((relay, None), SourceType.other_outlet)
    ids = {key: f"s{n}" for n, key in enumerate(types, 1)}
    return {
        (name, relay): Source(
            id=ids[(name, relay)],
            name=name,
            type=kind,
            via=ids[(relay, None)] if relay is not None else None,
        )
        for (name, relay), kind in types.items()
    }


def _speaker_type(answer: AttributionAnswer) -> SourceType:
    if answer.speaker == REPORTER:
        return SourceType.reporter
    if answer.speaker == UNNAMED:
        return (
            answer.speaker_type
            if answer.speaker_type.value.startswith("anonymous")
            else SourceType.anonymous_unspecified
        )
    return answer.speaker_type
