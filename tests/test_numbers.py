"""Numbers that disagree between an article's headline and its body (issue 19 item 4).

Tests with a parse are skipped when the ``parser`` extra is not installed; each also runs on
the text alone (``_parse.analysed`` answering None), the path of a language with no parser.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer import _numbers, _parse
from summarizer._numbers import NumberConflict, propose, quantities

SEED = (Path(__file__).parent / "data" / "kursk.fr.txt").read_text(encoding="utf-8")
needs_fr = pytest.mark.skipif(not _parse.has_parser("fr"), reason="parser extra not installed")
needs_en = pytest.mark.skipif(not _parse.has_parser("en"), reason="parser extra not installed")


@pytest.fixture(params=["parse", "text"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the parse (skipped if not installed) and without it."""
    if request.param == "text":
        monkeypatch.setattr(_numbers._parse, "analysed", lambda text, language: None)
    elif not (_parse.has_parser("fr") and _parse.has_parser("en")):
        pytest.skip("parser extra not installed")
    return str(request.param)


def pairs(found: list[NumberConflict]) -> list[tuple[str, str, str]]:
    return [(c.spans[0].text, c.spans[1].text, c.kind) for c in found]


def test_seed_subtitle_figure_against_the_body(path: str) -> None:
    found = propose(SEED, "fr")
    assert pairs(found)[0] == ("2 000 soldats", "plusieurs milliers de soldats", "vaguer")
    first = found[0]
    assert first.noun.startswith("soldat") and first.values == ((2000, 2000), (2000, 9999))
    for span in first.spans:
        assert SEED[span.start : span.end] == span.text
    assert first.spans[0].start < SEED.index("\n\n") < first.spans[1].start
    # about 10 000 (8 500–11 500 with the pack's tolerance) is another figure: proposed too
    assert pairs(found)[1:] == [("2 000 soldats", "environ 10 000 soldats", "differ")] * 2
    assert "plusieurs milliers de soldats" in first.why and "2,000–9,999" in first.why


def test_written_figure_agrees_with_digits(path: str) -> None:
    text = (
        "3 soldats tués dans une embuscade au Mali\n\n"
        "Trois soldats ont été tués mardi dans une embuscade près de Gao, "
        "et plusieurs soldats ont été blessés dans l'embuscade."
    )
    found = quantities(text, "fr", _parse.analysed(text, "fr"))
    assert [(q.span.text, q.low, q.high) for q in found] == [
        ("3 soldats", 3, 3),
        ("Trois soldats", 3, 3),
        ("plusieurs soldats", 2, 9),
    ]
    assert propose(text, "fr") == []
    about = "10 000 soldats envoyés au Mali\n\nParis a envoyé environ 9 000 soldats au Mali."
    assert propose(about, "fr") == []  # within the 15 % an approximation word allows


def test_the_same_figure_under_another_noun_confirms_it(path: str) -> None:
    text = (
        "PSA va supprimer 8 000 emplois\n\n"
        "PSA supprimera 8 000 postes en France, dont 3 000 emplois supprimés à Aulnay."
    )
    assert propose(text, "fr") == []
    changed = text.replace("8 000 postes", "7 000 postes")
    other = (
        "Deux soldats tués au Mali\n\nTrois soldats ont été tués au Mali. "
        "Le ministre a reçu deux délégations étrangères à Paris."
    )  # the same figure in another context confirms nothing
    assert pairs(propose(other, "fr")) == [("Deux soldats", "Trois soldats", "differ")]
    assert pairs(propose(changed, "fr")) == [("8 000 emplois", "3 000 emplois", "differ")]


def test_another_group_of_the_same_thing_is_not_compared(path: str) -> None:
    text = (
        "Crash d'un avion avec 153 personnes à bord à Lagos\n\n"
        "L'appareil transportait 147 passagers et 6 membres d'équipage. "
        "Au moins une quarantaine de personnes au sol ont été tuées."
    )
    assert propose(text, "fr") == []
    aboard = text.replace("personnes au sol", "personnes à bord de l'avion")
    assert pairs(propose(aboard, "fr")) == [
        ("153 personnes", "Au moins une quarantaine de personnes", "differ")
    ]


def test_dates_years_percentages_and_other_nouns_are_not_compared(path: str) -> None:
    text = (
        "Inondations à Passau : 2 000 habitants évacués le 3 juin 2024, 10 % de la ville inondée"
        "\n\n"
        "Le 5 juin, 300 pompiers ont aidé les habitants évacués de Passau. "
        "En 2013, 15 % de la ville était inondée."
    )
    found = quantities(text, "fr", _parse.analysed(text, "fr"))
    assert [q.span.text for q in found] == ["2 000 habitants", "300 pompiers"]
    assert propose(text, "fr") == []


def test_a_year_before_a_noun_is_no_count(path: str) -> None:
    text = (
        "2,000 soldiers sent to Mali\n\n"
        "Several thousand soldiers were sent to Mali. In 2013 soldiers were sent to Mali too."
    )
    assert pairs(propose(text, "en")) == [("2,000 soldiers", "Several thousand soldiers", "differ")]


@needs_en
def test_english_written_number() -> None:
    text = (
        "A dozen protesters arrested in Leeds\n\n"
        "Police said 40 protesters were arrested in Leeds on Saturday, and about "
        "two hundred people marched."
    )
    found = propose(text, "en")
    assert pairs(found) == [("A dozen protesters", "40 protesters", "differ")]
    assert found[0].values == ((12, 12), (40, 40))
    assert propose(text.replace("40 protesters", "twelve protesters"), "en") == []


def test_a_language_without_a_parser_reads_the_text() -> None:
    text = (
        "Zwei Dutzend Soldaten in Mali getötet\n\n"
        "Bei einem Angriff in Mali wurden am Dienstag 14 Soldaten getötet, sagte die Armee."
    )
    assert _parse.analysed(text, "de") is None
    found = propose(text, "de")
    assert pairs(found) == [("Zwei Dutzend Soldaten", "14 Soldaten", "differ")]
    assert found[0].values == ((24, 24), (14, 14))
    assert propose(text.replace("14 Soldaten", "24 Soldaten"), "de") == []
    assert propose(text, None) == []  # no pack: "Zwei Dutzend" is no number
