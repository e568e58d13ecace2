"""Grammar cues: commitment, evidence and stance settled by rules before any model is asked.

The French rules read the spaCy parse, so those tests are skipped when the ``parser`` extra
is not installed (CI installs it). The sentences are ours, except the seed article.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer import _grammar, _parse
from summarizer._baseline import parse_baseline_prediction
from summarizer._grammar import Article, Said, answered

DATA = Path(__file__).parent / "data"
SEED = (DATA / "kursk.fr.txt").read_text(encoding="utf-8")
needs_fr = pytest.mark.skipif(not _parse.has_parser("fr"), reason="parser extra not installed")


def _commitment(text: str, content: str | None = None) -> tuple[str | None, str | None]:
    """(label, cue words) of ``content`` (default: the whole text) in ``text``."""
    start = text.index(content) if content else 0
    mark = Article(text, "fr").commitment(start, start + len(content or text))
    return (mark.label, text[mark.start : mark.end]) if mark else (None, None)


def _evidence(text: str) -> tuple[str | None, str | None, str | None]:
    mark = Article(text, "fr").evidence(0, len(text), (0, len(text)))
    return (mark.label, mark.cue, text[mark.start : mark.end]) if mark else (None, None, None)


@needs_fr
def test_the_conditionnel_hedges_unless_it_is_a_future_in_the_past_or_an_obligation() -> None:
    assert _commitment("Le ministère estime que 300 soldats auraient été tués.") == (
        "hedged",
        "auraient",
    )
    # after a past reporting verb the conditionnel is the future of that past: no hedge
    assert _commitment("Le patron avait annoncé que 800 postes seraient supprimés.") == (
        None,
        None,
    )
    assert _commitment("Ils auraient dû s'inquiéter de la dette.") == (None, None)
    assert _commitment("Il pourrait s'agir d'une erreur de calcul.")[0] == "hedged"
    assert _commitment("Nous pensons que le pont est fermé.") == ("hedged", "Nous pensons que")


@needs_fr
def test_a_condition_is_conditional_but_an_indirect_question_or_even_if_is_not() -> None:
    assert _commitment("Si la digue cède, le village sera inondé.") == ("conditional", "Si")
    assert _commitment("La question est de savoir « si nous allons investir ».") == (None, None)
    assert _commitment("Même si le vent tombe, le départ est annulé.") == (None, None)
    # the weaker commitment wins: a condition over a negation
    text = "Si le maire ne signe pas, les travaux ne commenceront pas."
    assert _commitment(text)[0] == "conditional"


@needs_fr
def test_negation_of_the_main_clause_and_verbs_of_denial() -> None:
    text = "La ministre a souligné que l'accord ne violait pas le droit."
    assert _commitment(text, "l'accord ne violait pas le droit") == ("negated", "ne")
    assert _commitment("Le directeur a réfuté l'idée d'un prêt.") == ("negated", "réfuté")
    assert _commitment("Personne ne sera laissé au bord du chemin.")[0] == "negated"
    # "ne … que" restricts, a negation inside a noun phrase or a subordinate clause is not
    # the proposition's
    assert _commitment("Cette note ne fait que confirmer la crise.") == (None, None)
    assert _commitment("Le système ne tiendra que sans intervention extérieure.") == (None, None)


@needs_fr
def test_promises_calls_forecasts_and_judgements_have_nothing_to_evidence() -> None:
    assert _evidence("Le maire a promis la gratuité des transports.") == (
        "not_applicable",
        "promise",
        "promis",
    )
    assert _evidence("Le syndicat appelle à la grève lundi.")[:2] == ("not_applicable", "call")
    assert _evidence("L'usine produira deux millions de pneus.")[:2] == (
        "not_applicable",
        "future tense",
    )
    assert _evidence("Ces actes sont inadmissibles, a jugé le ministre.")[0] == "not_applicable"
    # a measure is no judgement: "est de 5 %" gives its figure
    assert _evidence("Le taux de chômage est de 5 %, selon le ministre.") == (None, None, None)


@needs_fr
def test_a_named_report_as_subject_or_relay_is_a_checkable_source() -> None:
    assert _evidence("Selon le rapport, les ventes ont reculé l'an dernier.") == (
        "provided",
        "evidence noun",
        "rapport",
    )
    assert _evidence("Une étude de l'université conclut que le lac se réchauffe.")[0] == "provided"
    assert _evidence("Des analyses montrent la source du tir.")[0] == "referenced_not_disclosed"
    # "il faudrait noter" is politeness, not an obligation: the report still counts
    text = "Il faudrait noter que les rapports de la mission indiquent un tir de mortier."
    assert _evidence(text)[0] == "provided"


@needs_fr
def test_seed_article_judgements_from_the_rules_alone() -> None:
    """Issue 18's seed expectations that rules can settle, without any model answer."""
    found = parse_baseline_prediction("seed", SEED, "fr")["attributions"]

    def of(words: str) -> dict[str, str | None]:
        return next(a for a in found if words in a["content"])

    assert of("auraient été envoyés")["commitment"] == "hedged"
    assert of("Nous pensons que")["evidence"] == "none_provided"  # Ryder, by its cue
    assert of("la délégation sud-coréenne")["evidence"] == "referenced_not_disclosed"  # Rutte
    assert of("farce")["stance"] == "disputes"  # Zakharova
    assert of("question de souveraineté")["stance"] == "deflects"  # Putin
    # the Pentagon's estimates are not `provided`: nothing in their sentences shows evidence
    for line in SEED.splitlines()[1:3]:
        start = SEED.index(line)
        mark = Article(SEED, "fr").evidence(start, start + len(line), (start, start + len(line)))
        assert mark is None or mark.label != "provided"
    assert of("Nous pensons que")["commitment"] == "hedged"


@pytest.mark.parametrize("why", ["no parser", "too long to parse"])
def test_without_a_parse_the_phrases_still_count(why: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if why == "no parser":
        monkeypatch.setattr(_parse, "analysed", lambda text, language: None)
    else:
        monkeypatch.setattr(_grammar, "MAX_PARSED_CHARS", 10)
    text = "Selon le rapport, le pont ne sera pas rouvert et probablement démoli."
    article = Article(text, "fr")
    assert article.doc is None
    mark = article.commitment(0, len(text))
    assert mark is not None and (mark.label, text[mark.start : mark.end]) == (
        "hedged",
        "probablement",
    )  # a hedge word beats the negation ("ne … pas", found from the words alone)
    negated = article.commitment(0, text.index(" et "))
    assert negated is not None and negated.label == "negated"
    provided = article.provided(0, len(text))
    assert provided is not None and text[provided.start : provided.end] == "rapport"


def test_a_response_answers_the_source_it_names_else_the_nearest_on_its_subject() -> None:
    text = (
        "Paul Girard a annoncé la fermeture du pont. "
        "Anne Roy a présenté le budget des écoles. "
        "Le syndicat juge les propos de Girard absurdes. "
        "Le syndicat trouve le budget des écoles trop maigre."
    )
    spans = [(0, 43), (44, 85), (86, 133), (134, len(text))]
    girard = Said(*spans[0], "s1", "Paul Girard")
    roy = Said(*spans[1], "s2", "Anne Roy")
    names = Said(*spans[2], "s3", "Le syndicat")
    subject = Said(*spans[3], "s3", "Le syndicat")
    assert answered(text, names, [girard, roy]) == 0  # it names Girard, though Roy is nearer
    assert answered(text, subject, [girard, roy, names]) == 1  # "budget des écoles"
    assert answered(text, names, [Said(*spans[2], "s3", "Le syndicat")]) is None  # its own
