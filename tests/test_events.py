"""Event candidates from the parse (issue 19, rules only): what happened, to whom, where, and
whether the article says it happened or a source alleges it."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer import _parse
from summarizer._events import EventCandidate, candidates, events_prediction

SEED = (Path(__file__).parent / "data" / "kursk.fr.txt").read_text(encoding="utf-8")
needs_fr = pytest.mark.skipif(not _parse.has_parser("fr"), reason="parser extra not installed")


@needs_fr
def test_the_seeds_deployments_are_alleged_with_their_place() -> None:
    found = candidates(SEED, "fr")
    for c in found:
        for span in [c.trigger, *(a.span for a in c.arguments)]:
            assert SEED[span.start : span.end] == span.text

    def event(trigger: str, passenger: str) -> EventCandidate:
        return next(
            c
            for c in found
            if c.trigger.text == trigger
            and any(a.role == "Passenger" and passenger in a.span.text for a in c.arguments)
        )

    # « plusieurs milliers de soldats nord-coréens auraient été envoyés dans la région russe
    # de Koursk »: said by the Pentagon in the conditional, so alleged, with Kursk as place.
    kursk = event("envoyés", "plusieurs milliers")
    assert kursk.status == "alleged"
    assert any(a.role == "Place" and "Koursk" in a.span.text for a in kursk.arguments)
    russia = event("déployés", "10 000")
    assert russia.status == "alleged"
    assert any(a.role == "Place" and a.span.text == "Russie" for a in russia.arguments)
    # « M. Ryder n'a fourni aucune preuve »: the negation is the object's determiner.
    (ryder,) = [c for c in found if any("Ryder" in a.span.text for a in c.arguments)]
    assert (ryder.trigger.text, ryder.status) == ("fourni", "denied")
    # The prediction format keeps only triggers of a class of the pack.
    triggers = [e["trigger"] for e in events_prediction(SEED, "fr")]
    assert "envoyés" in triggers and "estime" not in triggers


def test_a_language_without_a_parser_has_no_candidates() -> None:
    assert candidates("Der Minister sagte, die Truppen seien abgezogen.", "de") == []


def _roles(text: str) -> dict[str, list[tuple[str, str]]]:
    """(role, argument) pairs of each English trigger word of ``text``."""
    roles: dict[str, list[tuple[str, str]]] = {}
    for c in candidates(text, "en"):
        roles.setdefault(c.trigger.text, []).extend((a.role, a.span.text) for a in c.arguments)
    return roles


@pytest.mark.skipif(not _parse.has_parser("en"), reason="parser extra not installed")
def test_victims_of_participles_and_copulas_and_no_date_as_a_participant() -> None:
    text = (
        "A bomb killed four workers on Monday. Police found 130 people injured in the square. "
        "Two members killed in the attack were buried. By March, six were dead. "
        "Another blast injured two men, a woman and a girl."
    )
    roles = _roles(text)
    assert ("Victim", "four workers") in roles["killed"]
    assert ("Victim", "130 people") in roles["injured"]  # "people injured": the noun it modifies
    assert ("Victim", "Two members") in roles["killed"]  # "members killed in the attack"
    assert ("Victim", "six") in roles["dead"]  # "six were dead"
    # each conjunct is a victim of its own, though the parse hangs "girl" on "woman"
    assert {("Victim", "two men"), ("Victim", "woman"), ("Victim", "girl")} <= set(roles["injured"])
    assert not any("Monday" in s or "March" in s for args in roles.values() for _r, s in args)


@pytest.mark.skipif(not _parse.has_parser("en"), reason="parser extra not installed")
def test_a_punctuation_head_still_has_a_phrase() -> None:
    """A dev article's parse made a punctuation mark the reporter of an event: its phrase was
    empty and the article failed after its questions were paid for."""
    from summarizer._events import _Finder, _Lexicon

    text = "Officials said — the bridge collapsed."
    doc = _parse.analysed(text, "en")
    finder = _Finder(text, doc, _Lexicon.of("en"), None)
    dash = next(t for t in doc if t.text == "—")
    span = finder._phrase(dash)
    assert text[span.start : span.end] == span.text == "—"


@pytest.mark.skipif(not _parse.has_parser("en"), reason="parser extra not installed")
def test_a_place_or_a_vehicle_moved_through_is_not_a_passenger() -> None:
    """events-4: the object of a movement verb is where it goes (or, leaving, where it comes
    from) when it is a place, the vehicle when it is one; a verb with no subject takes the
    one up its chain of complements and conjuncts."""
    text = (
        "The firefighters reached the scene. The suspect left the restaurant at noon. "
        "He drove the truck to the lake. The rebels wanted to attack the town and kill its mayor."
    )
    roles = _roles(text)
    assert ("Destination", "scene") in roles["reached"]
    assert ("Origin", "restaurant") in roles["left"]
    assert ("Vehicle", "truck") in roles["drove"]
    assert not any(r == "PassengerArtifact" for args in roles.values() for r, _s in args)
    assert ("Killer", "rebels") in roles["kill"]  # kill ← attack ← wanted: the rebels kill
