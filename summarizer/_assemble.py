"""Last stage, assemble: the passes' answers → the grounded :class:`ArticleSummary`.

Pure: no model, no I/O. Given the same article and answers it builds the same summary, so a
test can call it with fixed answers. Every span is cut from the article by
:class:`~summarizer._document.Document`; every judgement carries its basis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from summarizer import _evidence, _happenings, _overview
from summarizer._claims import Attributed, Draft, Reply, link, stance
from summarizer._document import Document
from summarizer._figures import Figures
from summarizer._grammar import article
from summarizer._parse import has_parser
from summarizer.models import (
    ArticleMeta,
    ArticleSummary,
    Basis,
    Claim,
    Commitment,
    Counterclaim,
    OverviewAnswer,
    Provenance,
    SummarySentence,
)

__all__ = ["Answers", "assemble"]


@dataclass(frozen=True)
class Answers:
    """What the model passes answered for one article."""

    attributions: list[Attributed]
    """Every statement, as :func:`summarizer._attribution.ask` gives them."""
    overview: OverviewAnswer
    """Merged over the article's parts."""
    evidence: dict[int, _evidence.Judged] = field(default_factory=dict)
    """By statement key, for the claims no cue settles."""
    figures: Figures = field(default_factory=list)
    """The figures' rule's pairs with the model's verdict (:mod:`summarizer._figures`)."""
    replies: dict[int, Reply] = field(default_factory=dict)
    """By statement key: which earlier statement it answers, and how
    (:mod:`summarizer._replies`)."""


def _commitment(doc: Document, draft: Draft) -> dict[str, Any]:
    """A statement's commitment: the grammar's mark when it finds one (``cue``, or ``model+cue``
    when the model said the same); with a parser and no mark, ``asserted``; without a parser,
    the model's answer."""
    model = draft.answer.commitment
    mark = article(doc.text, doc.language).commitment(draft.quote.start, draft.quote.end)
    if mark is None and has_parser(doc.language):
        # The parse reads mood, negation and hedges; where it finds none the statement is
        # asserted. The 1.5B model's own commitment labels were right for half the held-out
        # statements (EVAL.md), the parse's "no mark" for 0.95 of them.
        note = (
            None
            if model is Commitment.asserted
            else f"no mark in the grammar; the model said {model.value}"
        )
        return {
            "commitment": Commitment.asserted,
            "commitment_basis": Basis.cue,
            "commitment_note": note,
        }
    if mark is None:
        return {"commitment": model}
    label = Commitment(mark.label)
    note = mark.note(doc.text) + ("" if label == model else f"; the model said {model.value}")
    return {
        "commitment": label,
        "commitment_basis": Basis.model_and_cue if label == model else Basis.cue,
        "commitment_cue": doc.cut(mark.start, mark.end),
        "commitment_note": note,
    }


def assemble(
    doc: Document, answers: Answers, meta: ArticleMeta, provenance: Provenance
) -> ArticleSummary:
    statements = link(doc, answers.attributions, answers.replies)
    at = statements.statement_at
    # With a parser the rules find the events and the model marks the key ones; without one,
    # or when the rules find none (a garbled text), the model's events are the article's.
    events = (
        _happenings.events(doc, statements, answers.overview) if has_parser(doc.language) else []
    )
    events = events or _overview.events(
        doc, answers.overview, lambda n: at[n].speaker if n in at else None
    )
    about: dict[int, list[str]] = {}  # by statement key: the events its content tells
    for n, event in events:
        inside = statements.telling(event.trigger.start)
        for d in inside or [d for d in statements.drafts if d.sentence == n]:
            about.setdefault(d.key, []).append(event.id)
    refs: dict[int, list[str]] = {}
    for d in statements.drafts:
        refs.setdefault(d.sentence, []).append(d.id)
    for n, event in events:
        refs.setdefault(n, []).append(event.id)
    claims = [
        Claim(
            id=d.id,
            speaker=d.speaker,
            quote=d.quote,
            **_commitment(doc, d),
            evidence=_evidence.apply(doc, statements, d, answers.evidence),
            about=about.get(d.key, []),
        )
        for d in statements.claims
    ]
    counterclaims = []
    for d in statements.responses:
        if d.target is None:  # pragma: no cover - a response is a draft with a target
            continue
        judged, basis, note = stance(doc, d)
        counterclaims.append(
            Counterclaim(
                id=d.id,
                target=d.target.id,
                speaker=d.speaker,
                quote=d.quote,
                stance=judged,
                stance_basis=basis,
                stance_note=note,
                **_commitment(doc, d),
                evidence=_evidence.apply(doc, statements, d, answers.evidence),
            )
        )
    inconsistencies = _happenings.inconsistencies(doc, answers.overview, answers.figures)
    summary = [
        SummarySentence(
            text=s.text,
            refs=list(dict.fromkeys(r for n in s.sentences for r in refs.get(n, []))),
        )
        for s in answers.overview.summary
    ]
    return ArticleSummary(
        article=meta,
        summary=summary,
        sources=statements.sources,
        events=[e for _n, e in events],
        claims=claims,
        counterclaims=counterclaims,
        inconsistencies=inconsistencies,
        provenance=provenance,
    )
