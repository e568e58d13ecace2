"""Assembly is a pure step: fixed answers in, the grounded summary out, no model.

And the date of an event is resolved against the publication date without ever raising: an
impossible date ("le 29 février" in an article of 10 February 2024, whose last 29 February
before publication does not exist) is kept as written, unresolved, instead of failing an
article whose questions were already paid for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from summarizer import _parse
from summarizer._assemble import Answers, assemble
from summarizer._claims import Attributed, sentence_quote
from summarizer._dates import time_ref
from summarizer._document import Document
from summarizer._evidence import Judged
from summarizer.models import (
    ArticleMeta,
    AttributionAnswer,
    Basis,
    ClaimKind,
    EvidenceAnswer,
    EvidenceStatus,
    OverviewAnswer,
    Provenance,
    Shown,
    SourceType,
    Stance,
    Usage,
)

TEXT = (
    "Le ministre Paul Durand a déclaré que l'usine fermera le 29 février.\n"
    "Le syndicat a démenti cette annonce, une « pure propagande » selon lui.\n"
    "Paul Durand a affirmé que les salaires baisseront, sans fournir de preuve.\n"
    "Les ventes ont reculé de 10 % cette année."
)
PUBLISHED = dt.date(2024, 2, 10)


def _doc() -> Document:
    return Document(TEXT, "fr", PUBLISHED)


def _answers(doc: Document, when: str | None = "le 29 février") -> Answers:
    def said(speaker: str, kind: str, **more: Any) -> AttributionAnswer:
        return AttributionAnswer(
            speaker=speaker, speaker_type=SourceType.named_on_record, kind=kind, **more
        )

    overview = OverviewAnswer.model_validate(
        {
            "events": [
                {
                    "sentence": 1,
                    "trigger": "fermera",
                    "what": "fermeture",
                    "when": when,
                    "status": "planned",
                }
            ],
            "inconsistencies": [],
            "summary": [{"text": "Le ministre annonce une fermeture.", "sentences": [1, 2]}],
        },
        context=doc.context,
    )
    answers = {
        1: said("Paul Durand", "claim"),
        2: said("le syndicat", "response", stance=Stance.denies),
        3: said("Paul Durand", "claim"),
        4: said("the reporter", "none"),
    }
    return Answers(
        attributions=[Attributed(n, n, sentence_quote(doc, n), a) for n, a in answers.items()],
        overview=overview,
        evidence={
            1: Judged(
                EvidenceAnswer(statement=ClaimKind.fact, evidence=Shown.shown, cue_sentence=4)
            )
        },
    )


def _assemble(doc: Document, answers: Answers) -> Any:
    meta = ArticleMeta(language="fr", sha256="0" * 64, chars=len(TEXT), published=PUBLISHED)
    provenance = Provenance(model="fixed", backend="openai", prompt_version="test", usage=Usage())
    return assemble(doc, answers, meta, provenance)


def test_fixed_answers_assemble_into_a_grounded_summary() -> None:
    doc = _doc()
    summary = _assemble(doc, _answers(doc))

    assert [(s.id, s.name) for s in summary.sources] == [
        ("s1", "Paul Durand"),
        ("s2", "le syndicat"),
    ]
    first, second = summary.claims
    if _parse.has_parser("fr"):
        # "l'usine fermera": a forecast has nothing to evidence, and the grammar says so
        # before the model's answer is looked at.
        assert first.evidence.status == EvidenceStatus.not_applicable
        assert first.evidence.basis == Basis.cue
        assert first.evidence.cue is not None and first.evidence.cue.text == "fermera"
    else:
        # The model's answer, pointing at another sentence, is reported with that sentence.
        assert first.evidence.status == EvidenceStatus.provided
        assert first.evidence.basis == Basis.model
        assert first.evidence.cue is not None
        assert first.evidence.cue.text.startswith("Les ventes")
    # A cue phrase settles the second claim without a question.
    assert second.evidence.status == EvidenceStatus.none_provided
    assert second.evidence.basis == Basis.cue
    assert second.evidence.cue is not None and second.evidence.cue.text == "sans fournir de preuve"
    (response,) = summary.counterclaims
    assert response.target == first.id and response.speaker == "s2"
    assert response.stance == Stance.denies and response.stance_basis == Basis.model_and_cue
    (event,) = [e for e in summary.events if e.key]  # the one the model named
    assert event.trigger.text == "fermera" and event.reported_by == "s1"
    assert first.about == [event.id]
    assert summary.summary[0].refs == [first.id, event.id, response.id]
    if _parse.has_parser("fr"):
        # the rules' events: told by Paul Durand, so not facts of the article
        assert [(e.trigger.text, e.status.value) for e in summary.events] == [
            ("fermera", "planned"),
            ("fournir", "denied"),  # "sans fournir de preuve"
        ]
        assert [(a.role, a.span.text) for a in event.arguments] == [("Participant", "usine")]
    assert summary.check_grounded(TEXT) == []


def test_an_impossible_date_is_left_unresolved_not_raised() -> None:
    doc = _doc()
    summary = _assemble(doc, _answers(doc, when="le 29 février"))
    (event,) = [e for e in summary.events if e.key]
    assert event.when is not None and event.when.text.endswith("29 février")  # as written
    assert event.when.date is None


@pytest.mark.parametrize(
    ("when", "published", "expected"),
    [
        ("le 29 février", dt.date(2024, 2, 10), None),  # 2023-02-29 does not exist
        ("le 29 février", dt.date(2024, 3, 1), dt.date(2024, 2, 29)),
        ("Feb 29", dt.date(2023, 2, 10), None),
        ("le 31 juin", dt.date(2024, 7, 1), None),
        ("le 5 mars 0000", None, None),
        ("le 1er janvier", dt.date(1, 1, 1), dt.date(1, 1, 1)),
        ("le 2 janvier", dt.date(1, 1, 1), None),  # the year before is year 0
        ("le 29 octobre", dt.date(2024, 11, 2), dt.date(2024, 10, 29)),
        ("December 31", dt.date(2024, 11, 2), dt.date(2023, 12, 31)),
    ],
)
def test_date_resolution_never_raises(
    when: str, published: dt.date | None, expected: dt.date | None
) -> None:
    resolved = time_ref(when, published)
    assert resolved is not None and resolved.text == when
    assert resolved.date == expected
