"""Events and figures from the rules, with fixed answers (no model): what the seed article's
reader must see — the deployments are the Pentagon's allegations, with Kursk as the place,
and the subtitle's 2 000 does not match the body's "plusieurs milliers"."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer import _figures, _happenings, _labels, _parse, _statements
from summarizer._claims import Attributed, Statements, link
from summarizer._document import Document
from summarizer.models import Basis, EventStatus, OverviewAnswer

SEED = (Path(__file__).parent / "data" / "kursk.fr.txt").read_text(encoding="utf-8")
pytestmark = pytest.mark.skipif(not _parse.has_parser("fr"), reason="parser extra not installed")


def _seed() -> tuple[Document, Statements]:
    doc = Document(SEED, "fr", None)
    found = _statements.find(doc)
    assert found is not None
    claims = [
        Attributed(s.key, s.sentence, s.content, _labels.apply(s, _labels.Label(kind="claim")))
        for s in found
        if s.speaker is not None
    ]
    return doc, link(doc, claims)


def _overview(doc: Document, events: list[dict[str, object]]) -> OverviewAnswer:
    return OverviewAnswer.model_validate(
        {
            "events": events,
            "inconsistencies": [],
            "summary": [{"text": "Le Pentagone estime.", "sentences": [1]}],
        },
        context=doc.context,
    )


def test_the_deployments_are_the_pentagons_allegations_with_their_places() -> None:
    doc, statements = _seed()
    n = doc.sentence_at(SEED.index("déployés"))
    answer = _overview(
        doc, [{"sentence": n, "trigger": "déployés", "what": "déploiement", "status": "occurred"}]
    )
    names = {s.id: s.name for s in statements.sources}
    found = {
        e.trigger.text + ":" + next(a.span.text for a in e.arguments if a.role == "Passenger"): e
        for _n, e in _happenings.events(doc, statements, answer)
        if any(a.role == "Passenger" for a in e.arguments)
    }
    many = found["envoyés:plusieurs milliers de soldats nord-coréens"]
    ten = found["déployés:10 000 soldats nord-coréens"]
    for event, place in ((many, "région russe de Koursk"), (ten, "Russie")):
        assert event.status == EventStatus.alleged  # the model said "occurred": the rules decide
        assert event.reported_by is not None and names[event.reported_by] == "Le Pentagone"
        assert [a.span.text for a in event.arguments if a.role == "Place"] == [place]
        assert event.event_class == "movement"
    assert ten.key and not many.key  # the model named only the one
    for _n, e in _happenings.events(doc, statements, answer):
        for span in [e.trigger, *(a.span for a in e.arguments)]:
            assert SEED[span.start : span.end] == span.text


def test_a_reporting_verb_the_model_names_is_no_event() -> None:
    doc, statements = _seed()
    n = doc.sentence_at(SEED.index("estime"))
    answer = _overview(
        doc, [{"sentence": n, "trigger": "estime", "what": "estimation", "status": "occurred"}]
    )
    events = _happenings.events(doc, statements, answer)
    assert events and not any(e.trigger.text == "estime" for _n, e in events)
    assert not any(e.key for _n, e in events)


def test_a_pair_of_figures_the_model_says_count_one_group_is_an_inconsistency() -> None:
    doc = _seed()[0]
    pairs = _figures.proposed(doc)
    # the subtitle's 2 000 against the body's two figures, each pair once (the body says
    # "environ 10 000 soldats" twice)
    assert [[s.text for s in p.conflict.spans] for p in pairs] == [
        ["2 000 soldats", "plusieurs milliers de soldats"],
        ["2 000 soldats", "environ 10 000 soldats"],
    ]
    n_sub = doc.sentence_at(SEED.index("2 000 soldats"))
    n_body = doc.sentence_at(SEED.index("plusieurs milliers"))
    answer = OverviewAnswer.model_validate(
        {
            "events": [{"sentence": 1, "trigger": "arrivée", "what": "x", "status": "alleged"}],
            "inconsistencies": [
                {"sentences": [n_sub, n_body], "what": "2 000 ou plusieurs milliers"}
            ],
            "summary": [{"text": "Le Pentagone estime.", "sentences": [1]}],
        },
        context=doc.context,
    )
    # Koursk's 2 000 and Koursk's "plusieurs milliers" are one group; Russia's 10 000 is not
    figures = [(pairs[0].conflict, True), (pairs[1].conflict, False)]
    found = _happenings.inconsistencies(doc, answer, figures)
    assert [[s.text for s in i.spans] for i in found] == [
        ["2 000 soldats", "plusieurs milliers de soldats"]
    ]
    assert found[0].basis == Basis.model_and_cue
    assert all(SEED[s.start : s.end] == s.text for i in found for s in i.spans)
    # the model's own inconsistency of the same two sentences is not listed twice
    unconfirmed = _happenings.inconsistencies(doc, answer, [(p.conflict, False) for p in pairs])
    assert [(i.what, i.basis) for i in unconfirmed] == [
        ("2 000 ou plusieurs milliers", Basis.model)
    ]


def test_the_figures_question_shows_each_figure_where_it_is_said() -> None:
    doc = _seed()[0]
    pairs = _figures.proposed(doc)
    user = _figures.messages(doc, doc.sentences, pairs)[1]["content"]
    f1, f2 = (line for line in user.splitlines() if line.startswith(("F1: ", "F2: ")))
    # each figure with the words around it in its sentence, as written: the subtitle's and
    # the body's, whose place tells the groups apart (Koursk for one, Russia for the other)
    assert "2 000 soldats nord-coréens ont été envoyés dans la région russe de Koursk" in f1
    assert "plusieurs milliers de soldats nord-coréens auraient été envoyés" in f1
    assert "tandis qu'environ 10 000 soldats nord-coréens auraient été déployés en Russie" in f2
